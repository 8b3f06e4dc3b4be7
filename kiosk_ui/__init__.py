"""What the store's touch screen shows: the cashier's and manager's screens and the
customer display page, served by the till's Flask app and kept live over Socket.IO.

    app = create_app(config, extensions=[kiosk_ui.init_app])

Pages are server-rendered Jinja shells with small ES modules (no build step) that drive
the till's JSON API; the sale in progress lives in the till's database, never only in
the browser. See docs/kiosk.md.
"""

from __future__ import annotations

from flask_socketio import SocketIO

from appliance.context import TillContext

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


def init_app(app, ctx: TillContext) -> KioskUI:
    """The `create_app` extension: pages, static files, Socket.IO and the live events."""
    app.register_blueprint(bp)
    kiosk = KioskUI(app, ctx)
    app.extensions["kiosk_ui"] = kiosk
    return kiosk
