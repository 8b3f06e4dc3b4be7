# shellcheck shell=bash
# Step 20: the base root file system: every Debian package of the image (packages/*.list,
# then the kernel), made by mmdebstrap. This is the slow step (emulated dpkg, initramfs),
# so its result is kept as a tarball keyed by everything that goes into it; the .debs
# are kept in an apt cache dir that survives a change of the lists.

base_key="$(
    {
        printf '%s\n' "$FLEETPOS_SUITE" "$FLEETPOS_DEBIAN_MIRROR" "$FLEETPOS_DEBIAN_SECURITY_MIRROR"
        mmdebstrap --version
        cat "$IMAGE_BUILD_DIR"/packages/*.list "$IMAGE_BUILD_DIR/lib/base-customize.sh" \
            "$IMAGE_BUILD_DIR/steps/20-base-rootfs.sh"
    } | sha256sum | cut -c1-16
)"
BASE_TARBALL="$FLEETPOS_IMAGE_CACHE/base-$FLEETPOS_SUITE-arm64-$base_key.tar"
apt_archives="$FLEETPOS_IMAGE_CACHE/apt-archives"

if [ -f "$BASE_TARBALL" ] && [ "$FLEETPOS_REFRESH_BASE" != 1 ]; then
    log "base root file system from cache: $BASE_TARBALL"
else
    mkdir -p "$apt_archives"
    mapfile -t include < <(read_list "$IMAGE_BUILD_DIR"/packages/[0-9]*.list)
    partial="$BASE_TARBALL.partial"
    CLEANUP_FILES+=("$partial")
    log "building the base root file system with mmdebstrap (${#include[@]} packages + kernel)"
    mmdebstrap \
        --mode=root --variant=minbase --architectures=arm64 --format=tar \
        --include="$(IFS=,; echo "${include[*]}")" \
        --aptopt='Acquire::Languages "none"' \
        --aptopt='Acquire::Retries "3"' \
        --dpkgopt='force-unsafe-io' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --skip=download/empty --skip=essential/unlink \
        --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
        --setup-hook="sync-in $apt_archives /var/cache/apt/archives/" \
        --customize-hook="$IMAGE_BUILD_DIR/lib/base-customize.sh" \
        --customize-hook="sync-out /var/cache/apt/archives $apt_archives" \
        --customize-hook='for f in "$1"/etc/dpkg/dpkg.cfg.d/*; do sed -i "/^force-unsafe-io$/d" "$f"; done' \
        "$FLEETPOS_SUITE" "$partial" \
        "deb $FLEETPOS_DEBIAN_MIRROR $FLEETPOS_SUITE main non-free-firmware" \
        "deb $FLEETPOS_DEBIAN_MIRROR $FLEETPOS_SUITE-updates main non-free-firmware" \
        "deb $FLEETPOS_DEBIAN_SECURITY_MIRROR $FLEETPOS_SUITE-security main non-free-firmware"
    mv "$partial" "$BASE_TARBALL"
    # Older bases are of no use any more: keep the cache to one.
    find "$FLEETPOS_IMAGE_CACHE" -maxdepth 1 -name "base-*.tar" ! -path "$BASE_TARBALL" -delete
fi
