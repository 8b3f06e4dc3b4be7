# shellcheck shell=bash
# Build settings. Every one can be set from the environment; the defaults build the
# production image. Paths outside the repository only: the build refuses anything else.

# Where the build keeps its work tree, its caches and its results.
FLEETPOS_IMAGE_DIR="${FLEETPOS_IMAGE_DIR:-/var/tmp/fleetpos-image}"
FLEETPOS_IMAGE_OUT="${FLEETPOS_IMAGE_OUT:-${FLEETPOS_IMAGE_DIR}/out}"
FLEETPOS_IMAGE_CACHE="${FLEETPOS_IMAGE_CACHE:-${FLEETPOS_IMAGE_DIR}/cache}"
FLEETPOS_IMAGE_WORK="${FLEETPOS_IMAGE_WORK:-${FLEETPOS_IMAGE_DIR}/work}"

# The fleetpos source tree whose wheel goes into the image.
FLEETPOS_SOURCE="${FLEETPOS_SOURCE:-$(cd "${IMAGE_BUILD_DIR}/.." && pwd)}"
# Version in the file names and under /opt/fleetpos/releases; empty = the wheel's version.
FLEETPOS_IMAGE_VERSION="${FLEETPOS_IMAGE_VERSION:-}"

# Debian: suite and mirrors (Debian's own archive only).
FLEETPOS_SUITE="${FLEETPOS_SUITE:-bookworm}"
FLEETPOS_DEBIAN_MIRROR="${FLEETPOS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
FLEETPOS_DEBIAN_SECURITY_MIRROR="${FLEETPOS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# Partition sizes in MiB. BOOT and ROOT are fixed so that every image version has the same
# layout: a technician can rewrite partitions 1 and 2 and keep the data partition (3).
# DATA is only the size inside the image; the first boot grows it to the end of the card.
FLEETPOS_BOOT_MIB="${FLEETPOS_BOOT_MIB:-256}"
FLEETPOS_ROOT_MIB="${FLEETPOS_ROOT_MIB:-3072}"
FLEETPOS_DATA_MIB="${FLEETPOS_DATA_MIB:-64}"

FLEETPOS_HOSTNAME="${FLEETPOS_HOSTNAME:-fleetpos}"

# xz (the deliverable) or none (raw .img only, e.g. for a quick boot test).
FLEETPOS_IMAGE_COMPRESS="${FLEETPOS_IMAGE_COMPRESS:-xz}"
FLEETPOS_XZ_LEVEL="${FLEETPOS_XZ_LEVEL:-3}"

# Rebuild the base root file system even if a cached one with the same key exists
# (e.g. to pick up Debian security updates).
FLEETPOS_REFRESH_BASE="${FLEETPOS_REFRESH_BASE:-0}"
# Keep the unpacked root file system under the work dir after the build (for debugging).
FLEETPOS_KEEP_WORK="${FLEETPOS_KEEP_WORK:-0}"
