"""Taking payment and completing the sale.

Cash may be more than is due (the difference is change) and, where the store rounds
cash, the cash due is rounded to the store's step when the cash payment settles the
sale. Card and QR wallets (WeChat Pay, Alipay) are taken on an external terminal; the
cashier confirms each with the terminal's reference, and they can never exceed what
is due. Several payments make a split tender. The payment that settles the sale and
the completion are one transaction: receipt number, stock moves, audit entry and the
outbox row for head office commit together or not at all.
"""

from __future__ import annotations

import json

from ..context import TillContext
from ..errors import Conflict, ValidationError
from ..models import Payment, Sale
from ..money import check_amount, round_to_increment
from .auth import Actor, Override, authorize
from .records import audit, db_time, enqueue, iso, new_uuid, next_number
from . import members
from .stock import add_moves, check_available
from .views import tax_bands
from .sales import get_sale, has_lines, open_shift_uuid

METHODS = ("cash", "card", "wechat", "alipay")
EXTERNAL_METHODS = ("card", "wechat", "alipay")


def remaining_due(sale: Sale) -> int:
    return sale.total - sale.paid


def cash_due(ctx: TillContext, sale: Sale) -> int:
    """What the customer pays if the rest is paid in cash (after cash rounding)."""
    return round_to_increment(remaining_due(sale), ctx.config.store.cash_rounding)


def add_payment(ctx: TillContext, actor: Actor, sale_uuid: str, method: str, amount: int,
                reference: str | None = None) -> tuple[Sale, Payment]:
    """Record a payment; complete the sale when it is fully paid. Returns (sale, payment)."""
    authorize(ctx, actor, "sale.sell")
    if method not in METHODS:
        raise ValidationError(f"payment method must be one of {', '.join(METHODS)}, not {method!r}",
                              code="invalid_method")
    check_amount(amount, "payment amount")
    if method in EXTERNAL_METHODS:
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 64:
            raise ValidationError(f"a {method} payment needs the terminal's reference (1-64 characters)",
                                  code="reference_required")
        reference = reference.strip()
    elif reference is not None and (not isinstance(reference, str) or len(reference) > 64):
        raise ValidationError("a reference is at most 64 characters", code="invalid")
    with ctx.transaction():
        sale = get_sale(ctx, sale_uuid)
        if sale.status != "open":
            raise Conflict(f"sale is {sale.status}: it cannot take a payment", code=f"sale_{sale.status}")
        shift_uuid = open_shift_uuid(ctx)
        if not has_lines(ctx, sale.uuid):
            raise Conflict("the sale has no lines to pay for", code="sale_empty")
        remaining = remaining_due(sale)
        rounding = 0
        if method == "cash":
            due = cash_due(ctx, sale)
            if amount >= due:
                applied, rounding = due, due - remaining
            elif amount == 0:
                raise ValidationError("a cash payment must be more than zero", code="invalid_amount")
            else:
                applied = amount
        else:
            if amount == 0:
                raise ValidationError(f"a {method} payment must be more than zero", code="invalid_amount")
            if amount > remaining:
                raise ValidationError(f"{method} payment {amount} is more than the {remaining} still due",
                                      code="overpayment")
            applied = amount
        now = ctx.clock()
        payment = Payment(uuid=new_uuid(), sale=sale.uuid, shift=shift_uuid, method=method, amount=applied,
                          tendered=amount, reference=reference, cashier=actor.cashier.id, created_at=now)
        payment.id = ctx.sql(
            "INSERT INTO payment (uuid, sale_id, shift_id, method, amount, tendered, reference, cashier_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (payment.uuid, sale.uuid, shift_uuid, method, applied, amount, reference, actor.cashier.id,
             db_time(now))).lastrowid
        sale.paid += applied
        if sale.paid >= sale.total + rounding:
            _complete(ctx, actor, sale, shift_uuid, rounding=rounding, change=amount - applied)
        else:
            sale.updated_at = now
            ctx.publish("sale.changed", sale_uuid=sale.uuid, total=sale.total)
            ctx.sql("UPDATE sale SET paid = ?, updated_at = ? WHERE uuid = ?",
                               (sale.paid, db_time(now), sale.uuid))
    return sale, payment


def remove_payment(ctx: TillContext, actor: Actor, sale_uuid: str, payment_id: int,
                   override: Override | None = None) -> Sale:
    """Take back a payment of a sale not yet completed (a card that was keyed in wrong)."""
    approver = authorize(ctx, actor, "payment.remove", override)
    with ctx.transaction():
        sale = get_sale(ctx, sale_uuid)
        if sale.status != "open":
            raise Conflict(f"sale is {sale.status}: its payments cannot change", code=f"sale_{sale.status}")
        payment = Payment.get_or_none((Payment.id == payment_id) & (Payment.sale == sale.uuid))
        if payment is None:
            raise ValidationError(f"no payment {payment_id} in this sale", code="payment_not_found")
        audit(ctx, "payment.remove", cashier=actor.cashier, approved_by=approver, subject=sale.uuid,
              method=payment.method, amount=payment.amount, reference=payment.reference)
        payment.delete_instance()
        sale.paid -= payment.amount
        sale.updated_at = ctx.clock()
        sale.save()
        ctx.publish("sale.changed", sale_uuid=sale.uuid, total=sale.total)
    return sale


_LINE_RECORD = ("id", "position", "product_id", "category_id", "sku", "name", "unit", "barcode", "qty_milli",
                "list_price", "unit_price", "price_source", "discount_kind", "discount_value", "tax_class",
                "tax_rate_bp", "cost_price", "gross", "promo_discount", "line_discount", "order_discount", "net", "tax",
                "promotions")
_LINE_RECORD_SQL = f"SELECT {', '.join(_LINE_RECORD)} FROM sale_line WHERE sale_id = ? ORDER BY position"


def _complete(ctx: TillContext, actor: Actor, sale: Sale, shift_uuid: str, *, rounding: int, change: int) -> None:
    """Inside the settling payment's transaction: freeze the sale and write what follows."""
    now = ctx.clock()
    stamp = db_time(now)
    lines = [dict(zip(_LINE_RECORD, row)) for row in ctx.sql(_LINE_RECORD_SQL, (sale.uuid,))]
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line["product_id"]] = wanted.get(line["product_id"], 0) + line["qty_milli"]
    check_available(ctx, wanted)
    member = members.settle_sale(ctx, sale) if sale.member_id is not None else None
    number = next_number(ctx, f"receipt:{ctx.device_id}")
    sale.receipt_no = f"{ctx.device_id}-{number:06d}"
    sale.status = "completed"
    sale.completed_at = sale.updated_at = now
    sale.shift = shift_uuid
    sale.rounding = rounding
    sale.change = change
    sale.cashier = actor.cashier
    ctx.sql("UPDATE sale SET status = 'completed', receipt_no = ?, completed_at = ?, updated_at = ?, shift_id = ?, "
            "rounding = ?, paid = ?, change = ?, cashier_id = ?, points_earned = ? WHERE uuid = ?",
            (sale.receipt_no, stamp, stamp, shift_uuid, rounding, sale.paid, change, actor.cashier.id,
             sale.points_earned, sale.uuid))
    moves = add_moves(ctx, [(line["product_id"], -line["qty_milli"], "sale", sale.uuid, None, None) for line in lines],
                      skus={line["product_id"]: line["sku"] for line in lines})
    audit(ctx, "sale.complete", cashier=actor.cashier, subject=sale.uuid, receipt_no=sale.receipt_no,
          total=sale.total, paid=sale.paid)
    record = sale_record(ctx, sale, lines, moves, member)
    enqueue(ctx, "sale", sale.uuid, record)
    ctx.publish("sale.completed", sale_uuid=sale.uuid, receipt_no=sale.receipt_no, change=sale.change,
                paid=sale.paid, cash=any(p["method"] == "cash" for p in record["payments"]))


def sale_record(ctx: TillContext, sale: Sale, lines: list[dict], moves: list[dict], member: dict | None) -> dict:
    """The completed sale as head office stores it (outbox payload, docs/api.md)."""
    pays = ctx.sql("SELECT uuid, method, amount, tendered, reference, created_at FROM payment "
                   "WHERE sale_id = ? ORDER BY id", (sale.uuid,)).fetchall()
    for line in lines:
        kind, value = line.pop("discount_kind"), line.pop("discount_value")
        line["discount"] = {"kind": kind, "value": value} if kind else None
        line["promotions"] = json.loads(line["promotions"]) if line["promotions"] else []
    return {
        "receipt_no": sale.receipt_no,
        "shift_uuid": sale.shift_id,
        "cashier": sale.cashier.code,
        "created_at": iso(sale.created_at),
        "completed_at": iso(sale.completed_at),
        "currency": sale.currency,
        "tax_mode": sale.tax_mode,
        "order_discount": ({"kind": sale.order_discount_kind, "value": sale.order_discount_value}
                           if sale.order_discount_kind else None),
        "subtotal": sale.subtotal, "discount_total": sale.discount_total, "tax_total": sale.tax_total,
        "total": sale.total, "rounding": sale.rounding, "paid": sale.paid, "change": sale.change,
        "lines": lines,
        "payments": [{"uuid": p[0], "method": p[1], "amount": p[2], "tendered": p[3], "reference": p[4],
                      "at": p[5].replace(" ", "T") + "Z"} for p in pays],
        "tax_bands": tax_bands([(line["tax_rate_bp"], line["net"], line["tax"]) for line in lines], sale.tax_mode),
        "promo_discount": sale.promo_discount, "member_discount": sale.member_discount,
        "points_discount": sale.points_discount, "member": member,
        "stock_moves": [{"uuid": m["uuid"], "product_id": m["product_id"], "sku": m["sku"], "qty_milli": m["qty_milli"]}
                        for m in moves],
    }
