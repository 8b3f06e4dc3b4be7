#!/bin/bash
# Make sure this host runs arm64 binaries through qemu-user-static. Idempotent; run as root.
set -euo pipefail

if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if ! arch-test arm64 >/dev/null 2>&1; then
    update-binfmts --enable qemu-aarch64
fi
arch-test arm64 >/dev/null 2>&1 || {
    echo "binfmt: this host still cannot run arm64 programs (is qemu-user-static installed?)" >&2
    exit 1
}
