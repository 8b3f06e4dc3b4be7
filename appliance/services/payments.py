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

from ..context import TillContext
from ..errors import Conflict, ValidationError
from ..models import Payment, Sale, SaleLine, StockMove
from ..money import check_amount, round_to_increment
from .auth import Actor, Override, authorize
from .records import audit, enqueue, new_uuid, next_number
from .sales import get_sale, lines_of, require_open_shift

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
        shift = require_open_shift(ctx)
        if not SaleLine.select().where(SaleLine.sale == sale.uuid).exists():
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
        payment = Payment.create(uuid=new_uuid(), sale=sale.uuid, shift=shift.uuid, method=method,
                                 amount=applied, tendered=amount, reference=reference, cashier=actor.cashier,
                                 created_at=ctx.clock())
        sale.paid += applied
        if sale.paid >= sale.total + rounding:
            _complete(ctx, actor, sale, shift, rounding=rounding, change=amount - applied)
        else:
            sale.updated_at = ctx.clock()
            sale.save()
    if sale.status == "completed":
        ctx.events.emit("sale.completed", sale_uuid=sale.uuid, receipt_no=sale.receipt_no,
                        change=sale.change, cash=any(p.method == "cash" for p in sale.payments))
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
    return sale


def _complete(ctx: TillContext, actor: Actor, sale: Sale, shift, *, rounding: int, change: int) -> None:
    """Inside the settling payment's transaction: freeze the sale and write what follows."""
    now = ctx.clock()
    number = next_number(ctx, f"receipt:{ctx.device_id}")
    sale.receipt_no = f"{ctx.device_id}-{number:06d}"
    sale.status = "completed"
    sale.completed_at = sale.updated_at = now
    sale.shift = shift.uuid
    sale.rounding = rounding
    sale.change = change
    sale.cashier = actor.cashier
    sale.save()
    lines = lines_of(sale)
    moves = [{"uuid": new_uuid(), "product": line.product_id, "qty_milli": -line.qty_milli, "kind": "sale",
              "reference": sale.uuid, "created_at": now} for line in lines]
    if moves:
        StockMove.insert_many(moves).execute()
    audit(ctx, "sale.complete", cashier=actor.cashier, subject=sale.uuid, receipt_no=sale.receipt_no,
          total=sale.total, paid=sale.paid)
    enqueue(ctx, "sale", sale.uuid, sale_record(sale, lines, moves))


def sale_record(sale: Sale, lines: list[SaleLine], moves: list[dict]) -> dict:
    """The completed sale as head office stores it (outbox payload, docs/api.md)."""
    from .views import tax_bands

    return {
        "receipt_no": sale.receipt_no,
        "shift_uuid": sale.shift_id,
        "cashier": sale.cashier.code,
        "created_at": sale.created_at.isoformat() + "Z",
        "completed_at": sale.completed_at.isoformat() + "Z",
        "currency": sale.currency,
        "tax_mode": sale.tax_mode,
        "order_discount": ({"kind": sale.order_discount_kind, "value": sale.order_discount_value}
                           if sale.order_discount_kind else None),
        "subtotal": sale.subtotal, "discount_total": sale.discount_total, "tax_total": sale.tax_total,
        "total": sale.total, "rounding": sale.rounding, "paid": sale.paid, "change": sale.change,
        "lines": [{
            "position": line.position, "product_id": line.product_id, "sku": line.sku, "name": line.name,
            "unit": line.unit, "barcode": line.barcode, "qty_milli": line.qty_milli,
            "list_price": line.list_price, "unit_price": line.unit_price, "price_source": line.price_source,
            "discount": {"kind": line.discount_kind, "value": line.discount_value} if line.discount_kind else None,
            "tax_class": line.tax_class, "tax_rate_bp": line.tax_rate_bp, "cost_price": line.cost_price,
            "gross": line.gross, "line_discount": line.line_discount, "order_discount": line.order_discount,
            "net": line.net, "tax": line.tax,
        } for line in lines],
        "payments": [{"uuid": p.uuid, "method": p.method, "amount": p.amount, "tendered": p.tendered,
                      "reference": p.reference, "at": p.created_at.isoformat() + "Z"}
                     for p in Payment.select().where(Payment.sale == sale.uuid).order_by(Payment.id)],
        "tax_bands": tax_bands(lines, sale.tax_mode),
        "stock_moves": [{"uuid": m["uuid"], "product_id": m["product"], "qty_milli": m["qty_milli"]}
                        for m in moves],
    }
