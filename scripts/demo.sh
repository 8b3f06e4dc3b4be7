#!/usr/bin/env bash
# Set up and start the demo: a till with simulated hardware and a demo catalog.
# Data lives in var/demo (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/fleetpos demo --data-dir "${FLEETPOS_DEMO_DIR:-var/demo}" --port "${FLEETPOS_DEMO_PORT:-8080}"
