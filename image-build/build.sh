#!/bin/bash
# Build the fleetpos appliance image (arm64, Raspberry Pi 3/4/400 and QEMU virt) from
# Debian packages and the fleetpos wheel of this source tree. Run as root:
#
#   image-build/build.sh            # -> $FLEETPOS_IMAGE_OUT/fleetpos-<version>-arm64.img.xz
#
# Settings: image-build/config.sh (all overridable from the environment).
# Steps: image-build/steps/NN-*.sh, run in order in this shell.
set -euo pipefail

IMAGE_BUILD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=image-build/config.sh
source "$IMAGE_BUILD_DIR/config.sh"
# shellcheck source=image-build/lib/common.sh
source "$IMAGE_BUILD_DIR/lib/common.sh"

# Files and dirs that a step is making; removed if the build stops half way.
CLEANUP_FILES=()
BUILD_DONE=0
cleanup() {
    local status=$?
    local path
    for path in "${CLEANUP_FILES[@]}"; do
        [ -n "$path" ] && rm -rf -- "$path"
    done
    if [ "$BUILD_DONE" != 1 ]; then
        log "build FAILED (exit $status); partial results removed"
    fi
    exec 9>&- || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One build at a time per image dir: they share the cache and the work tree.
mkdir -p "$FLEETPOS_IMAGE_DIR"
exec 9>"$FLEETPOS_IMAGE_DIR/.lock"
flock -n 9 || { log "another build holds $FLEETPOS_IMAGE_DIR/.lock; waiting"; flock 9; }

build_start="$(now)"
for step in "$IMAGE_BUILD_DIR"/steps/[0-9][0-9]-*.sh; do
    [ -n "${FLEETPOS_STOP_AFTER:-}" ] && [ "$(basename "$step" .sh)" \> "$FLEETPOS_STOP_AFTER" ] && break
    step_start="$(now)"
    log "== $(basename "$step" .sh)"
    # shellcheck source=/dev/null
    source "$step"
    log "== $(basename "$step" .sh) done in $(( $(now) - step_start )) s"
done
BUILD_DONE=1
log "build finished in $(( $(now) - build_start )) s${FLEETPOS_IMAGE_RESULT:+: $FLEETPOS_IMAGE_RESULT}"
