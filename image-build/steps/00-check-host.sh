# shellcheck shell=bash
# Step 00: check the host before spending minutes on a build.

[ "$(id -u)" = 0 ] || die "run the build as root (mmdebstrap --mode=root, chroot, mke2fs -d keep file owners)"
[ "$(uname -m)" = x86_64 ] || log "warning: built and tested on x86_64 hosts only, this is $(uname -m)"
if ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then
    log "warning: built and tested on Debian bookworm hosts only"
fi

missing=()
for cmd in mmdebstrap arch-test mkfs.vfat mcopy sfdisk mke2fs xz sha256sum unshare python3 zstd; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || [ -e /usr/bin/qemu-aarch64-static ] || missing+=(qemu-aarch64-static)
python3 -m pip --version >/dev/null 2>&1 || missing+=("python3 -m pip")
if [ "${#missing[@]}" -gt 0 ]; then
    die "missing on this host: ${missing[*]}. Install them with: ${IMAGE_BUILD_DIR}/install-host-deps.sh"
fi

if ! arch-test arm64 >/dev/null 2>&1; then
    die "this host cannot run arm64 programs (binfmt_misc/qemu-aarch64 not enabled). Fix it with: ${IMAGE_BUILD_DIR}/lib/binfmt.sh"
fi

for dir in FLEETPOS_IMAGE_DIR FLEETPOS_IMAGE_OUT FLEETPOS_IMAGE_CACHE FLEETPOS_IMAGE_WORK; do
    require_outside_source "$dir" "${!dir}"
done
[ -f "$FLEETPOS_SOURCE/pyproject.toml" ] || die "FLEETPOS_SOURCE=$FLEETPOS_SOURCE has no pyproject.toml"

mkdir -p "$FLEETPOS_IMAGE_OUT" "$FLEETPOS_IMAGE_CACHE" "$FLEETPOS_IMAGE_WORK"
free_gib=$(( $(df --output=avail -k "$FLEETPOS_IMAGE_WORK" | tail -n 1) / 1024 / 1024 ))
# Peak use of a cold build: base tarball + unpacked root + image + compressed image.
[ "$free_gib" -ge 10 ] || die "only ${free_gib} GiB free under $FLEETPOS_IMAGE_WORK; a build needs about 10 GiB"
log "host ok: $(mmdebstrap --version), ${free_gib} GiB free"
