# shellcheck shell=bash
# Step 30: unpack the base into a fresh work tree; the steps after it change only that.

ROOTFS="$FLEETPOS_IMAGE_WORK/rootfs"
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"
[ "$FLEETPOS_KEEP_WORK" = 1 ] || CLEANUP_FILES+=("$ROOTFS")
tar -C "$ROOTFS" --numeric-owner --xattrs --xattrs-include='*' -xpf "$BASE_TARBALL"
