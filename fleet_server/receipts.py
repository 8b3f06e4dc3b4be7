"""A sale or refund as its till printed it, rebuilt at head office from the record.

The till's records carry no receipt bytes, so head office lays the receipt out again
from the sale record with the same receipt model and renderer as the till
(`hw_drivers.receipt`, `hw_drivers.render`: shared code that imports neither the till
nor head office), in the same way the till builds it (appliance/hardware.py). What the
record does not say is taken from head office: the store's name, the cashier's name
(from the store's cashier accounts), and the store's locale and time zone (as its till
reports them, or as set for the store in the console; the tills' defaults zh-CN and
Asia/Shanghai when head office knows neither) unless the caller asks for others.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hw_drivers import receipt as paper
from hw_drivers.render import ReceiptRenderer

from fleetpos import messages

from .models import STORE_DEFAULTS, Store, StoreCashier
from .sales import get_record

METHOD_LABELS = {"zh-CN": {"cash": "现金", "card": "银行卡", "wechat": "微信支付", "alipay": "支付宝"},
                 "en": {"cash": "Cash", "card": "Card", "wechat": "WeChat Pay", "alipay": "Alipay"}}
SYMBOLS = {"CNY": "¥", "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
ZERO_DECIMALS = {"JPY", "KRW", "VND", "TWD_CASH"}


def _currency(code: str) -> paper.Currency:
    code = code or "CNY"
    return paper.Currency(code=code, exponent=0 if code in ZERO_DECIMALS else 2, symbol=SYMBOLS.get(code, code + " "))


def _mask(card_no: str) -> str:
    return "****" + card_no[-4:]


def _cashier_name(store_id: str, code: str) -> str:
    row = StoreCashier.get_or_none((StoreCashier.store == store_id) & (StoreCashier.code == code))
    return row.name if row else code


def _store_header(store: Store | None, store_id: str) -> paper.StoreHeader:
    return paper.StoreHeader(name=store.name if store else store_id)


def sale_receipt(record: dict, *, language: str = "zh-CN", timezone: str = "Asia/Shanghai",
                 store: Store | None = None) -> paper.Receipt:
    zh = language == "zh-CN"
    labels = METHOD_LABELS["zh-CN" if zh else "en"]
    lines = []
    for line in record.get("lines") or []:
        adjustments = []
        if line.get("promo_discount"):
            adjustments.append(paper.Adjustment("促销" if zh else "Promotion", -line["promo_discount"]))
        if line.get("line_discount"):
            adjustments.append(paper.Adjustment("折扣" if zh else "Discount", -line["line_discount"]))
        lines.append(paper.ReceiptLine(name=line["name"], qty_milli=line["qty_milli"], unit_price=line["unit_price"],
                                       amount=line["gross"], unit=line.get("unit") or "each",
                                       adjustments=tuple(adjustments), sku=line["sku"]))
    order_level = []
    for label_zh, label_en, key in (("满减", "Spend & save", "promo_discount"),
                                    ("会员折扣", "Member discount", "member_discount"),
                                    ("积分抵扣", "Points", "points_discount")):
        if record.get(key):
            order_level.append(paper.Adjustment(label_zh if zh else label_en, -record[key]))
    manual = (sum(line.get("order_discount", 0) for line in record.get("lines") or [])
              - (record.get("promo_discount") or 0) - (record.get("member_discount") or 0)
              - (record.get("points_discount") or 0))
    if manual:
        order_level.append(paper.Adjustment("整单折扣" if zh else "Order discount", -manual))
    payments = [paper.Payment(labels.get(p["method"], p["method"]), p.get("tendered") or p["amount"],
                              p.get("reference") or "") for p in record.get("payments") or []]
    member = None
    if isinstance(record.get("member"), dict) and record["member"].get("card_no"):
        m = record["member"]
        member = paper.Member(card_no=_mask(m["card_no"]), tier=m.get("tier") or "",
                              points_earned=m.get("points_earned") or 0, points_balance=m.get("points") or 0)
    when = messages.parse_utc(record["completed_at"], "completed_at")
    return paper.Receipt(
        sale_id=record["uuid"], receipt_no=record.get("receipt_no") or "",
        created_at=when.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(timezone)),
        store=_store_header(store, record["store_id"]),
        cashier=_cashier_name(record["store_id"], record.get("cashier", "")),
        lines=tuple(lines), subtotal=record.get("subtotal", 0), total=record["total"] + (record.get("rounding") or 0),
        payments=tuple(payments), change=record.get("change") or 0, promotions=tuple(order_level),
        taxes=tuple(paper.TaxLine("增值税" if zh else "Tax", band["rate_bp"], band["taxable"], band["tax"])
                    for band in record.get("tax_bands") or []),
        tax_included=record.get("tax_mode", "inclusive") == "inclusive", member=member,
        footer=("谢谢惠顾，欢迎再次光临",) if zh else ("Thank you for shopping with us",),
        currency=_currency(record.get("currency")), language="zh-CN" if zh else "en")


def refund_receipt(record: dict, *, language: str = "zh-CN", timezone: str = "Asia/Shanghai",
                   store: Store | None = None) -> paper.Receipt:
    zh = language == "zh-CN"
    labels = METHOD_LABELS["zh-CN" if zh else "en"]
    when = messages.parse_utc(record["at"], "at")
    return paper.Receipt(
        sale_id=record["uuid"], receipt_no=record.get("number") or "",
        created_at=when.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(timezone)),
        store=_store_header(store, record["store_id"]),
        cashier=_cashier_name(record["store_id"], record.get("cashier", "")),
        lines=tuple(paper.ReceiptLine(name=line["name"], qty_milli=-line["qty_milli"], unit_price=0,
                                      amount=-line["amount"], sku=line["sku"]) for line in record.get("lines") or []),
        subtotal=-record["total"], total=-record.get("payout", record["total"]),
        payments=tuple(paper.Payment(labels.get(p["method"], p["method"]), -p["amount"])
                       for p in record.get("payments") or []),
        currency=_currency(record.get("currency")), language="zh-CN" if zh else "en", kind="refund",
        original_receipt_no=record.get("receipt_no") or "")


def receipt_language(locale: str) -> str:
    """The receipt language for a locale: the tills print zh-CN or English."""
    return "zh-CN" if locale.startswith("zh") else "en"


def _options(store: Store | None) -> dict:
    """The language and time zone a store's receipts are printed in."""
    locale = store.effective_locale if store else STORE_DEFAULTS["locale"]
    timezone = store.effective_timezone if store else STORE_DEFAULTS["timezone"]
    return {"language": receipt_language(locale), "timezone": timezone}


def receipt_of(record: dict, *, language: str | None = None, timezone: str | None = None) -> paper.Receipt:
    """The receipt of a sale or refund record (`sales.get_record`), in the store's language
    and time zone unless `language`/`timezone` say otherwise (`.language` says which)."""
    store = Store.get_or_none(Store.id == record.get("store_id", ""))
    defaults = _options(store)
    build = sale_receipt if record["kind"] == "sale" else refund_receipt
    return build(record, language=language or defaults["language"], timezone=timezone or defaults["timezone"],
                 store=store)


def render_receipt(receipt: paper.Receipt, *, paper_width_mm: int = 80):
    """A receipt laid out as its till reprints it (`.text`, `.png()`)."""
    return ReceiptRenderer(paper_width_mm=paper_width_mm).receipt(receipt, reprint=True)


def render(record_uuid: str, *, language: str | None = None, timezone: str | None = None, paper_width_mm: int = 80):
    """The laid-out receipt of a stored sale or refund (`.text`, `.png()`), in the store's
    language and time zone unless `language`/`timezone` say otherwise."""
    receipt = receipt_of(get_record(record_uuid), language=language, timezone=timezone)
    return render_receipt(receipt, paper_width_mm=paper_width_mm)
