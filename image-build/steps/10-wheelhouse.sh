# shellcheck shell=bash
# Step 10: build the fleetpos wheel from the source tree and fetch its dependencies as
# aarch64 wheels for CPython 3.11 (binary wheels only), so that the release venv is
# installed inside the image offline, with no compiler and no resolving under emulation.

WHEELHOUSE="$FLEETPOS_IMAGE_WORK/wheelhouse"
rm -rf "$WHEELHOUSE" "$FLEETPOS_IMAGE_WORK/source"
mkdir -p "$WHEELHOUSE" "$FLEETPOS_IMAGE_WORK/source"

# Build from a copy: an in-tree build would write build/ and *.egg-info into the
# source tree that other people are working in.
tar -C "$FLEETPOS_SOURCE" --exclude=./.git --exclude=./.venv --exclude=./build \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude=./dist -cf - . |
    tar -C "$FLEETPOS_IMAGE_WORK/source" -xf -
python3 -m pip wheel --quiet --no-deps --wheel-dir "$WHEELHOUSE" "$FLEETPOS_IMAGE_WORK/source"
rm -rf "$FLEETPOS_IMAGE_WORK/source"

FLEETPOS_WHEEL="$(find "$WHEELHOUSE" -maxdepth 1 -name 'fleetpos-*.whl' -print -quit)"
[ -n "$FLEETPOS_WHEEL" ] || die "pip wheel built no fleetpos-*.whl from $FLEETPOS_SOURCE"
FLEETPOS_WHEEL_VERSION="$(basename "$FLEETPOS_WHEEL" | cut -d- -f2)"
FLEETPOS_VERSION="${FLEETPOS_IMAGE_VERSION:-$FLEETPOS_WHEEL_VERSION}"
log "fleetpos wheel $(basename "$FLEETPOS_WHEEL"), image version $FLEETPOS_VERSION"

python3 "$IMAGE_BUILD_DIR/lib/wheel-requirements.py" "$FLEETPOS_WHEEL" \
    "$IMAGE_BUILD_DIR/packages/python-from-debian.map" >"$WHEELHOUSE/requirements.txt"
log "requirements for the image: $(tr '\n' ' ' <"$WHEELHOUSE/requirements.txt")"
# Every manylinux tag that bookworm's glibc (2.36) runs: this pip does not expand one
# --platform into the older tags by itself, and newer wheels are often only _2_28.
platforms=(--platform manylinux2014_aarch64)
for minor in $(seq 17 36); do
    platforms+=(--platform "manylinux_2_${minor}_aarch64")
done
if [ -s "$WHEELHOUSE/requirements.txt" ]; then
    python3 -m pip download --quiet --dest "$WHEELHOUSE" \
        --only-binary=:all: "${platforms[@]}" \
        --python-version 3.11 --implementation cp --abi cp311 \
        --requirement "$WHEELHOUSE/requirements.txt" ||
        die "pip could not fetch aarch64 wheels for the requirements above. A requirement with no binary wheel needs its Debian package in packages/python-from-debian.map (and in packages/*.list)."
fi
