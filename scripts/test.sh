#!/usr/bin/env bash
# Set up and run the whole test suite (what CI runs). Extra arguments go to pytest,
# e.g. scripts/test.sh tests/appliance -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
