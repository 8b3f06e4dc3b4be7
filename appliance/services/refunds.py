"""Returns and refunds.

Against the original receipt: whole or per line, never more than was sold. A line's
refund is its share of what the customer actually paid for it (promotions, line,
member, points and order discounts already apportioned into the line's net), so
refunding everything returns exactly what was paid, cash rounding included. The
money goes back to the original payment methods (most recent first) or in cash;
points earned are taken back and points redeemed given back in proportion; stock is
put back. Without a receipt a manager must approve and the refund is paid in cash.
Every refund has a UUID, a number per till ("till-1-R000001") and an outbox row.
"""

from __future__ import annotations

from ..context import TillContext
from ..errors import Conflict, NotFound, ValidationError
from ..models import Refund, Sale
from ..money import MAX_AMOUNT, check_amount, div_round, round_to_increment
from . import members
from .auth import Actor, Override, authorize
from .catalog import resolve_code
from .records import audit, db_time, enqueue, iso, new_uuid, next_number
from .sales import open_shift_uuid
from .stock import add_moves
from .views import tax_bands

REFUND_METHODS = ("original", "cash")


def sale_for_refund(ctx: TillContext, *, sale_uuid: str | None = None, receipt_no: str | None = None) -> Sale:
    """The completed sale a refund is for, by its UUID (the receipt's QR code) or number."""
    query = Sale.select().where(Sale.status == "completed")
    if sale_uuid:
        sale = query.where(Sale.uuid == sale_uuid).first()
    elif receipt_no:
        sale = query.where(Sale.receipt_no == receipt_no).first()
    else:
        raise ValidationError("scan the receipt or give its number", code="invalid")
    if sale is None:
        raise NotFound(f"no completed sale {sale_uuid or receipt_no} on this till", code="sale_not_found")
    return sale


def refundable(ctx: TillContext, sale: Sale) -> list[dict]:
    """Per line of the sale: what was sold and paid, what is already refunded, what is left."""
    exclusive = sale.tax_mode == "exclusive"
    rows = ctx.sql(
        "SELECT l.id, l.product_id, l.sku, l.name, l.unit, l.qty_milli, l.net, l.tax, l.tax_rate_bp, "
        "COALESCE(SUM(r.qty_milli), 0), COALESCE(SUM(r.amount), 0), COALESCE(SUM(r.tax), 0) "
        "FROM sale_line l LEFT JOIN refund_line r ON r.sale_line_id = l.id WHERE l.sale_id = ? "
        "GROUP BY l.id ORDER BY l.position", (sale.uuid,)).fetchall()
    return [{"line_id": r[0], "product_id": r[1], "sku": r[2], "name": r[3], "unit": r[4],
             "qty_milli": r[5], "paid": r[6] + (r[7] if exclusive else 0), "tax": r[7], "tax_rate_bp": r[8],
             "refunded_qty_milli": r[9], "refunded_amount": r[10], "refunded_tax": r[11],
             "remaining_qty_milli": r[5] - r[9]} for r in rows]


def _line_share(line: dict, qty: int) -> tuple[int, int]:
    """(amount, tax) to refund for qty of a line: the last units take what is left exactly."""
    if qty == line["remaining_qty_milli"]:
        return line["paid"] - line["refunded_amount"], line["tax"] - line["refunded_tax"]
    return div_round(line["paid"] * qty, line["qty_milli"]), div_round(line["tax"] * qty, line["qty_milli"])


def _payout_split(ctx: TillContext, sale: Sale, payout: int, method: str) -> list[tuple[str, int, str | None]]:
    """(method, amount, original reference) the payout goes back by: in cash, or to the
    methods the sale was paid with (the most recently used first), never more per method
    than it took less what earlier refunds gave back."""
    if method == "cash" or payout == 0:
        return [("cash", payout, None)] if payout else []
    room: dict[str, list] = {}  # method -> [amount left to give back, latest reference], in recency order
    for m, amount, reference in ctx.sql("SELECT method, amount, reference FROM payment WHERE sale_id = ? "
                                        "ORDER BY id DESC", (sale.uuid,)):
        entry = room.setdefault(m, [0, reference])
        entry[0] += amount
    for m, amount in ctx.sql("SELECT p.method, SUM(p.amount) FROM refund_payment p JOIN refund r "
                             "ON r.uuid = p.refund_id WHERE r.sale_id = ? GROUP BY p.method", (sale.uuid,)):
        if m in room:
            room[m][0] -= amount
    split, left = [], payout
    for m, (available, reference) in room.items():
        take = min(left, max(0, available))
        if take:
            split.append((m, take, reference))
            left -= take
    if left:
        split.append(("cash", left, None))
    return split


def create_refund(ctx: TillContext, actor: Actor, *, reason: str, sale_uuid: str | None = None,
                  receipt_no: str | None = None, lines: list[dict] | None = None, method: str = "original",
                  override: Override | None = None) -> Refund:
    """Refund lines of a completed sale (all of it when `lines` is None).

    `lines`: [{"line_id": id, "qty_milli": q, "restock": true}]. Nothing is written
    unless the whole refund is valid."""
    approver = authorize(ctx, actor, "refund.receipt", override)
    if method not in REFUND_METHODS:
        raise ValidationError("refund method must be 'original' or 'cash'", code="invalid_method")
    reason = _reason(reason)
    with ctx.transaction():
        shift_uuid = open_shift_uuid(ctx)
        sale = sale_for_refund(ctx, sale_uuid=sale_uuid, receipt_no=receipt_no)
        sold = {line["line_id"]: line for line in refundable(ctx, sale)}
        if lines is None:
            lines = [{"line_id": i, "qty_milli": line["remaining_qty_milli"]}
                     for i, line in sold.items() if line["remaining_qty_milli"]]
            if not lines:
                raise Conflict("everything on this receipt has already been refunded", code="already_refunded")
        if not isinstance(lines, list) or not lines:
            raise ValidationError("choose the lines to refund", code="invalid")
        picked, seen = [], set()
        for index, item in enumerate(lines):
            if not isinstance(item, dict) or item.get("line_id") not in sold or item["line_id"] in seen:
                raise ValidationError(f"refund line {index + 1}: not a line of this sale (or given twice)",
                                      code="line_not_found")
            seen.add(item["line_id"])
            line = sold[item["line_id"]]
            if not line["remaining_qty_milli"]:
                raise ValidationError(f"{line['name']} on this receipt has already been refunded in full",
                                      code="refund_too_large", line_id=line["line_id"], remaining_qty_milli=0)
            qty = item.get("qty_milli", line["remaining_qty_milli"])
            if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                raise ValidationError(f"refund line {index + 1}: quantity must be more than zero",
                                      code="invalid_quantity")
            if line["unit"] == "each" and qty % 1000:
                raise ValidationError(f"refund line {index + 1}: {line['name']} is refunded in whole pieces",
                                      code="invalid_quantity")
            if qty > line["remaining_qty_milli"]:
                raise ValidationError(
                    f"cannot refund {qty / 1000:g} of {line['name']}: {line['qty_milli'] / 1000:g} sold, "
                    f"{line['refunded_qty_milli'] / 1000:g} already refunded", code="refund_too_large",
                    line_id=line["line_id"], remaining_qty_milli=line["remaining_qty_milli"])
            amount, tax = _line_share(line, qty)
            picked.append({**line, "refund_qty": qty, "amount": amount, "refund_tax": tax,
                           "restock": bool(item.get("restock", True))})
        taken = {p["line_id"]: p["refund_qty"] for p in picked}
        fully = all(line["remaining_qty_milli"] == taken.get(i, 0) for i, line in sold.items())
        total = sum(p["amount"] for p in picked)
        if fully:  # the last refund returns exactly what was paid, cash rounding included
            paid_out = ctx.sql("SELECT COALESCE(SUM(payout), 0) FROM refund WHERE sale_id = ?", (sale.uuid,)).fetchone()[0]
            payout = sale.paid - paid_out
        else:
            payout = total
        split = _payout_split(ctx, sale, payout, method)
        if not fully and all(m == "cash" for m, _, _ in split):
            payout = round_to_increment(total, ctx.config.store.cash_rounding)
            split = [("cash", payout, None)] if payout else []
        refund = _write(ctx, actor, approver, sale=sale, shift_uuid=shift_uuid, reason=reason, picked=picked,
                        total=total, payout=payout, split=split, fully=fully)
    return refund


def create_refund_without_receipt(ctx: TillContext, actor: Actor, *, reason: str, lines: list[dict],
                                  override: Override | None = None) -> Refund:
    """Refund goods without a receipt: a manager approves; paid in cash.

    `lines`: [{"code": scanned code, "qty_milli": q, "amount": minor units (default: the
    current price), "restock": true}]."""
    approver = authorize(ctx, actor, "refund.no_receipt", override)
    reason = _reason(reason)
    if not isinstance(lines, list) or not lines:
        raise ValidationError("scan the goods to refund", code="invalid")
    exclusive = ctx.config.store.tax_mode == "exclusive"
    picked = []
    for index, item in enumerate(lines):
        if not isinstance(item, dict):
            raise ValidationError(f"refund line {index + 1}: must be an object", code="invalid")
        resolved = resolve_code(ctx, item.get("code"))
        product = resolved.product
        qty = item.get("qty_milli", resolved.qty_milli or 1000)
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0 or (product.unit == "each" and qty % 1000):
            raise ValidationError(f"refund line {index + 1}: quantity must be a positive number of pieces/grams",
                                  code="invalid_quantity")
        rate = product.tax_rate_bp
        default = resolved.fixed_gross if resolved.fixed_gross is not None else div_round(product.price * qty, 1000)
        if exclusive:  # shelf prices are without tax; the customer paid it with tax
            default += div_round(default * rate, 10_000)
        amount = check_amount(item.get("amount", default), f"refund line {index + 1}: amount", minimum=1)
        tax = div_round(amount * rate, 10_000 + rate)
        picked.append({"line_id": None, "product_id": product.id, "sku": product.sku, "name": product.name,
                       "refund_qty": qty, "amount": amount, "refund_tax": tax, "tax_rate_bp": rate,
                       "restock": bool(item.get("restock", True))})
    total = sum(p["amount"] for p in picked)
    if total > MAX_AMOUNT:
        raise ValidationError("the refund is larger than the till accepts", code="amount_overflow")
    payout = round_to_increment(total, ctx.config.store.cash_rounding)
    with ctx.transaction():
        shift_uuid = open_shift_uuid(ctx)
        refund = _write(ctx, actor, approver, sale=None, shift_uuid=shift_uuid, reason=reason, picked=picked,
                        total=total, payout=payout, split=[("cash", payout, None)] if payout else [], fully=False)
    return refund


def _reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise ValidationError("say why the goods come back (1-200 characters)", code="reason_required")
    return reason.strip()


def _write(ctx: TillContext, actor: Actor, approver, *, sale: Sale | None, shift_uuid: str, reason: str,
           picked: list[dict], total: int, payout: int, split, fully: bool) -> Refund:
    """Write the refund and all that follows from it, in the caller's transaction."""
    now = ctx.clock()
    refund_uuid = new_uuid()
    number = f"{ctx.device_id}-R{next_number(ctx, f'refund:{ctx.device_id}'):06d}"
    tax_total = sum(p["refund_tax"] for p in picked)
    member_id = sale.member_id if sale else None
    reversed_points = returned_points = 0
    member_record = None
    if member_id is not None:
        before = ctx.sql("SELECT COALESCE(SUM(total), 0), COALESCE(SUM(points_reversed), 0), "
                         "COALESCE(SUM(points_returned), 0) FROM refund WHERE sale_id = ?", (sale.uuid,)).fetchone()
        refunded_after = before[0] + total
        basis = sale.total or 1
        target_reversed = sale.points_earned if fully else div_round(sale.points_earned * refunded_after, basis)
        target_returned = sale.points_redeemed if fully else div_round(sale.points_redeemed * refunded_after, basis)
        held = ctx.sql("SELECT points FROM member WHERE id = ?", (member_id,)).fetchone()[0]
        returned_points = max(0, target_returned - before[2])
        # points already spent elsewhere cannot be taken back below zero
        reversed_points = min(max(0, target_reversed - before[1]), held + returned_points)
        members.add_points(ctx, member_id, returned_points, "refund_redeemed", refund_uuid)
        members.add_points(ctx, member_id, -reversed_points, "refund_earned", refund_uuid)
        ctx.sql("UPDATE member SET total_spend = MAX(0, total_spend - ?), updated_at = ? WHERE id = ?",
                (total, db_time(now), member_id))
        card = ctx.sql("SELECT uuid, card_no FROM member WHERE id = ?", (member_id,)).fetchone()
        member_record = {"uuid": card[0], "card_no": card[1], "points_reversed": reversed_points,
                         "points_returned": returned_points}
    ctx.sql("INSERT INTO refund (uuid, device_id, number, sale_id, shift_id, cashier_id, approved_by_id, member_id, "
            "reason, total, tax_total, rounding, payout, points_reversed, points_returned, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (refund_uuid, ctx.device_id, number, sale.uuid if sale else None, shift_uuid, actor.cashier.id,
             approver.id if approver else None, member_id, reason, total, tax_total, payout - total, payout,
             reversed_points, returned_points, db_time(now)))
    ctx.db.connection().executemany(
        "INSERT INTO refund_line (refund_id, sale_line_id, product_id, sku, name, qty_milli, amount, tax, "
        "tax_rate_bp, restock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(refund_uuid, p["line_id"], p["product_id"], p["sku"], p["name"], p["refund_qty"], p["amount"],
          p["refund_tax"], p["tax_rate_bp"], p["restock"]) for p in picked])
    ctx.db.connection().executemany(
        "INSERT INTO refund_payment (refund_id, method, amount, reference) VALUES (?, ?, ?, ?)",
        [(refund_uuid, m, amount, reference) for m, amount, reference in split])
    moves = add_moves(ctx, [(p["product_id"], p["refund_qty"], "refund", refund_uuid, None, None)
                            for p in picked if p["restock"]])
    # each line's cost as it was when sold (head office's margin of the refund)
    line_ids = [p["line_id"] for p in picked if p["line_id"] is not None]
    costs = dict(ctx.sql(f"SELECT id, cost_price FROM sale_line WHERE id IN ({', '.join('?' * len(line_ids))})",
                         line_ids).fetchall()) if line_ids else {}
    audit(ctx, "refund.create", cashier=actor.cashier, approved_by=approver, subject=refund_uuid, number=number,
          sale=sale.uuid if sale else None, payout=payout, reason=reason)
    enqueue(ctx, "refund", refund_uuid, {
        "number": number, "sale_uuid": sale.uuid if sale else None,
        "receipt_no": sale.receipt_no if sale else None, "shift_uuid": shift_uuid,
        "cashier": actor.cashier.code, "approved_by": approver.code if approver else None, "reason": reason,
        "at": iso(now), "currency": ctx.config.store.currency, "total": total, "tax_total": tax_total,
        "rounding": payout - total, "payout": payout, "member": member_record,
        "lines": [{"sale_line_id": p["line_id"], "product_id": p["product_id"], "sku": p["sku"], "name": p["name"],
                   "qty_milli": p["refund_qty"], "amount": p["amount"], "tax": p["refund_tax"],
                   "tax_rate_bp": p["tax_rate_bp"], "restock": p["restock"], "cost_price": costs.get(p["line_id"])}
                  for p in picked],
        "payments": [{"method": m, "amount": amount, "original_reference": reference} for m, amount, reference in split],
        "tax_bands": tax_bands([(p["tax_rate_bp"], p["amount"], p["refund_tax"]) for p in picked],
                               ctx.config.store.tax_mode),
        "stock_moves": [{"uuid": m["uuid"], "product_id": m["product_id"], "sku": m["sku"], "qty_milli": m["qty_milli"]}
                        for m in moves],
    })
    ctx.publish("refund.completed", refund_uuid=refund_uuid, number=number, payout=payout,
                cash=any(m == "cash" for m, _, _ in split))
    return Refund.get_by_id(refund_uuid)


def refund_view(refund: Refund) -> dict:
    db = refund._meta.database
    return {
        "uuid": refund.uuid, "number": refund.number, "sale_uuid": refund.sale_id, "shift_uuid": refund.shift_id,
        "reason": refund.reason, "total": refund.total, "tax_total": refund.tax_total, "rounding": refund.rounding,
        "payout": refund.payout, "points_reversed": refund.points_reversed, "points_returned": refund.points_returned,
        "at": iso(refund.created_at),
        "lines": [{"sale_line_id": r[0], "sku": r[1], "name": r[2], "qty_milli": r[3], "amount": r[4], "tax": r[5],
                   "restock": bool(r[6])} for r in db.execute_sql(
            "SELECT sale_line_id, sku, name, qty_milli, amount, tax, restock FROM refund_line WHERE refund_id = ? "
            "ORDER BY id", (refund.uuid,))],
        "payments": [{"method": r[0], "amount": r[1]} for r in db.execute_sql(
            "SELECT method, amount FROM refund_payment WHERE refund_id = ? ORDER BY id", (refund.uuid,))],
    }
