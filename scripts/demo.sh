#!/usr/bin/env bash
# Set up and start the demo fleet: Mosquitto, head office (API, catalog publisher,
# ingest) and one store whose till (simulated hardware, kiosk page) enrolls and syncs.
# Data lives in var/demo (delete it to start over). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/fleetpos demo --data-dir "${FLEETPOS_DEMO_DIR:-var/demo}" --port "${FLEETPOS_DEMO_PORT:-8080}"
