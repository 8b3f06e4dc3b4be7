"""The sale in progress: cart lines, discounts, price overrides, park/resume, void.

A sale lives in the database from its first line, so a reload or a crash of the
browser resumes it exactly. Every change is one transaction that ends with the
sale's figures recomputed by `pricing.price_cart`.
"""

from __future__ import annotations

from .. import rows
from ..context import TillContext
from ..errors import Conflict, NotFound, ValidationError
from ..models import Product, Sale, SaleLine, Shift
from ..money import MAX_AMOUNT, MAX_QTY_MILLI, MAX_UNIT_PRICE, BP_ONE, check_amount
from ..pricing import DISCOUNT_KINDS, Discount, LineIn, price_cart
from .auth import Actor, Override, authorize
from .catalog import Resolved, get_product, resolve_code
from .. import promotions as engine
from . import promotions
from .records import audit, db_time, new_uuid, to_json
from .stock import check_available
from ..sync.prices import apply_due_prices

ONE = 1000  # milli-units in one unit


# -- reading

def current_shift(ctx: TillContext) -> Shift | None:
    return rows.select_one(ctx.db, Shift, "WHERE device_id = ? AND status = 'open'", (ctx.device_id,))


def require_open_shift(ctx: TillContext) -> Shift:
    shift = current_shift(ctx)
    if shift is None:
        raise Conflict("no shift is open on this till: open a shift with its float first", code="no_open_shift")
    return shift


def open_shift_uuid(ctx: TillContext) -> str:
    """The open shift's id, or Conflict: the cheap form of require_open_shift for the payment path."""
    row = ctx.sql("SELECT uuid FROM shift WHERE device_id = ? AND status = 'open'", (ctx.device_id,)).fetchone()
    if row is None:
        raise Conflict("no shift is open on this till: open a shift with its float first", code="no_open_shift")
    return row[0]


def current_sale(ctx: TillContext) -> Sale | None:
    return rows.select_one(ctx.db, Sale, "WHERE device_id = ? AND status = 'open'", (ctx.device_id,))


def get_sale(ctx: TillContext, sale_uuid: str) -> Sale:
    sale = rows.select_one(ctx.db, Sale, "WHERE uuid = ? AND device_id = ?", (sale_uuid, ctx.device_id))
    if sale is None:
        raise NotFound(f"no sale {sale_uuid} on this till", code="sale_not_found")
    return sale


def lines_of(sale: Sale) -> list[SaleLine]:
    return rows.select(SaleLine._meta.database, SaleLine, "WHERE sale_id = ? ORDER BY position", (sale.uuid,))


def has_payments(ctx: TillContext, sale_uuid: str) -> bool:
    return ctx.sql("SELECT 1 FROM payment WHERE sale_id = ? LIMIT 1", (sale_uuid,)).fetchone() is not None


def has_lines(ctx: TillContext, sale_uuid: str) -> bool:
    return ctx.sql("SELECT 1 FROM sale_line WHERE sale_id = ? LIMIT 1", (sale_uuid,)).fetchone() is not None


def _editable(ctx: TillContext, sale_uuid: str) -> Sale:
    """The sale, if its cart may change now (open, and no payment taken yet)."""
    sale = get_sale(ctx, sale_uuid)
    if sale.status != "open":
        raise Conflict(f"sale is {sale.status}, not open", code=f"sale_{sale.status}")
    if has_payments(ctx, sale.uuid):
        raise Conflict("payment has started: remove the payments before changing the cart",
                       code="sale_has_payments")
    return sale


def _line(sale: Sale, line_id) -> SaleLine:
    line = rows.select_one(SaleLine._meta.database, SaleLine, "WHERE id = ? AND sale_id = ?", (line_id, sale.uuid))
    if line is None:
        raise NotFound(f"no line {line_id} in this sale", code="line_not_found")
    return line


# -- figures

_FIGURES = ("id, qty_milli, unit_price, tax_rate_bp, fixed_gross, discount_kind, discount_value, "
            "gross, promo_discount, line_discount, order_discount, net, tax, product_id, category_id, unit, "
            "price_source, promotions")


def recompute(ctx: TillContext, sale: Sale) -> Sale:
    """Recompute every line's and the sale's figures; write only what changed.

    Promotions first (a line whose price was overridden by hand takes none), then the
    line discounts, then the order-level discounts in turn: spend & save, the member's
    tier discount, points redeemed, the cashier's order discount."""
    found = ctx.sql(f"SELECT {_FIGURES} FROM sale_line WHERE sale_id = ? ORDER BY position",
                    (sale.uuid,)).fetchall()
    tier_bp = 0
    if sale.member_id is not None:
        tier_bp = ctx.sql("SELECT t.discount_bp FROM member m JOIN member_tier t ON t.code = m.tier_id "
                          "WHERE m.id = ?", (sale.member_id,)).fetchone()[0]
    plain = [LineIn(qty_milli=r[1], unit_price=r[2], tax_rate_bp=r[3], fixed_gross=r[4]) for r in found]
    offers = promotions.active_promotions(ctx, has_member=sale.member_id is not None)
    promo = engine.apply([engine.PromoLine(product_id=r[13], category_id=r[14], unit=r[15], qty_milli=r[1],
                                           unit_price=r[2], gross=0 if r[16] == "override" else line.gross)
                          for r, line in zip(found, plain)], offers) if offers and found else None
    line_promos = promo.line_discounts if promo else (0,) * len(found)
    point_value = ctx.config.members.point_value
    manual = Discount(sale.order_discount_kind, sale.order_discount_value) if sale.order_discount_kind else None
    lines_in = [LineIn(qty_milli=r[1], unit_price=r[2], tax_rate_bp=r[3], fixed_gross=r[4],
                       discount=Discount(r[5], r[6]) if r[5] else None, promo_discount=p)
                for r, p in zip(found, line_promos)]
    spend_save = Discount("amount", promo.order_discount) if promo and promo.order_discount else None
    while True:
        points_amount = sale.points_redeemed * point_value
        totals = price_cart(lines_in, [spend_save, Discount("percent", tier_bp) if tier_bp else None,
                                       Discount("amount", points_amount) if points_amount else None, manual],
                            ctx.config.store.tax_mode, ctx.config.store.tax_rounding)
        if totals.order_discount_parts[2] == points_amount:
            break
        sale.points_redeemed = totals.order_discount_parts[2] // point_value  # the cart shrank below the points
    if totals.total > MAX_AMOUNT:
        raise ValidationError(f"the sale total {totals.total} is larger than the till accepts ({MAX_AMOUNT})",
                              code="amount_overflow")
    labels = [to_json(list(promo.line_labels[i])) if promo and promo.line_labels[i] else None
              for i in range(len(found))]
    changed = [(o.gross, o.promo_discount, o.line_discount, o.order_discount, o.net, o.tax, label, r[0])
               for r, o, label in zip(found, totals.lines, labels)
               if r[7:13] != (o.gross, o.promo_discount, o.line_discount, o.order_discount, o.net, o.tax)
               or r[17] != label]
    if changed:
        ctx.db.connection().executemany(
            "UPDATE sale_line SET gross = ?, promo_discount = ?, line_discount = ?, order_discount = ?, net = ?, "
            "tax = ?, promotions = ? WHERE id = ?", changed)
    sale.subtotal = totals.subtotal
    sale.discount_total = totals.discount_total
    sale.tax_total = totals.tax_total
    sale.total = totals.total
    sale.promo_discount, sale.member_discount, sale.points_discount = totals.order_discount_parts[:3]
    sale.promotions = sorted({code for row in (promo.line_labels if promo else ()) for code in row}
                             | set(promo.order_labels if promo else ())) or None
    sale.updated_at = ctx.clock()
    ctx.sql(
        "UPDATE sale SET subtotal = ?, discount_total = ?, tax_total = ?, total = ?, order_discount_kind = ?, "
        "order_discount_value = ?, promo_discount = ?, member_discount = ?, points_redeemed = ?, "
        "points_discount = ?, promotions = ?, updated_at = ? WHERE uuid = ?",
        (sale.subtotal, sale.discount_total, sale.tax_total, sale.total, sale.order_discount_kind,
         sale.order_discount_value, sale.promo_discount, sale.member_discount, sale.points_redeemed,
         sale.points_discount, to_json(sale.promotions) if sale.promotions else None,
         db_time(sale.updated_at), sale.uuid))
    ctx.publish("sale.changed", sale_uuid=sale.uuid, total=sale.total)
    return sale


def _line_in(line: SaleLine) -> LineIn:
    discount = Discount(line.discount_kind, line.discount_value) if line.discount_kind else None
    return LineIn(qty_milli=line.qty_milli, unit_price=line.unit_price, tax_rate_bp=line.tax_rate_bp,
                  fixed_gross=line.fixed_gross, discount=discount)


def _check_qty(qty_milli, unit: str) -> int:
    if isinstance(qty_milli, bool) or not isinstance(qty_milli, int):
        raise ValidationError(f"quantity must be a whole number of milli-units, got {qty_milli!r}",
                              code="invalid_quantity")
    if qty_milli <= 0:
        raise ValidationError("quantity must be more than zero (returns are refunds, not negative lines)",
                              code="invalid_quantity")
    if qty_milli > MAX_QTY_MILLI:
        raise ValidationError(f"quantity {qty_milli / ONE:g} is more than one line may hold", code="quantity_overflow")
    if unit == "each" and qty_milli % ONE:
        raise ValidationError("this product is sold by the piece: the quantity must be whole",
                              code="invalid_quantity")
    return qty_milli


def _check_discount(kind, value, base: int, what: str) -> Discount:
    if kind not in DISCOUNT_KINDS:
        raise ValidationError(f"discount kind must be 'percent' or 'amount', not {kind!r}", code="invalid_discount")
    if kind == "percent":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= BP_ONE:
            raise ValidationError("a percent discount is 1-10000 basis points (1000 = 10 %)", code="invalid_discount")
    else:
        check_amount(value, f"{what} discount", minimum=1)
        if value > base:
            raise ValidationError(f"{what} discount {value} is more than the amount {base} it applies to",
                                  code="discount_too_large")
    return Discount(kind, value)


# -- changing the cart

def start_sale(ctx: TillContext, actor: Actor) -> Sale:
    """The till's open sale, started if there is none."""
    authorize(ctx, actor, "sale.sell")
    require_open_shift(ctx)
    with ctx.transaction():
        sale = current_sale(ctx)
        if sale is None:
            now = ctx.clock()
            sale = Sale.create(uuid=new_uuid(), device_id=ctx.device_id, cashier=actor.cashier,
                               shift=current_shift(ctx), currency=ctx.config.store.currency,
                               tax_mode=ctx.config.store.tax_mode, created_at=now, updated_at=now)
    return sale


def add_item(ctx: TillContext, actor: Actor, sale_uuid: str, *, code: str | None = None,
             product_id: int | None = None, qty_milli: int | None = None) -> SaleLine:
    """Add a product by scanned/typed code or by id (quick keys). Returns the line."""
    authorize(ctx, actor, "sale.sell")
    if (code is None) == (product_id is None):
        raise ValidationError("give either a code or a product id", code="invalid")
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        apply_due_prices(ctx)  # a price change scheduled by head office takes effect on time, even offline
        resolved = resolve_code(ctx, code) if code is not None else Resolved(product=get_product(product_id))
        product = resolved.product
        if not product.active:
            raise ValidationError(f"product {product.sku} is not for sale (inactive)", code="product_inactive")
        if resolved.qty_milli is not None and qty_milli is not None:
            raise ValidationError("the barcode already carries the weight", code="invalid_quantity")
        qty = resolved.qty_milli or qty_milli
        if qty is None:
            if product.unit == "kg" and resolved.fixed_gross is None:
                raise ValidationError(f"{product.name} is sold by weight: put it on the scale or enter the "
                                      f"weight in grams", code="weight_required", product_id=product.id)
            qty = ONE
        if resolved.fixed_gross is not None and product.unit == "kg" and product.price:
            qty = max(1, round(resolved.fixed_gross * ONE / product.price))  # weight implied by the label
        qty = _check_qty(qty, product.unit)
        if not ctx.config.store.allow_negative_stock:
            in_cart = ctx.sql("SELECT COALESCE(SUM(qty_milli), 0) FROM sale_line WHERE sale_id = ? AND product_id = ?",
                              (sale.uuid, product.id)).fetchone()[0]
            check_available(ctx, {product.id: in_cart + qty})
        merge = _merge_target(ctx, sale, product, resolved)
        if merge is not None:
            line_id, current = merge
            ctx.sql("UPDATE sale_line SET qty_milli = ? WHERE id = ?",
                               (_check_qty(current + qty, product.unit), line_id))
        else:
            position = ctx.sql("SELECT COALESCE(MAX(position), 0) + 1 FROM sale_line WHERE sale_id = ?",
                                          (sale.uuid,)).fetchone()[0]
            line_id = ctx.sql(
                "INSERT INTO sale_line (sale_id, position, product_id, sku, name, unit, barcode, qty_milli, "
                "list_price, unit_price, price_source, fixed_gross, tax_class, tax_rate_bp, cost_price, category_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sale.uuid, position, product.id, product.sku, product.name, product.unit, resolved.barcode, qty,
                 product.price, product.price, "barcode" if resolved.fixed_gross is not None else "catalog",
                 resolved.fixed_gross, product.tax_class_id, product.tax_rate_bp, product.cost_price,
                 product.category_id)).lastrowid
        recompute(ctx, sale)
        line = _line(sale, line_id)
        ctx.publish("sale.line_added", sale_uuid=sale.uuid, line_id=line.id, name=line.name, sku=line.sku,
                    qty_milli=line.qty_milli, unit=line.unit, unit_price=line.unit_price, amount=line.gross,
                    total=sale.total)
        return line


def _merge_target(ctx: TillContext, sale: Sale, product: Product, resolved: Resolved) -> tuple[int, int] | None:
    """Another scan of a plain piece item adds to its line instead of a new line: (line id, qty)."""
    if product.unit != "each" or resolved.fixed_gross is not None or resolved.qty_milli is not None:
        return None
    return ctx.sql(
        "SELECT id, qty_milli FROM sale_line WHERE sale_id = ? AND product_id = ? AND price_source = 'catalog' "
        "AND unit_price = ? AND discount_kind IS NULL ORDER BY position DESC LIMIT 1",
        (sale.uuid, product.id, product.price)).fetchone()


def change_line(ctx: TillContext, actor: Actor, sale_uuid: str, line_id: int, *,
                qty_milli: int | None = None, unit_price: int | None = None,
                discount: dict | None = None, clear_discount: bool = False,
                override: Override | None = None) -> SaleLine:
    """Change a line's quantity, price (override) or discount; each needs its permission."""
    approvals = {}
    if qty_milli is not None:
        approvals["line.quantity"] = authorize(ctx, actor, "line.quantity", override)
    if unit_price is not None:
        approvals["line.price_override"] = authorize(ctx, actor, "line.price_override", override)
    if discount is not None or clear_discount:
        approvals["line.discount"] = authorize(ctx, actor, "line.discount", override)
    if not approvals:
        raise ValidationError("nothing to change: give qty_milli, unit_price or discount", code="invalid")
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        line = _line(sale, line_id)
        before = {"qty_milli": line.qty_milli, "unit_price": line.unit_price,
                  "discount": [line.discount_kind, line.discount_value] if line.discount_kind else None}
        if qty_milli is not None:
            if line.fixed_gross is not None:
                raise Conflict("the quantity of a line priced by its label cannot change: remove it and rescan",
                               code="fixed_line")
            line.qty_milli = _check_qty(qty_milli, line.unit)
        if unit_price is not None:
            if line.fixed_gross is not None:
                raise Conflict("this line's price comes from the scale label: remove it and rescan",
                               code="fixed_line")
            line.unit_price = check_amount(unit_price, "price", maximum=MAX_UNIT_PRICE)
            line.price_source = "override" if line.unit_price != line.list_price else "catalog"
        if clear_discount:
            line.discount_kind = line.discount_value = None
        elif discount is not None:
            gross = _line_in(line).gross
            applied = _check_discount(discount.get("kind"), discount.get("value"), gross, "line")
            line.discount_kind, line.discount_value = applied.kind, applied.value
        if line.discount_kind == "amount" and line.discount_value > _line_in(line).gross:
            raise ValidationError("the line discount would be more than the line: change the discount first",
                                  code="discount_too_large")
        line.save()
        recompute(ctx, sale)
        after = {"qty_milli": line.qty_milli, "unit_price": line.unit_price,
                 "discount": [line.discount_kind, line.discount_value] if line.discount_kind else None}
        for action, approver in approvals.items():
            if action == "line.quantity" and approver is None and line.qty_milli >= before["qty_milli"]:
                continue  # raising a quantity is ordinary selling, not worth an audit entry
            audit(ctx, action, cashier=actor.cashier, approved_by=approver, subject=sale.uuid,
                  line_id=line.id, sku=line.sku, before=before, after=after)
    return SaleLine.get_by_id(line.id)


def remove_line(ctx: TillContext, actor: Actor, sale_uuid: str, line_id: int,
                override: Override | None = None) -> Sale:
    approver = authorize(ctx, actor, "line.remove", override)
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        line = _line(sale, line_id)
        audit(ctx, "line.remove", cashier=actor.cashier, approved_by=approver, subject=sale.uuid,
              sku=line.sku, name=line.name, qty_milli=line.qty_milli, net=line.net)
        line.delete_instance()
        recompute(ctx, sale)
    return sale


def set_order_discount(ctx: TillContext, actor: Actor, sale_uuid: str, kind: str | None, value: int | None,
                       override: Override | None = None) -> Sale:
    """Set (or with kind None, clear) the discount on the whole order."""
    approver = authorize(ctx, actor, "order.discount", override)
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        before = [sale.order_discount_kind, sale.order_discount_value] if sale.order_discount_kind else None
        if kind is None:
            sale.order_discount_kind = sale.order_discount_value = None
        else:
            after_lines = sum(line.gross - line.line_discount for line in lines_of(sale))
            applied = _check_discount(kind, value, after_lines, "order")
            sale.order_discount_kind, sale.order_discount_value = applied.kind, applied.value
        recompute(ctx, sale)
        audit(ctx, "order.discount", cashier=actor.cashier, approved_by=approver, subject=sale.uuid,
              before=before, after=[kind, value] if kind else None)
    return sale


def park(ctx: TillContext, actor: Actor, sale_uuid: str) -> Sale:
    authorize(ctx, actor, "sale.park")
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        if not has_lines(ctx, sale.uuid):
            raise Conflict("an empty sale cannot be parked", code="sale_empty")
        sale.status = "parked"
        sale.parked_at = sale.updated_at = ctx.clock()
        sale.save()
    ctx.publish("sale.changed", sale_uuid=sale.uuid, status=sale.status)
    return sale


def resume(ctx: TillContext, actor: Actor, sale_uuid: str) -> Sale:
    """Make a parked sale the open one again (an empty open sale is dropped for it)."""
    authorize(ctx, actor, "sale.park")
    require_open_shift(ctx)
    with ctx.transaction():
        sale = get_sale(ctx, sale_uuid)
        if sale.status != "parked":
            raise Conflict(f"sale is {sale.status}, not parked", code=f"sale_{sale.status}")
        open_sale = current_sale(ctx)
        if open_sale is not None:
            if has_lines(ctx, open_sale.uuid):
                raise Conflict("finish or park the current sale before resuming another", code="sale_in_progress")
            open_sale.delete_instance()
        sale.status = "open"
        sale.parked_at = None
        sale.cashier = actor.cashier
        sale.shift = current_shift(ctx)
        sale.updated_at = ctx.clock()
        sale.save()
    ctx.publish("sale.changed", sale_uuid=sale.uuid, status=sale.status)
    return sale


def void(ctx: TillContext, actor: Actor, sale_uuid: str, reason: str = "",
         override: Override | None = None) -> Sale:
    approver = authorize(ctx, actor, "sale.void", override)
    with ctx.transaction():
        sale = get_sale(ctx, sale_uuid)
        if sale.status not in ("open", "parked"):
            raise Conflict(f"a {sale.status} sale cannot be voided (refund it instead)", code=f"sale_{sale.status}")
        if has_payments(ctx, sale.uuid):
            raise Conflict("payment has started: remove the payments before voiding", code="sale_has_payments")
        lines = lines_of(sale)
        sale.status = "voided"
        sale.updated_at = ctx.clock()
        sale.save()
        audit(ctx, "sale.void", cashier=actor.cashier, approved_by=approver, subject=sale.uuid,
              reason=str(reason)[:200], total=sale.total,
              lines=[{"sku": line.sku, "qty_milli": line.qty_milli, "net": line.net} for line in lines])
    ctx.publish("sale.changed", sale_uuid=sale.uuid, status=sale.status)
    return sale


def set_receipt_wanted(ctx: TillContext, actor: Actor, sale_uuid: str, wanted: bool) -> Sale:
    """Whether the customer wants this sale's receipt printed when it completes ("No receipt").

    Kept with the sale, so a till restart or a reload in another browser between the
    choice and the payment keeps it. It may change while the sale is open or parked, after
    a partial payment too; a completed sale's receipt can only be reprinted."""
    authorize(ctx, actor, "sale.sell")
    if not isinstance(wanted, bool):
        raise ValidationError("print must be true or false", code="invalid")
    with ctx.transaction():
        sale = get_sale(ctx, sale_uuid)
        if sale.status not in ("open", "parked"):
            raise Conflict(f"sale is {sale.status}: its receipt can only be reprinted", code=f"sale_{sale.status}")
        if sale.receipt_wanted != wanted:
            sale.receipt_wanted = wanted
            sale.updated_at = ctx.clock()
            ctx.sql("UPDATE sale SET receipt_wanted = ?, updated_at = ? WHERE uuid = ?",
                    (int(wanted), db_time(sale.updated_at), sale.uuid))
            ctx.publish("sale.changed", sale_uuid=sale.uuid, receipt_wanted=wanted)
    return sale
