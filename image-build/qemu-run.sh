#!/bin/bash
# Boot a built image under QEMU's arm64 'virt' machine, the way the boot test does:
#
#   image-build/qemu-run.sh /var/tmp/fleetpos-image/out/fleetpos-0.1.0-arm64.img
#   ssh -p 2222 -L 8080:127.0.0.1:8080 root@127.0.0.1   # with a key in the boot partition
#
# The kernel and initrd are taken from the image's firmware partition (what a Pi boots);
# QEMU boots them directly, with the root file system found by its label as on a Pi.
# The image is written to (first boot grows the data partition, makes host keys ...):
# boot a copy if you want to keep it pristine. Settings, from the environment:
#   FLEETPOS_QEMU_SSH_PORT   host port (127.0.0.1) forwarded to the guest's ssh (2222)
#   FLEETPOS_QEMU_SERIAL     file for the serial console (default: this terminal)
#   FLEETPOS_QEMU_QMP        unix socket path for QMP (e.g. for a screendump), off if empty
#   FLEETPOS_QEMU_CMDLINE    extra kernel command line arguments
#   FLEETPOS_QEMU_NET_OPEN=1 let the guest reach the network (default: isolated; only
#                            the forwarded port connects it to the host)
#   FLEETPOS_QEMU_NETDEV     more options for the user netdev, e.g.
#                            ",guestfwd=tcp:10.0.2.100:80-cmd:CMD" (the boot test's head office)
#   FLEETPOS_QEMU_WORKDIR    dir for the kernel and initrd taken from the image; when set,
#                            QEMU replaces this script (same pid: a caller can kill it
#                            or give it a parent-death signal), and the caller cleans up
set -euo pipefail

image="${1:?usage: qemu-run.sh IMAGE.img}"
[ -f "$image" ] || { echo "qemu-run.sh: no image at $image (an .img.xz must be unpacked first: xz -dk)" >&2; exit 1; }
ssh_port="${FLEETPOS_QEMU_SSH_PORT:-2222}"
serial="${FLEETPOS_QEMU_SERIAL:-}"
qmp="${FLEETPOS_QEMU_QMP:-}"
restrict=on
[ "${FLEETPOS_QEMU_NET_OPEN:-0}" = 1 ] && restrict=off

for cmd in qemu-system-aarch64 mcopy mdir sfdisk; do
    command -v "$cmd" >/dev/null || { echo "qemu-run.sh: $cmd missing; run image-build/install-host-deps.sh" >&2; exit 1; }
done

qemu_pid=
if [ -n "${FLEETPOS_QEMU_WORKDIR:-}" ]; then
    tmp="$FLEETPOS_QEMU_WORKDIR"
    mkdir -p "$tmp"
else
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetpos-qemu.XXXXXX")"
    cleanup() {
        if [ -n "$qemu_pid" ]; then
            kill "$qemu_pid" 2>/dev/null || true
            wait "$qemu_pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
    }
    trap cleanup EXIT
    trap 'exit 143' TERM INT
fi

# Kernel and initrd from partition 1 (RASPIFIRM), read in place with mtools.
boot_offset=$(( $(sfdisk --dump "$image" | awk '$1 ~ /1$/ && /start=/ { sub(/,/, "", $4); print $4 }') * 512 ))
fat="$image@@$boot_offset"
kernel="$(MTOOLS_SKIP_CHECK=1 mdir -b -i "$fat" ::/ | sed -n 's|^::/\(vmlinuz-.*\)$|\1|p' | sort -V | tail -n 1)"
initrd="$(MTOOLS_SKIP_CHECK=1 mdir -b -i "$fat" ::/ | sed -n 's|^::/\(initrd.img-.*\)$|\1|p' | sort -V | tail -n 1)"
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "qemu-run.sh: no vmlinuz-*/initrd.img-* in the firmware partition of $image" >&2; exit 1; }
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" "::/$kernel" "$tmp/vmlinuz"
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" "::/$initrd" "$tmp/initrd"

# shellcheck disable=SC2054  # the commas are QEMU's
args=(
    -M virt -cpu cortex-a72 -smp 2 -m 1024
    -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd"
    -append "root=LABEL=RASPIROOT rw rootwait fsck.repair=yes net.ifnames=0 consoleblank=0 console=ttyAMA0 ${FLEETPOS_QEMU_CMDLINE:-}"
    -drive "file=$image,format=raw,if=none,id=disk0,cache=unsafe"
    -device virtio-blk-pci,drive=disk0
    -netdev "user,id=n0,restrict=$restrict,hostfwd=tcp:127.0.0.1:$ssh_port-:22${FLEETPOS_QEMU_NETDEV:-}"
    # romfile=: no iPXE option ROM (the guest boots from -kernel, not the network)
    -device virtio-net-pci,netdev=n0,romfile=
    # a screen and input devices for cage + Chromium
    -device virtio-gpu-pci -device virtio-keyboard-pci -device virtio-tablet-pci
    -display none -no-reboot
)
if [ -n "$serial" ]; then
    args+=(-serial "file:$serial" -monitor none)
else
    args+=(-serial mon:stdio)
fi
[ -n "$qmp" ] && args+=(-qmp "unix:$qmp,server=on,wait=off")

if [ -n "${FLEETPOS_QEMU_WORKDIR:-}" ]; then
    exec qemu-system-aarch64 "${args[@]}"
fi
qemu-system-aarch64 "${args[@]}" &
qemu_pid=$!
status=0
wait "$qemu_pid" || status=$?
qemu_pid=
exit "$status"
