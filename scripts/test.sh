#!/usr/bin/env bash
# Set up and run the whole test suite (what CI runs). Extra arguments go to pytest,
# e.g. scripts/test.sh tests/appliance -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# the image build and boot test (tests/image) needs root, mmdebstrap, qemu and arm64 binfmt
if [ "$(id -u)" = 0 ] && [ "${FLEETPOS_SKIP_IMAGE:-0}" != 1 ]; then
  image-build/install-host-deps.sh >/dev/null
fi
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
