"""Shifts: open with a float, cash in/out, X report (mid-shift), close with a Z report.

The expected cash in the drawer is float + cash taken for sales (after change) +
cash in - cash out. Closing compares what was counted, per method, with what is
expected. A closed shift is immutable (database triggers enforce it too).
"""

from __future__ import annotations

from peewee import fn

from ..context import TillContext
from ..errors import Conflict, NotFound, ValidationError
from ..models import CashMovement, Payment, Sale, SaleLine, Shift
from ..money import check_amount
from .auth import Actor, Override, authorize
from .payments import METHODS
from .records import audit, enqueue, new_uuid, next_number
from .sales import current_shift, require_open_shift


def open_shift(ctx: TillContext, actor: Actor, opening_float: int) -> Shift:
    authorize(ctx, actor, "shift.open")
    check_amount(opening_float, "opening float")
    with ctx.transaction():
        if current_shift(ctx) is not None:
            raise Conflict("a shift is already open on this till: close it first", code="shift_open")
        shift = Shift.create(uuid=new_uuid(), device_id=ctx.device_id,
                             number=next_number(ctx, f"shift:{ctx.device_id}"), opened_by=actor.cashier,
                             opened_at=ctx.clock(), opening_float=opening_float, status="open")
        audit(ctx, "shift.open", cashier=actor.cashier, subject=shift.uuid, number=shift.number,
              opening_float=opening_float)
    ctx.events.emit("drawer.kick", reason="float", shift_uuid=shift.uuid)
    return shift


def get_shift(ctx: TillContext, shift_uuid: str) -> Shift:
    shift = Shift.get_or_none((Shift.uuid == shift_uuid) & (Shift.device_id == ctx.device_id))
    if shift is None:
        raise NotFound(f"no shift {shift_uuid} on this till", code="shift_not_found")
    return shift


def move_cash(ctx: TillContext, actor: Actor, kind: str, amount: int, reason: str,
              override: Override | None = None) -> CashMovement:
    """Cash put into (in) or taken out of (out) the drawer, with a reason."""
    if kind not in ("in", "out"):
        raise ValidationError("cash movement kind must be 'in' or 'out'", code="invalid")
    approver = authorize(ctx, actor, f"shift.cash_{kind}", override)
    check_amount(amount, f"cash {kind}", minimum=1)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise ValidationError("say why the cash goes in or out (1-200 characters)", code="reason_required")
    with ctx.transaction():
        shift = require_open_shift(ctx)
        if kind == "out":
            available = shift_report(ctx, shift)["expected"]["cash"]
            if amount > available:
                raise Conflict(f"only {available} cash is expected in the drawer; cannot take out {amount}",
                               code="not_enough_cash")
        movement = CashMovement.create(uuid=new_uuid(), shift=shift.uuid, kind=kind, amount=amount,
                                       reason=reason.strip(), cashier=actor.cashier, approved_by=approver,
                                       created_at=ctx.clock())
        audit(ctx, f"shift.cash_{kind}", cashier=actor.cashier, approved_by=approver, subject=shift.uuid,
              amount=amount, reason=movement.reason)
    ctx.events.emit("drawer.kick", reason=f"cash_{kind}", shift_uuid=shift.uuid)
    return movement


def shift_report(ctx: TillContext, shift: Shift) -> dict:
    """The X report: what the shift has taken so far and what the drawer should hold."""
    subtotal, discounts, tax, total, rounding, count = [v or 0 for v in (
        Sale.select(fn.SUM(Sale.subtotal), fn.SUM(Sale.discount_total), fn.SUM(Sale.tax_total),
                    fn.SUM(Sale.total), fn.SUM(Sale.rounding), fn.COUNT(Sale.uuid))
        .where((Sale.shift == shift.uuid) & (Sale.status == "completed")).tuples().get())]
    by_method = {method: {"count": 0, "amount": 0} for method in METHODS}
    for method, n, amount in (Payment.select(Payment.method, fn.COUNT(Payment.id), fn.SUM(Payment.amount))
                              .join(Sale).where((Payment.shift == shift.uuid) & (Sale.status == "completed"))
                              .group_by(Payment.method).tuples()):
        by_method[method] = {"count": n, "amount": amount}
    cash_in = sum(m.amount for m in shift.cash_movements if m.kind == "in")
    cash_out = sum(m.amount for m in shift.cash_movements if m.kind == "out")
    bands = {}
    for rate, net, tax_sum in (SaleLine.select(SaleLine.tax_rate_bp, fn.SUM(SaleLine.net), fn.SUM(SaleLine.tax))
                               .join(Sale).where((Sale.shift == shift.uuid) & (Sale.status == "completed"))
                               .group_by(SaleLine.tax_rate_bp).tuples()):
        bands[rate] = {"rate_bp": rate, "net": net, "tax": tax_sum}
    refunded = {method: 0 for method in METHODS}
    for method, amount in ctx.sql("SELECT p.method, SUM(p.amount) FROM refund_payment p JOIN refund r "
                                  "ON r.uuid = p.refund_id WHERE r.shift_id = ? GROUP BY p.method", (shift.uuid,)):
        refunded[method] = amount
    refunds_count, refunds_payout = ctx.sql("SELECT COUNT(*), COALESCE(SUM(payout), 0) FROM refund WHERE shift_id = ?",
                                            (shift.uuid,)).fetchone()
    expected = {method: by_method[method]["amount"] - refunded[method] for method in METHODS}
    expected["cash"] += shift.opening_float + cash_in - cash_out
    voided = Sale.select().where((Sale.shift == shift.uuid) & (Sale.status == "voided")).count()
    return {
        "shift_uuid": shift.uuid, "number": shift.number, "device_id": shift.device_id,
        "currency": ctx.config.store.currency,
        "opened_by": shift.opened_by.code, "opened_at": shift.opened_at.isoformat() + "Z",
        "opening_float": shift.opening_float,
        "sales_count": count, "voided_count": voided,
        "subtotal": subtotal, "discount_total": discounts, "tax_total": tax, "total": total,
        "rounding": rounding, "takings": total + rounding,
        "payments": by_method, "cash_in": cash_in, "cash_out": cash_out,
        "refunds_count": refunds_count, "refunds_payout": refunds_payout, "refunds_by_method": refunded,
        "tax_bands": [bands[rate] for rate in sorted(bands)],
        "expected": expected,
    }


def x_report(ctx: TillContext, actor: Actor) -> dict:
    authorize(ctx, actor, "shift.x_report")
    return shift_report(ctx, require_open_shift(ctx))


def _counted(counted) -> dict[str, int]:
    """Counted amounts per method; cash may be given per denomination."""
    if not isinstance(counted, dict) or "cash" not in counted:
        raise ValidationError("give the counted amounts per method; cash is required", code="count_required")
    result = {}
    for method, value in counted.items():
        if method not in METHODS:
            raise ValidationError(f"unknown payment method {method!r} in the count", code="invalid_method")
        if method == "cash" and isinstance(value, dict):
            total = 0
            for denomination, pieces in value.items():
                try:
                    face = int(denomination)
                except (TypeError, ValueError):
                    face = -1
                if face <= 0:
                    raise ValidationError(f"denomination {denomination!r} must be a positive amount in minor units",
                                          code="invalid_denomination")
                check_amount(pieces, f"number of {denomination} pieces", maximum=1_000_000)
                total += face * pieces
            result[method] = check_amount(total, "counted cash")
        else:
            result[method] = check_amount(value, f"counted {method}")
    return result


def close_shift(ctx: TillContext, actor: Actor, counted: dict) -> dict:
    """Close the open shift with the counts; returns the Z report (also queued for head office)."""
    authorize(ctx, actor, "shift.close")
    counts = _counted(counted)
    with ctx.transaction():
        shift = require_open_shift(ctx)
        paying = (Sale.select().join(Payment).where((Sale.device_id == ctx.device_id) & (Sale.status == "open"))
                  .exists())
        if paying:
            raise Conflict("a sale is being paid: finish it or remove its payments before closing the shift",
                           code="sale_has_payments")
        report = shift_report(ctx, shift)
        report["counted"] = counts
        report["difference"] = {method: counts[method] - report["expected"][method] for method in counts}
        now = ctx.clock()
        report["closed_by"] = actor.cashier.code
        report["closed_at"] = now.isoformat() + "Z"
        Shift.update(status="closed", closed_by=actor.cashier, closed_at=now, report_json=report).where(
            Shift.uuid == shift.uuid).execute()
        audit(ctx, "shift.close", cashier=actor.cashier, subject=shift.uuid, number=shift.number,
              difference=report["difference"])
        enqueue(ctx, "shift_close", shift.uuid, report)
    return report
