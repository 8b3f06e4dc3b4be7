"""Live updates to the kiosk pages over Socket.IO.

The till page and the customer display page keep a Socket.IO connection to the till.
Pages join a room by what they are (`till` or `display`) and get:

- `sale.changed` {sale, origin} (till pages): the sale view after a change; `origin` is the
  `X-Kiosk-Page` header of the page whose request made it (null for a scan from the
  hardware scanner), so a page can tell its own changes from others';
- `scan.rejected` {code, message, error} (till pages): the hardware scanner read a code the
  till refused (unknown barcode, nobody logged in...);
- `display.update` {mode: idle|sale|paid, ...} (display pages): what the customer sees;
  sent on connect too, so a display that (re)connects shows the current sale at once;
- `scan` {code} (the till page that asked for scans): the hardware scanner's read, for a
  screen that is not the sale (returns, stock). A page says `scan.target` {active} when it
  comes to the front: the last page that asked gets the scans, until it says otherwise or
  goes away; meanwhile scans do not go into the sale.

They follow the till's events (`ctx.events`): `sale.changed` and `sale.completed`, which
the services publish after each committed change, and `scan.rejected`. A change made by a
request is pushed once the request is answered, with the sale from the answer when it
holds it (no second read); a change made outside a request (a hardware scan) is pushed at
once, read from the database.
"""

from __future__ import annotations

import threading
import time

from flask import g, has_request_context, request
from flask_socketio import SocketIO, emit, join_room

from appliance.context import TillContext
from appliance.services.sales import current_sale, get_sale
from appliance.services.views import sale_view

TILL_ROOM = "till"
DISPLAY_ROOM = "display"
#: requests under this path that change a sale answer with it ({"sale": ...})
SALE_PATH = "/api/sales"
#: the header with which a kiosk page marks its own requests
PAGE_HEADER = "X-Kiosk-Page"
SALE_EVENTS = ("sale.changed", "sale.completed")


def display_view(sale: dict | None, now: float | None = None) -> dict:
    """What the customer display shows for a sale view (no references, no cashier, no cost)."""
    if sale is None or sale["status"] in ("parked", "voided") or (sale["status"] == "open" and not sale["lines"]):
        return {"mode": "idle"}
    return {
        "mode": "paid" if sale["status"] == "completed" else "sale",
        "at": time.time() if now is None else now,
        "currency": sale["currency"],
        "lines": [{"name": line["name"], "qty_milli": line["qty_milli"], "unit": line["unit"],
                   "unit_price": line["unit_price"], "net": line["net"],
                   "discounted": line["net"] < line["gross"]} for line in sale["lines"]],
        "subtotal": sale["subtotal"], "discount_total": sale["discount_total"], "total": sale["total"],
        "paid": sale["paid"], "change": sale["change"], "remaining": sale["remaining"],
        "rounding": sale["rounding"],
    }


class LiveUpdates:
    """Flask-SocketIO on the till's app, fed by the till's events."""

    def __init__(self, app, ctx: TillContext):
        self.ctx = ctx
        self.socketio = SocketIO(app, async_mode="threading", logger=False, engineio_logger=False)
        self._lock = threading.Lock()
        self._display: dict | None = None  # last state pushed; None until the first change
        self._scan_target: str | None = None  # the Socket.IO session of the page taking scans
        for name in SALE_EVENTS:
            ctx.events.subscribe(name, self._sale_event)
        ctx.events.subscribe("scan.rejected", self._scan_rejected)
        app.after_request(self._after_request)
        self.socketio.on_event("connect", self._connect)
        self.socketio.on_event("disconnect", self._disconnect)
        self.socketio.on_event("scan.target", self._claim_scans)
        hardware = app.extensions.get("fleetpos.hardware")
        if hardware is not None:
            hardware.divert_scan = self.divert_scan

    # -- from the till's events

    def _sale_event(self, _name, payload):
        sale_uuid = payload.get("sale_uuid")
        if not sale_uuid:
            return
        if has_request_context():
            g.setdefault("kiosk_changed_sales", set()).add(sale_uuid)
        else:
            self.push_sale(self._read_sale(sale_uuid), origin=None)

    def _scan_rejected(self, _name, payload):
        self.socketio.emit("scan.rejected", {"code": payload.get("code"), "message": payload.get("message"),
                                             "error": payload.get("error")}, to=TILL_ROOM)

    def _after_request(self, response):
        changed = set(g.pop("kiosk_changed_sales", ()))
        if not 200 <= response.status_code < 300:
            return response
        answered = None
        if request.method != "GET" and request.path.startswith(SALE_PATH) and response.is_json:
            body = response.get_json(silent=True) or {}
            if isinstance(body.get("sale"), dict):
                answered = body["sale"]
                changed.add(answered["uuid"])
        origin = request.headers.get(PAGE_HEADER)
        for sale_uuid in changed:
            sale = answered if answered is not None and answered["uuid"] == sale_uuid else self._read_sale(sale_uuid)
            self.push_sale(sale, origin)
        return response

    def _read_sale(self, sale_uuid: str) -> dict:
        opened = self.ctx.db.is_closed()
        if opened:
            self.ctx.db.connect()
        try:
            return sale_view(self.ctx, get_sale(self.ctx, sale_uuid))
        finally:
            if opened:
                self.ctx.db.close()

    # -- to the pages

    def push_sale(self, sale: dict, origin: str | None) -> None:
        state = display_view(sale)
        with self._lock:
            self._display = state
        self.socketio.emit("sale.changed", {"sale": sale, "origin": origin}, to=TILL_ROOM)
        self.socketio.emit("display.update", state, to=DISPLAY_ROOM)

    def display_state(self) -> dict:
        with self._lock:
            if self._display is not None:
                return self._display
        with self.ctx.db.connection_context():
            sale = current_sale(self.ctx)
            return display_view(sale_view(self.ctx, sale) if sale else None)

    # -- scans for screens other than the sale

    def divert_scan(self, code: str) -> bool:
        """On the scanner's thread: hand the code to the page that asked for scans, if any."""
        with self._lock:
            target = self._scan_target
        if target is None:
            return False
        self.socketio.emit("scan", {"code": code}, to=target)
        return True

    def _claim_scans(self, message=None):
        """The page in front says whether it takes the scans (one screen: the last one decides)."""
        active = isinstance(message, dict) and message.get("active") is True
        with self._lock:
            self._scan_target = request.sid if active else None

    def _disconnect(self, *_args):
        with self._lock:
            if self._scan_target == request.sid:
                self._scan_target = None

    def _connect(self, auth=None):
        if isinstance(auth, dict) and auth.get("role") == "display":
            join_room(DISPLAY_ROOM)
            emit("display.update", self.display_state())
        else:
            join_room(TILL_ROOM)
