"""JSON shapes of the till's records, shared by the API and the outbox."""

from __future__ import annotations

from collections import defaultdict

from .. import rows
from ..context import TillContext
from ..models import Payment, Sale, SaleLine


def _iso(value):
    return value.isoformat() + "Z" if value else None


def tax_bands(figures, tax_mode: str) -> list[dict]:
    """Tax summary for a receipt from (rate_bp, net, tax) per line: per rate, what was
    paid, the amount without tax, and the tax."""
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for rate_bp, net, tax in figures:
        bands[rate_bp][0] += net
        bands[rate_bp][1] += tax
    return [{"rate_bp": rate, "net": net, "tax": tax,
             "taxable": net - tax if tax_mode == "inclusive" else net}
            for rate, (net, tax) in sorted(bands.items())]


def line_view(line: SaleLine) -> dict:
    return {
        "id": line.id, "position": line.position, "product_id": line.product_id, "sku": line.sku,
        "name": line.name, "unit": line.unit, "barcode": line.barcode, "qty_milli": line.qty_milli,
        "list_price": line.list_price, "unit_price": line.unit_price, "price_source": line.price_source,
        "discount": {"kind": line.discount_kind, "value": line.discount_value} if line.discount_kind else None,
        "tax_class": line.tax_class, "tax_rate_bp": line.tax_rate_bp,
        "gross": line.gross, "line_discount": line.line_discount, "order_discount": line.order_discount,
        "net": line.net, "tax": line.tax, "promo_discount": line.promo_discount,
        "promotions": line.promotions or [],
    }


def sale_view(ctx: TillContext, sale: Sale) -> dict:
    from .payments import cash_due, remaining_due
    from .sales import lines_of

    lines = lines_of(sale)
    payments = rows.select(ctx.db, Payment, "WHERE sale_id = ? ORDER BY id", (sale.uuid,))
    cashier_code, cashier_name = ctx.sql("SELECT code, name FROM cashier WHERE id = ?", (sale.cashier_id,)).fetchone()
    member = (ctx.sql("SELECT card_no, name, tier_id, points FROM member WHERE id = ?", (sale.member_id,)).fetchone()
              if sale.member_id else None)
    is_open = sale.status == "open"
    return {
        "uuid": sale.uuid, "status": sale.status, "receipt_no": sale.receipt_no,
        "device_id": sale.device_id, "shift_uuid": sale.shift_id,
        "cashier": {"code": cashier_code, "name": cashier_name},
        "currency": sale.currency, "tax_mode": sale.tax_mode,
        "order_discount": ({"kind": sale.order_discount_kind, "value": sale.order_discount_value}
                           if sale.order_discount_kind else None),
        "lines": [line_view(line) for line in lines],
        "payments": [{"id": p.id, "uuid": p.uuid, "method": p.method, "amount": p.amount,
                      "tendered": p.tendered, "reference": p.reference, "at": _iso(p.created_at)}
                     for p in payments],
        "subtotal": sale.subtotal, "discount_total": sale.discount_total, "tax_total": sale.tax_total,
        "total": sale.total, "rounding": sale.rounding, "paid": sale.paid, "change": sale.change,
        "remaining": remaining_due(sale) if is_open else 0,
        "cash_due": cash_due(ctx, sale) if is_open else 0,
        "tax_bands": tax_bands([(line.tax_rate_bp, line.net, line.tax) for line in lines], sale.tax_mode),
        "promo_discount": sale.promo_discount, "member_discount": sale.member_discount,
        "points_redeemed": sale.points_redeemed, "points_discount": sale.points_discount,
        "promotions": sale.promotions or [], "receipt_wanted": sale.receipt_wanted,
        "member": dict(zip(("card_no", "name", "tier", "points"), member)) if member else None,
        "created_at": _iso(sale.created_at), "parked_at": _iso(sale.parked_at),
        "completed_at": _iso(sale.completed_at),
    }
