#!/bin/bash
# mmdebstrap customize hook for the base root file system (step 20); $1 is the root.
# Point raspi-firmware at the root partition by label, then install the kernel: its
# initramfs is built once and raspi-firmware copies kernel, initrd and DTBs into
# /boot/firmware with a matching cmdline.txt and config.txt.
set -euo pipefail

root="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Root by label (the same on SD card, USB disk and QEMU). Consoles: the serial port
# (ttyS1 on Pi 3/4/400) for technicians, the screen last (boot messages, emergency shell);
# "auto" cannot detect the board in a chroot and would give the screen only.
sed -i -e 's|^#\?ROOTPART=.*|ROOTPART=LABEL=RASPIROOT|' \
    -e 's|^#\?CONSOLES=.*|CONSOLES="ttyS1,115200 tty0"|' "$root/etc/default/raspi-firmware"
grep -q '^ROOTPART=LABEL=RASPIROOT' "$root/etc/default/raspi-firmware" &&
    grep -q '^CONSOLES="ttyS1,115200 tty0"' "$root/etc/default/raspi-firmware" ||
    { echo "base-customize: /etc/default/raspi-firmware has no ROOTPART/CONSOLES to set" >&2; exit 1; }
# The till's screen never blanks on its own (see also the kiosk: cage does not blank).
printf '%s\n' 'consoleblank=0' >"$root/etc/default/raspi-extra-cmdline"

# systemd-resolved made /etc/resolv.conf a link into /run, which is empty in the chroot:
# give apt the host's resolver for the kernel install.
if [ -L "$root/etc/resolv.conf" ]; then
    rm "$root/etc/resolv.conf"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
fi

mapfile -t kernel < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$here/packages/kernel.list")
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${kernel[@]}"

ls "$root"/boot/firmware/vmlinuz-* "$root"/boot/firmware/initrd.img-* >/dev/null ||
    { echo "base-customize: raspi-firmware put no kernel/initrd into /boot/firmware" >&2; exit 1; }
