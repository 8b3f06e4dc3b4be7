"""What the store's touch screen shows: the cashier's and manager's screens and the
customer display page, served by the till's Flask app and kept live over Socket.IO.

    app = create_app(config, extensions=[kiosk_ui.init_app])

Pages are server-rendered Jinja shells with small ES modules (no build step) that drive
the till's JSON API; the sale in progress lives in the till's database, never only in
the browser. See docs/kiosk.md.
"""

from __future__ import annotations

from flask import current_app, request
from flask_socketio import SocketIO

from appliance.context import TillContext
from appliance.errors import Conflict
from appliance.hardware import DRAWER_OPEN

from .live import LiveUpdates
from .pages import asset_versions, bp


class KioskUI:
    """The kiosk's part of one till app (kept in app.extensions["kiosk_ui"])."""

    def __init__(self, app, ctx: TillContext):
        self.asset_versions = asset_versions()
        self.live = LiveUpdates(app, ctx)

    @property
    def socketio(self) -> SocketIO:
        return self.live.socketio


def _drawer_must_close():
    """A new sale does not start over the API while the drawer is open (the scanner's
    reads are held by TillHardware.holds_next_sale too)."""
    if request.method == "POST" and request.path == "/api/sales":
        hardware = current_app.extensions.get("fleetpos.hardware")
        if hardware is not None and hardware.holds_next_sale():
            raise Conflict(DRAWER_OPEN, code="drawer_open")


def init_app(app, ctx: TillContext) -> KioskUI:
    """The `create_app` extension: pages, static files, Socket.IO and the live events."""
    app.register_blueprint(bp)
    if ctx.config.kiosk.drawer_must_close:
        app.before_request(_drawer_must_close)
    kiosk = KioskUI(app, ctx)
    app.extensions["kiosk_ui"] = kiosk
    return kiosk
