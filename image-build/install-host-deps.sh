#!/bin/bash
# Install what the image build needs on a Debian bookworm x86_64 host, and make sure the
# kernel runs arm64 programs through qemu-user (binfmt_misc). Run as root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ "$(id -u)" = 0 ] || { echo "install-host-deps.sh: run as root (it uses apt-get)" >&2; exit 1; }

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$here/host-deps.list")
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
"$here/lib/binfmt.sh"
