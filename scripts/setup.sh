#!/usr/bin/env bash
# Set up what fleetpos needs on a Debian bookworm machine (run as root): Debian
# packages, then a virtualenv in .venv with fleetpos and its test tools. Idempotent:
# a second run installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-dev gcc linux-libc-dev  # the venv; evdev compiles against input.h
  tzdata                                               # store time zones
  fonts-wqy-microhei fonts-noto-cjk                    # Chinese text in receipt previews and screenshots
  chromium                                             # the kiosk browser tests (driven by Playwright)
  mosquitto postgresql                                 # broker and head office's PostgreSQL (started per run, not as services)
  mmdebstrap xz-utils openssh-client                   # Ansible tests: a bookworm chroot for the appliance role, images, ssh
  python3-pip                                          # image-build/wheelhouse.sh (Ansible tests, image build) runs python3 -m pip
  mtools dosfstools fdisk                              # flash role tests: a FAT boot partition written without mounting (mcopy, sfdisk)
)
if [ "$#" -gt 0 ]; then APT_PACKAGES+=("$@"); fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.fleetpos-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
