# shellcheck shell=bash
# Step 70: the disk image, without loop devices or mounts: each file system is made in a
# file of its own (mkfs.vfat + mcopy, mke2fs -d) and copied into place after sfdisk has
# written the partition table. The layout is that of Debian's Raspberry Pi images plus a
# data partition:
#
#   1  RASPIFIRM     FAT32 (type c)  4 MiB .. +BOOT   /boot/firmware: Pi firmware, kernel, initrd, DTBs, config.txt, cmdline.txt
#   2  RASPIROOT     ext4            fixed size ROOT   /
#   3  FLEETPOSDATA  ext4            DATA, grown on first boot to the end of the card   /var/lib/fleetpos

IMAGE_NAME="fleetpos-$FLEETPOS_VERSION-arm64"
IMAGE="$FLEETPOS_IMAGE_WORK/$IMAGE_NAME.img"
parts="$FLEETPOS_IMAGE_WORK/partitions"
rm -rf "$parts" "$IMAGE"
mkdir -p "$parts"
CLEANUP_FILES+=("$parts")

boot_start=4
root_start=$((boot_start + FLEETPOS_BOOT_MIB))
data_start=$((root_start + FLEETPOS_ROOT_MIB))
total=$((data_start + FLEETPOS_DATA_MIB))

# 1: the firmware partition, from /boot/firmware of the root file system.
mkfs.vfat -F 32 -n RASPIFIRM -C "$parts/boot.vfat" $((FLEETPOS_BOOT_MIB * 1024)) >/dev/null
mcopy -s -p -m -i "$parts/boot.vfat" "$ROOTFS"/boot/firmware/* ::/
find "$ROOTFS/boot/firmware" -mindepth 1 -delete

# 3: the data partition: only the directories the till expects, owned by fleetpos.
fleetpos_ids="$(awk -F: '$1 == "fleetpos" { print $3 ":" $4 }' "$ROOTFS/etc/passwd")"
mkdir -p "$parts/data/backups"
chown -R "$fleetpos_ids" "$parts/data"
chmod 0750 "$parts/data" "$parts/data/backups"
mke2fs -q -t ext4 -L FLEETPOSDATA -m 0 -E "root_owner=$fleetpos_ids" -d "$parts/data" \
    "$parts/data.ext4" "${FLEETPOS_DATA_MIB}M"

# 2: the root file system.
used_mib=$(( $(du -s --block-size=1M "$ROOTFS" | cut -f1) ))
[ "$used_mib" -lt $((FLEETPOS_ROOT_MIB * 85 / 100)) ] ||
    die "the root file system needs ${used_mib} MiB, too close to FLEETPOS_ROOT_MIB=${FLEETPOS_ROOT_MIB}; raise it (this changes the partition layout)"
mke2fs -q -t ext4 -L RASPIROOT -d "$ROOTFS" "$parts/root.ext4" "${FLEETPOS_ROOT_MIB}M"

# The partition table and the file systems in place; sparse, so the empty parts of the
# image take no disk.
truncate -s "${total}M" "$IMAGE"
CLEANUP_FILES+=("$IMAGE")
sfdisk --quiet "$IMAGE" <<SFDISK
label: dos
unit: sectors

start=$((boot_start * 2048)), size=$((FLEETPOS_BOOT_MIB * 2048)), type=c, bootable
start=$((root_start * 2048)), size=$((FLEETPOS_ROOT_MIB * 2048)), type=83
start=$((data_start * 2048)), size=$((FLEETPOS_DATA_MIB * 2048)), type=83
SFDISK
dd if="$parts/boot.vfat" of="$IMAGE" bs=1M seek="$boot_start" conv=notrunc,sparse status=none
dd if="$parts/root.ext4" of="$IMAGE" bs=1M seek="$root_start" conv=notrunc,sparse status=none
dd if="$parts/data.ext4" of="$IMAGE" bs=1M seek="$data_start" conv=notrunc,sparse status=none
rm -rf "$parts"
log "image: $IMAGE ($total MiB; root file system ${used_mib} MiB used of ${FLEETPOS_ROOT_MIB})"
