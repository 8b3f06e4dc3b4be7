# shellcheck shell=bash
# Step 60: what exactly is in the image: every Debian package (dpkg -l) and every Python
# distribution of the release venv (pip freeze), inside the image and next to it.

MANIFEST="$ROOTFS/usr/share/fleetpos/manifest.txt"
mkdir -p "$(dirname "$MANIFEST")"
{
    echo "# fleetpos appliance image $FLEETPOS_VERSION (arm64, Debian $FLEETPOS_SUITE)"
    echo "# built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$FLEETPOS_SOURCE" describe --always --dirty 2>/dev/null || echo 'a source tree outside git')"
    echo "# base $(basename "$BASE_TARBALL")"
    echo
    echo "## Debian packages (dpkg -l)"
    in_chroot "$ROOTFS" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' |
        sort -k2
    echo
    echo "## Python distributions of $RELEASE_DIR (pip freeze --all --local)"
    in_chroot "$ROOTFS" "$RELEASE_DIR/bin/python" -m pip freeze --all --local --disable-pip-version-check
} >"$MANIFEST.new"
mv "$MANIFEST.new" "$MANIFEST"
log "manifest: $(grep -c '^ii ' "$MANIFEST") Debian packages, $(sed -n '/^## Python/,$p' "$MANIFEST" | grep -c '==') Python distributions"
