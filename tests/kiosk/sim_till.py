"""`fleetpos till` with every device simulated and a test-only door to the simulators.

    python -m tests.kiosk.sim_till --config till.toml

The browser tests run the till in its own process (as on the Pi) and still need to act
on the hardware as a person would: scan with the scanner, read what the printer printed,
take the paper out, close the cash drawer. This adds `/_sim/...` endpoints on loopback
for that. It lives in tests/ only: the shipped till has no such door.
"""

from __future__ import annotations

import argparse

from flask import Blueprint, jsonify, request

import kiosk_ui
from appliance import hardware
from appliance.app import create_app
from appliance.config import load_config


def simulator_door(app, ctx) -> None:
    devices = app.extensions["fleetpos.hardware"].devices
    bp = Blueprint("simulators", __name__, url_prefix="/_sim")

    @bp.post("/scan")
    def scan():
        result = devices.scanner.feed(request.get_json()["code"])
        return jsonify({"ok": result is not None})

    @bp.get("/printer")
    def printer():
        return jsonify({"receipts": devices.printer.receipts, "pending": len(devices.printer.pending_jobs()),
                        "status": devices.printer.status.message})

    @bp.post("/printer")
    def set_printer():
        data = request.get_json()
        if "paper" in data:
            devices.printer.set_paper(data["paper"])
        if "online" in data:
            devices.printer.set_online(data["online"])
        return jsonify({"ok": True})

    @bp.post("/drawer")
    def drawer():
        (devices.drawer.open if request.get_json()["open"] else devices.drawer.close)()
        return jsonify({"is_open": devices.drawer.is_open, "kicks": [k.reason for k in devices.drawer.kicks]})

    @bp.get("/drawer")
    def drawer_state():
        return jsonify({"is_open": devices.drawer.is_open, "kicks": [k.reason for k in devices.drawer.kicks]})

    app.register_blueprint(bp)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    config = load_config(parser.parse_args().config, environ={})
    app = create_app(config, extensions=[hardware.init_app, kiosk_ui.init_app, simulator_door])
    app.extensions["kiosk_ui"].socketio.run(app, config.server.host, config.server.port,
                                            allow_unsafe_werkzeug=True, use_reloader=False)


if __name__ == "__main__":
    main()
