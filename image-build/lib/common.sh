# shellcheck shell=bash
# Helpers shared by build.sh and its steps. Sourced, never run.

log() { printf '[fleetpos-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
    printf '[fleetpos-image] ERROR: %s\n' "$*" >&2
    exit 1
}

# Lines of a package list without comments and blank lines.
read_list() {
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$@"
}

# Run a command inside the arm64 root file system $1 (through binfmt + qemu-user).
# The mounts live in a private mount namespace: they disappear with the command, even
# when the build is killed, so nothing is ever left mounted on the host.
in_chroot() {
    local root="$1"
    shift
    unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
        root="$1"; shift
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs tmpfs "$root/run"
        mount -t tmpfs tmpfs "$root/tmp"
        exec chroot "$root" /usr/bin/env -i \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' in_chroot "$root" "$@"
}

# Refuse a path inside the source tree: disk images and root file systems never land
# in the repository.
require_outside_source() {
    local what="$1" path="$2" real src
    real="$(realpath -m -- "$path")"
    src="$(realpath -m -- "$FLEETPOS_SOURCE")"
    case "$real/" in
        "$src"/*) die "$what ($real) is inside the source tree $src; set it to a path outside, e.g. under /var/tmp" ;;
    esac
}

# Seconds since the epoch, for step timings.
now() { date +%s; }
