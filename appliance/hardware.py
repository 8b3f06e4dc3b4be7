"""The till's devices, wired to its events (an extension for `create_app`).

- a scan becomes a cart line of the open sale, for the cashier logged in now
  (good/error beep);
- a completed sale prints its receipt (unless the customer declined it: the sale's
  `receipt_wanted`), kicks the drawer when cash was taken and shows the paid amount
  and change on the customer display;
- a refund prints its refund receipt (and kicks the drawer for a cash payout);
- no-sale, cash in/out and a new float open the drawer;
- every added line shows on the customer display with the running total.

Printing runs on one worker thread so a slow or absent printer never holds up a
sale; a failed print waits in the printer's spool (see docs/hardware.md).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timezone
from zoneinfo import ZoneInfo

import hw_drivers
from hw_drivers import receipt as paper

from .context import TillContext
from .errors import Conflict, TillError
from .models import Payment, Refund, Sale, TillSession
from .money import CURRENCY_EXPONENTS
from .services import auth, refunds, sales
from .services.views import tax_bands

log = logging.getLogger(__name__)

METHOD_LABELS = {"zh-CN": {"cash": "现金", "card": "银行卡", "wechat": "微信支付", "alipay": "支付宝"},
                 "en": {"cash": "Cash", "card": "Card", "wechat": "WeChat Pay", "alipay": "Alipay"}}
SYMBOLS = {"CNY": "¥", "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
#: why a scan or a new sale waits, with `[kiosk] drawer_must_close`
DRAWER_OPEN = "close the cash drawer before starting the next sale"
DRAWER_REASONS = {"float": "cash_in", "no_sale": "no_sale", "cash_in": "cash_in", "cash_out": "cash_out"}


def currency_of(ctx: TillContext) -> paper.Currency:
    code = ctx.config.store.currency
    return paper.Currency(code=code, exponent=CURRENCY_EXPONENTS[code], symbol=SYMBOLS.get(code, code + " "))


def _language(ctx: TillContext) -> str:
    return "zh-CN" if ctx.config.store.locale.startswith("zh") else "en"


def _local(ctx: TillContext, value):
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(ctx.config.store.timezone))


def _mask(card_no: str) -> str:
    return "****" + card_no[-4:]


def sale_receipt(ctx: TillContext, sale_uuid: str) -> paper.Receipt:
    """The printed form of a completed sale."""
    sale = Sale.get_by_id(sale_uuid)
    language = _language(ctx)
    labels = METHOD_LABELS[language]
    sale_lines = sales.lines_of(sale)
    lines = []
    for line in sale_lines:
        adjustments = []
        if line.promo_discount:
            adjustments.append(paper.Adjustment("促销" if language == "zh-CN" else "Promotion", -line.promo_discount))
        if line.line_discount:
            adjustments.append(paper.Adjustment("折扣" if language == "zh-CN" else "Discount", -line.line_discount))
        lines.append(paper.ReceiptLine(name=line.name, qty_milli=line.qty_milli, unit_price=line.unit_price,
                                       amount=line.gross, unit=line.unit, adjustments=tuple(adjustments),
                                       sku=line.sku))
    order_level = []
    for label_zh, label_en, amount in (("满减", "Spend & save", sale.promo_discount),
                                       ("会员折扣", "Member discount", sale.member_discount),
                                       ("积分抵扣", "Points", sale.points_discount)):
        if amount:
            order_level.append(paper.Adjustment(label_zh if language == "zh-CN" else label_en, -amount))
    manual_order = (sum(line.order_discount for line in sale_lines) - sale.promo_discount - sale.member_discount
                    - sale.points_discount)
    if manual_order:
        order_level.append(paper.Adjustment("整单折扣" if language == "zh-CN" else "Order discount", -manual_order))
    payments = [paper.Payment(labels[p.method], p.tendered, p.reference or "")
                for p in Payment.select().where(Payment.sale == sale.uuid).order_by(Payment.id)]
    member = None
    if sale.member_id is not None:
        member_row = sale.member
        member = paper.Member(card_no=_mask(member_row.card_no), tier=member_row.tier_id,
                              points_earned=sale.points_earned, points_balance=member_row.points)
    return paper.Receipt(
        sale_id=sale.uuid, receipt_no=sale.receipt_no, created_at=_local(ctx, sale.completed_at),
        store=paper.StoreHeader(name=ctx.config.store.name), cashier=sale.cashier.name,
        lines=tuple(lines), subtotal=sale.subtotal, total=sale.total + sale.rounding,
        payments=tuple(payments), change=sale.change, promotions=tuple(order_level),
        taxes=tuple(paper.TaxLine("增值税" if language == "zh-CN" else "Tax", band["rate_bp"], band["taxable"],
                                  band["tax"])
                    for band in tax_bands([(line.tax_rate_bp, line.net, line.tax) for line in sale_lines],
                                          sale.tax_mode)),
        tax_included=sale.tax_mode == "inclusive", member=member,
        footer=("谢谢惠顾，欢迎再次光临",) if language == "zh-CN" else ("Thank you for shopping with us",),
        currency=currency_of(ctx), language=language)


def receipt_on_completion(ctx: TillContext, sale_uuid: str) -> paper.Receipt | None:
    """What prints when a sale completes: its receipt, or nothing when the customer declined
    it. The choice is read from the sale in the database, so it holds across a restart."""
    row = ctx.sql("SELECT receipt_wanted FROM sale WHERE uuid = ?", (sale_uuid,)).fetchone()
    if row is not None and not row[0]:
        return None
    return sale_receipt(ctx, sale_uuid)


def refund_receipt(ctx: TillContext, refund_uuid: str) -> paper.Receipt:
    refund = Refund.get_by_id(refund_uuid)
    view = refunds.refund_view(refund)
    labels = METHOD_LABELS[_language(ctx)]
    return paper.Receipt(
        sale_id=refund.uuid, receipt_no=refund.number, created_at=_local(ctx, refund.created_at),
        store=paper.StoreHeader(name=ctx.config.store.name), cashier=refund.cashier.name,
        lines=tuple(paper.ReceiptLine(name=line["name"], qty_milli=-line["qty_milli"], unit_price=0,
                                      amount=-line["amount"], sku=line["sku"]) for line in view["lines"]),
        subtotal=-refund.total, total=-refund.payout,
        payments=tuple(paper.Payment(labels[p["method"]], -p["amount"]) for p in view["payments"]),
        currency=currency_of(ctx), language=_language(ctx), kind="refund",
        original_receipt_no=refund.sale.receipt_no if refund.sale_id else "")


class TillHardware:
    def __init__(self, ctx: TillContext, devices: hw_drivers.Devices):
        self.ctx = ctx
        self.devices = devices
        self._printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="print")
        self._scan_lock = threading.Lock()
        #: code -> True when a screen other than the sale took the scan (returns, stock take);
        #: set by the kiosk, which knows which screen is in front
        self.divert_scan = None

    def start(self) -> None:
        self.ctx.events.subscribe("*", self._on_event)
        self.devices.scanner.on_scan.add(self._on_scan)
        for device in self.devices.all():
            self._record_status(device.status)
            device.on_status.add(self._record_status)
        self.devices.start()
        self.devices.display.show_idle()

    def _record_status(self, status) -> None:
        """Keep each device's state in the database: the sync agent reports it to head office."""
        from .sync.status import record_device_state

        with self.ctx.db.connection_context():
            record_device_state(self.ctx, status.kind, available=status.available, backend=status.backend,
                                message=status.message)

    def stop(self) -> None:
        self.devices.stop()
        self._printing.shutdown(wait=True)

    def holds_next_sale(self) -> bool:
        """With `[kiosk] drawer_must_close`: the drawer (with a sensor) is open and no sale is
        open, so the next one may not start yet. Needs a database connection."""
        if not self.ctx.config.kiosk.drawer_must_close or self.devices.drawer.is_open is not True:
            return False
        return sales.current_sale(self.ctx) is None  # an open sale goes on

    def statuses(self) -> list[dict]:
        return [{"kind": s.kind, "backend": s.backend, "available": s.available, "message": s.message}
                for s in self.devices.statuses().values()]

    # -- scans

    def _current_actor(self) -> auth.Actor | None:
        session = (TillSession.select().where(TillSession.ended_at.is_null())
                   .order_by(TillSession.created_at.desc()).first())
        if session is None:
            return None
        try:
            return auth.resolve_session(self.ctx, session.token)
        except TillError:
            return None

    def _on_scan(self, scan) -> None:
        """On the scanner's thread: put the code in the open sale. The driver layer already
        beeped for a good read; a code the till refuses gets the error beep. A screen
        that takes scans itself (the returns screen, a stock take) gets the code instead."""
        if self.divert_scan is not None and self.divert_scan(scan.code):
            return
        with self._scan_lock, self.ctx.db.connection_context():
            actor = self._current_actor()
            if actor is None:
                self.devices.buzzer.error()
                self.ctx.events.emit("scan.rejected", code=scan.code, message="log in before scanning")
                return
            try:
                if self.holds_next_sale():
                    raise Conflict(DRAWER_OPEN, code="drawer_open")
                sale = sales.start_sale(self.ctx, actor)
                sales.add_item(self.ctx, actor, sale.uuid, code=scan.code)
            except TillError as error:
                self.devices.buzzer.error()
                self.ctx.events.emit("scan.rejected", code=scan.code, message=error.message, error=error.code)

    # -- till events

    def _on_event(self, name: str, payload: dict) -> None:
        display, drawer = self.devices.display, self.devices.drawer
        if name == "sale.line_added":
            display.show_item(payload["name"], payload["unit_price"], qty_milli=payload["qty_milli"],
                              unit=payload["unit"], amount=payload["amount"], sku=payload["sku"])
        elif name == "sale.completed":
            if payload["cash"]:
                drawer.kick("sale")
            display.show_payment(payload["paid"] + payload["change"], payload["change"])
            self._print(receipt_on_completion, payload["sale_uuid"])
        elif name == "refund.completed":
            if payload["cash"]:
                drawer.kick("refund")
            self._print(refund_receipt, payload["refund_uuid"])
        elif name == "drawer.kick":
            drawer.kick(DRAWER_REASONS[payload["reason"]])

    def _print(self, build, record_uuid: str) -> None:
        def job():
            with self.ctx.db.connection_context():
                try:
                    receipt = build(self.ctx, record_uuid)
                    if receipt is not None:  # None: nothing to print (the customer declined it)
                        self.devices.printer.print_receipt(receipt)
                except Exception:  # a print problem is logged and queued, never undoes the sale
                    log.exception("printing %s failed", record_uuid)
        self._printing.submit(job)

    def reprint(self, sale_uuid: str):
        return self.devices.printer.reprint(sale_receipt(self.ctx, sale_uuid))

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the print jobs handed over so far have run (tests, shutdown)."""
        self._printing.submit(lambda: None).result(timeout=timeout)


def init_app(app, ctx: TillContext, devices: hw_drivers.Devices | None = None) -> TillHardware:
    """Build the devices from the till's [hardware] config, wire them, add their API."""
    from flask import Blueprint, jsonify

    from .api.common import actor
    from .services.sales import get_sale

    if devices is None:
        devices = hw_drivers.build_devices(ctx.config.hardware, spool_dir=ctx.config.data_dir / "print-spool")
    hardware = TillHardware(ctx, devices)
    hardware.start()
    app.extensions["fleetpos.hardware"] = hardware
    bp = Blueprint("hardware", __name__, url_prefix="/api")

    @bp.get("/devices")
    def device_states():
        actor()
        return jsonify({"devices": hardware.statuses(), "drawer_open": devices.drawer.is_open,
                        "print_queue": [{"id": job.id, "title": job.title, "message": job.last_error}
                                        for job in devices.printer.pending_jobs()]})

    @bp.post("/sales/<sale_uuid>/reprint")
    def reprint(sale_uuid):
        actor()
        sale = get_sale(ctx, sale_uuid)
        if sale.status != "completed":
            raise TillError("only a completed sale has a receipt to reprint", code="sale_not_completed")
        job = hardware.reprint(sale.uuid)
        return jsonify({"job": {"id": job.id, "state": job.state}})

    @bp.post("/printer/retry")
    def retry():
        actor()
        return jsonify({"printed": devices.printer.retry_pending()})

    app.register_blueprint(bp)
    return hardware
