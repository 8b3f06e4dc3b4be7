# shellcheck shell=bash
# Step 50: the appliance's configuration: the files under image-build/rootfs/, users
# without passwords, enabled units, and the removal of everything that must be unique
# per machine (ssh host keys, machine-id).

# Files: owned by root, mode from git (executable or not), never group/other-writable.
tar -C "$IMAGE_BUILD_DIR/rootfs" --owner=0 --group=0 --mode='u+rwX,go+rX,go-w' -cf - . |
    tar -C "$ROOTFS" --no-same-permissions -xf -
chmod 0700 "$ROOTFS/usr/lib/fleetpos/firstboot"

# Users. fleetpos runs the till and the sync agent (serial, printers, scanner, GPIO);
# kiosk runs cage + Chromium. Neither can log in; root has no password either (ssh keys).
in_chroot "$ROOTFS" groupadd --system --force gpio
in_chroot "$ROOTFS" useradd --system --user-group --home-dir /var/lib/fleetpos --no-create-home \
    --shell /usr/sbin/nologin --groups dialout,lp,input,gpio fleetpos
in_chroot "$ROOTFS" useradd --system --user-group --create-home --home-dir /var/lib/fleetpos-kiosk \
    --shell /usr/sbin/nologin --groups video,render,input kiosk
# seatd hands out the screen and input devices to this group (Debian's seatd.service).
grep -q -- '-g video' "$ROOTFS/usr/lib/systemd/system/seatd.service" ||
    die "seatd.service no longer uses the video group; fix the kiosk user's groups"
in_chroot "$ROOTFS" usermod --password '*' root
if awk -F: '$2 != "*" && $2 !~ /^!/ { bad = 1; print "user with a password: " $1 } END { exit bad }' \
    "$ROOTFS/etc/shadow"; then :; else die "a user in the image has a password"; fi
in_chroot "$ROOTFS" chown root:fleetpos /etc/fleetpos /etc/fleetpos/till.toml
chmod 0750 "$ROOTFS/etc/fleetpos"
chmod 0640 "$ROOTFS/etc/fleetpos/till.toml"

printf '%s\n' "$FLEETPOS_HOSTNAME" >"$ROOTFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    "$FLEETPOS_HOSTNAME" >"$ROOTFS/etc/hosts"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"

in_chroot "$ROOTFS" systemctl enable \
    systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
    nftables.service ssh.service seatd.service \
    fleetpos-grow-data.service fleetpos-ssh-keys.service fleetpos-wifi.service \
    fleetpos-till.service fleetpos-sync.service fleetpos-kiosk.service \
    fleetpos-enroll.service fleetpos-boot-report.service
# The generic wpa_supplicant.service (D-Bus) is not used: wpa_supplicant@wlan0 is, started
# when wlan0 appears (not wanted by multi-user.target: boot would wait 90 s for a wlan0
# that a Pi without Wi-Fi or QEMU never gets).
in_chroot "$ROOTFS" systemctl disable wpa_supplicant.service
mkdir -p "$ROOTFS/etc/systemd/system/sys-subsystem-net-devices-wlan0.device.wants"
ln -sfn /lib/systemd/system/wpa_supplicant@.service \
    "$ROOTFS/etc/systemd/system/sys-subsystem-net-devices-wlan0.device.wants/wpa_supplicant@wlan0.service"
in_chroot "$ROOTFS" systemctl mask getty@tty1.service
in_chroot "$ROOTFS" systemctl set-default graphical.target

# Unique per machine: made on first boot.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"

# /boot/firmware and /var/lib/fleetpos are mount points: their content goes into
# partitions 1 and 3 (step 70).
mkdir -p "$ROOTFS/var/lib/fleetpos"

# The image's own documentation, for technicians on the box.
install -D -m 0644 "$FLEETPOS_SOURCE/docs/image.md" "$ROOTFS/usr/share/doc/fleetpos/image.md" 2>/dev/null ||
    log "warning: docs/image.md missing; not installed into the image"
