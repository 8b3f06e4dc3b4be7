# shellcheck shell=bash
# Step 80: compress the image and put it, its checksum and its manifest into the output dir.

mkdir -p "$FLEETPOS_IMAGE_OUT"
# No leftovers of an earlier build of this version (e.g. a raw .img next to a new .img.xz).
rm -f "$FLEETPOS_IMAGE_OUT/$IMAGE_NAME".img{,.xz,.bmap}{,.sha256}
cp "$ROOTFS/usr/share/fleetpos/manifest.txt" "$FLEETPOS_IMAGE_OUT/$IMAGE_NAME.manifest.txt"
# A block map lets bmaptool write only the used blocks (about half of the image).
if command -v bmaptool >/dev/null 2>&1; then
    bmaptool -q create -o "$FLEETPOS_IMAGE_OUT/$IMAGE_NAME.img.bmap" "$IMAGE"
else
    log "bmaptool not installed: no .bmap (install bmap-tools)"
fi
case "$FLEETPOS_IMAGE_COMPRESS" in
    xz)
        out="$FLEETPOS_IMAGE_OUT/$IMAGE_NAME.img.xz"
        CLEANUP_FILES+=("$out.partial")
        xz --threads=0 -"$FLEETPOS_XZ_LEVEL" --stdout "$IMAGE" >"$out.partial"
        mv "$out.partial" "$out"
        rm -f "$IMAGE"
        ;;
    none)
        out="$FLEETPOS_IMAGE_OUT/$IMAGE_NAME.img"
        mv "$IMAGE" "$out"
        ;;
    *) die "FLEETPOS_IMAGE_COMPRESS must be xz or none, not '$FLEETPOS_IMAGE_COMPRESS'" ;;
esac
(cd "$FLEETPOS_IMAGE_OUT" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
# shellcheck disable=SC2034  # build.sh prints it
FLEETPOS_IMAGE_RESULT="$out"
log "result: $out ($(du -h --apparent-size "$out" | cut -f1)), $(basename "$out").sha256, $IMAGE_NAME.manifest.txt"
