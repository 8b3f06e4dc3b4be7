#!/bin/bash
# Make a wheelhouse for installing fleetpos offline on a Debian bookworm machine: the
# fleetpos wheel built from this source tree plus binary wheels of its dependencies for
# CPython 3.11 on the given machine (aarch64 for a Pi, x86_64 for a PC or a test chroot).
# The image build (steps/10-wheelhouse.sh) and the Ansible `appliance` role use it:
#
#   image-build/wheelhouse.sh DEST [aarch64|x86_64]     # default aarch64
#
# Requirements that Debian provides (packages/python-from-debian.map) are left out: the
# release venv sees them through --system-site-packages. Prints the wheel's path last.
set -euo pipefail

dest="${1:?usage: wheelhouse.sh DEST [aarch64|x86_64]}"
machine="${2:-aarch64}"
case "$machine" in
    aarch64 | x86_64) ;;
    *) echo "wheelhouse.sh: machine must be aarch64 or x86_64, not '$machine'" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_tree="${FLEETPOS_SOURCE:-$(cd "$here/.." && pwd)}"

mkdir -p "$dest"
rm -f "$dest"/*.whl "$dest/requirements.txt"
work="$(mktemp -d "${TMPDIR:-/tmp}/fleetpos-wheelhouse.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Build from a copy: an in-tree build would write build/ and *.egg-info into the
# source tree that other people are working in.
tar -C "$source_tree" --exclude=./.git --exclude=./.venv --exclude=./build \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude=./dist -cf - . |
    tar -C "$work" -xf -
python3 -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$dest" "$work"

wheel="$(find "$dest" -maxdepth 1 -name 'fleetpos-*.whl' -print -quit)"
[ -n "$wheel" ] || { echo "wheelhouse.sh: pip wheel built no fleetpos-*.whl from $source_tree" >&2; exit 1; }

python3 "$here/lib/wheel-requirements.py" "$wheel" "$here/packages/python-from-debian.map" "$machine" \
    >"$dest/requirements.txt"
# Every manylinux tag that bookworm's glibc (2.36) runs: this pip does not expand one
# --platform into the older tags by itself, and newer wheels are often only _2_28.
platforms=(--platform "manylinux2014_$machine")
for minor in $(seq 17 36); do
    platforms+=(--platform "manylinux_2_${minor}_$machine")
done
if [ -s "$dest/requirements.txt" ]; then
    python3 -m pip download --quiet --disable-pip-version-check --dest "$dest" \
        --only-binary=:all: "${platforms[@]}" \
        --python-version 3.11 --implementation cp --abi cp311 \
        --requirement "$dest/requirements.txt" || {
        echo "wheelhouse.sh: pip could not fetch $machine wheels for: $(tr '\n' ' ' <"$dest/requirements.txt")." \
             "A requirement with no binary wheel needs its Debian package in packages/python-from-debian.map" \
             "(and in packages/*.list)." >&2
        exit 1
    }
fi
printf '%s\n' "$wheel"
