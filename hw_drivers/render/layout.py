"""Where each part of a receipt or report goes: store header, items, totals, codes."""

from __future__ import annotations

from ..receipt import Receipt, Report, format_qty
from .document import Composer, Document
from .labels import labels_for

CODE_KINDS = ("qr", "code128", "none")


def _rate(rate_bp: int) -> str:
    whole, frac = divmod(rate_bp, 100)
    return f"{whole}%" if not frac else f"{whole}.{frac:02d}".rstrip("0") + "%"


def layout_receipt(
    receipt: Receipt, composer: Composer, *, logo=None, code: str = "qr", reprint: bool = False
) -> Document:
    """Lay out `receipt`. `code` "qr" encodes the sale id, "code128" the receipt number."""
    d, labels, money = composer, labels_for(receipt.language), receipt.currency.format
    if logo is not None:
        d.picture(logo)
    d.center(receipt.store.name, bold=True, double=True)
    for line in (receipt.store.address, receipt.store.phone, receipt.store.tax_id):
        if line:
            d.center(line)
    if receipt.kind == "refund":
        d.center(labels.refund, bold=True, double=True)
    if reprint:
        d.center(f"** {labels.reprint} **", bold=True)
    d.rule()
    d.pair(f"{labels.receipt_no}: {receipt.receipt_no}", f"{receipt.created_at:%Y-%m-%d %H:%M}")
    if receipt.original_receipt_no:
        d.line(f"{labels.original_receipt}: {receipt.original_receipt_no}")
    d.line(f"{labels.cashier}: {receipt.cashier}")
    d.rule()
    for item in receipt.lines:
        d.line(item.name)
        price = money(item.unit_price) + ("/kg" if item.unit == "kg" else "")
        d.pair(f"  {format_qty(item.qty_milli, item.unit)} x {price}", money(item.amount))
        for adjustment in item.adjustments:
            d.pair(f"  {adjustment.label}", money(adjustment.amount))
    d.rule()
    d.pair(labels.subtotal, money(receipt.subtotal))
    for promotion in receipt.promotions:
        d.pair(promotion.label, money(promotion.amount))
    d.pair(labels.total, money(receipt.total), bold=True, double=True)
    if receipt.payments:
        d.rule()
        for payment in receipt.payments:
            d.pair(payment.method, money(payment.amount))
        d.pair(labels.change, money(receipt.change))
    if receipt.taxes:
        d.rule()
        for tax in receipt.taxes:
            d.pair(f"{tax.label} {_rate(tax.rate_bp)} ({money(tax.taxable)})", money(tax.tax))
        if receipt.tax_included:
            d.line(labels.tax_included)
    if receipt.member is not None:
        member = receipt.member
        d.rule()
        d.pair(labels.member, member.card_no)
        if member.tier:
            d.pair(labels.tier, member.tier)
        d.pair(labels.points_earned, f"{member.points_earned:+d}")
        d.pair(labels.points_balance, str(member.points_balance))
    d.rule()
    if code == "qr":
        d.code("qr", receipt.sale_id)
    elif code == "code128":
        d.code("code128", receipt.receipt_no)
    d.center(receipt.sale_id)
    for line in receipt.footer:
        d.center(line)
    return d.document()


def layout_report(report: Report, composer: Composer) -> Document:
    """Lay out a label/value report (X and Z reports, shift close summaries)."""
    d = composer
    if report.store is not None:
        d.center(report.store.name, bold=True)
    d.center(report.title, bold=True, double=True)
    if report.subtitle:
        d.center(report.subtitle)
    d.center(f"{report.created_at:%Y-%m-%d %H:%M:%S}")
    d.rule()
    for row in report.rows:
        if row.heading:
            d.line(row.label, bold=True)
        else:
            d.pair(row.label, row.value)
    d.rule()
    for line in report.footer:
        d.center(line)
    return d.document()
