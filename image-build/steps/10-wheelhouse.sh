# shellcheck shell=bash
# Step 10: build the fleetpos wheel from the source tree and fetch its dependencies as
# aarch64 wheels for CPython 3.11 (binary wheels only), so that the release venv is
# installed inside the image offline, with no compiler and no resolving under emulation.
# wheelhouse.sh does the work; the Ansible `appliance` role installs from the same kind
# of wheelhouse.

WHEELHOUSE="$FLEETPOS_IMAGE_WORK/wheelhouse"
rm -rf "$WHEELHOUSE"
FLEETPOS_SOURCE="$FLEETPOS_SOURCE" "$IMAGE_BUILD_DIR/wheelhouse.sh" "$WHEELHOUSE" aarch64 >/dev/null ||
    die "could not make the wheelhouse (see wheelhouse.sh's message above)"

FLEETPOS_WHEEL="$(find "$WHEELHOUSE" -maxdepth 1 -name 'fleetpos-*.whl' -print -quit)"
[ -n "$FLEETPOS_WHEEL" ] || die "pip wheel built no fleetpos-*.whl from $FLEETPOS_SOURCE"
FLEETPOS_WHEEL_VERSION="$(basename "$FLEETPOS_WHEEL" | cut -d- -f2)"
FLEETPOS_VERSION="${FLEETPOS_IMAGE_VERSION:-$FLEETPOS_WHEEL_VERSION}"
log "fleetpos wheel $(basename "$FLEETPOS_WHEEL"), image version $FLEETPOS_VERSION"
log "requirements for the image: $(tr '\n' ' ' <"$WHEELHOUSE/requirements.txt")"
