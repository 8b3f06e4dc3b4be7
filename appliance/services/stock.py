"""Stock control: on-hand from stock moves, low-stock alerts, goods receipts,
adjustments and stock takes.

On-hand is the sum of a product's stock moves (sale, refund, receipt, adjustment,
stock take); a trigger keeps `stock_level` equal to that sum as moves are added.
Moves are never edited: a correction is another move.
"""

from __future__ import annotations

from ..context import TillContext
from ..errors import Conflict, NotFound, ValidationError
from ..models import GoodsReceipt, Product, StockTake
from ..money import MAX_QTY_MILLI, MAX_UNIT_PRICE, check_amount
from .auth import Actor, Override, authorize
from .catalog import get_product, resolve_code
from .records import audit, db_time, enqueue, iso, new_uuid, next_number, to_json


def on_hand(ctx: TillContext, product_id: int) -> int:
    row = ctx.sql("SELECT qty_milli FROM stock_level WHERE product_id = ?", (product_id,)).fetchone()
    return row[0] if row else 0


def _product(ctx: TillContext, ref: dict) -> Product:
    """A product named by {"code": scanned/typed code} or {"product_id": id}."""
    if ref.get("code") is not None:
        return resolve_code(ctx, ref["code"]).product
    if ref.get("product_id") is not None:
        return get_product(ref["product_id"])
    raise ValidationError("name the product by code or product_id", code="invalid")


def _qty(value, what: str, *, allow_zero=False, allow_negative=False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number of milli-units", code="invalid_quantity")
    if (value == 0 and not allow_zero) or (value < 0 and not allow_negative) or abs(value) > MAX_QTY_MILLI:
        raise ValidationError(f"{what} {value} is not allowed here", code="invalid_quantity")
    return value


def add_moves(ctx: TillContext, moves: list[tuple[int, int, str, str | None, str | None, int | None]],
              skus: dict[int, str] | None = None) -> list[dict]:
    """Write stock moves (product_id, qty_milli, kind, reference, reason, cost_price) in the
    caller's transaction; returns them as records for the outbox. `skus`: product id -> SKU
    where the caller has them already (a sale's lines), so only the others are looked up."""
    now = db_time(ctx.clock())
    rows = [(new_uuid(), product_id, qty, kind, reference, reason, cost, now)
            for product_id, qty, kind, reference, reason, cost in moves]
    ctx.db.connection().executemany(
        "INSERT INTO stock_move (uuid, product_id, qty_milli, kind, reference, reason, cost_price, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # each move names its product's SKU too: head office knows products by SKU, and the
    # till's own ids only from lines that named both (a product received but never sold)
    skus = dict(skus or {})
    ids = sorted({r[1] for r in rows} - set(skus))
    if ids:
        skus.update(ctx.sql(f"SELECT id, sku FROM product WHERE id IN ({', '.join('?' * len(ids))})", ids).fetchall())
    return [{"uuid": r[0], "product_id": r[1], "sku": skus.get(r[1]), "qty_milli": r[2], "kind": r[3],
             "reason": r[5], "cost_price": r[6]} for r in rows]


def check_available(ctx: TillContext, wanted: dict[int, int]) -> None:
    """Refuse selling below zero when the store says so. `wanted`: product id -> qty."""
    if ctx.config.store.allow_negative_stock:
        return
    for product_id, qty in wanted.items():
        available = on_hand(ctx, product_id)
        if qty > available:
            name = ctx.sql("SELECT name FROM product WHERE id = ?", (product_id,)).fetchone()[0]
            raise Conflict(f"only {available / 1000:g} of {name} in stock: this store does not sell below zero",
                           code="out_of_stock", product_id=product_id, on_hand=available)


def stock_view(ctx: TillContext, product: Product) -> dict:
    qty = on_hand(ctx, product.id)
    return {"product_id": product.id, "sku": product.sku, "name": product.name, "unit": product.unit,
            "on_hand_milli": qty, "low_stock_milli": product.low_stock_milli,
            "low": product.low_stock_milli is not None and qty <= product.low_stock_milli}


def low_stock(ctx: TillContext) -> list[dict]:
    """Active products at or below their low-stock threshold, emptiest first."""
    rows = ctx.sql(
        "SELECT p.id, p.sku, p.name, p.unit, COALESCE(l.qty_milli, 0), p.low_stock_milli FROM product p "
        "LEFT JOIN stock_level l ON l.product_id = p.id "
        "WHERE p.active = 1 AND p.low_stock_milli IS NOT NULL AND COALESCE(l.qty_milli, 0) <= p.low_stock_milli "
        "ORDER BY COALESCE(l.qty_milli, 0) - p.low_stock_milli, p.sku").fetchall()
    return [{"product_id": r[0], "sku": r[1], "name": r[2], "unit": r[3], "on_hand_milli": r[4],
             "low_stock_milli": r[5], "low": True} for r in rows]


def set_threshold(ctx: TillContext, actor: Actor, product_id: int, threshold_milli: int | None,
                  override: Override | None = None) -> Product:
    approver = authorize(ctx, actor, "catalog.manage", override)
    if threshold_milli is not None:
        _qty(threshold_milli, "low-stock threshold", allow_zero=True)
    product = get_product(product_id)
    with ctx.transaction():
        Product.update(low_stock_milli=threshold_milli).where(Product.id == product.id).execute()
        audit(ctx, "stock.threshold", cashier=actor.cashier, approved_by=approver, subject=product.sku,
              before=product.low_stock_milli, after=threshold_milli)
    return get_product(product_id)


def receive_goods(ctx: TillContext, actor: Actor, *, supplier: str, lines: list[dict], reference: str | None = None,
                  override: Override | None = None) -> dict:
    """Goods received from a supplier: stock in at the given cost price (which becomes the
    product's cost price), as one event."""
    approver = authorize(ctx, actor, "stock.receive", override)
    if not isinstance(supplier, str) or not supplier.strip() or len(supplier) > 100:
        raise ValidationError("name the supplier (1-100 characters)", code="invalid")
    if not isinstance(lines, list) or not lines:
        raise ValidationError("a goods receipt needs at least one line", code="invalid")
    with ctx.transaction():
        moves = []
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise ValidationError(f"line {index + 1}: must be an object", code="invalid")
            product = _product(ctx, line)
            qty = _qty(line.get("qty_milli"), f"line {index + 1}: quantity")
            if product.unit == "each" and qty % 1000:
                raise ValidationError(f"line {index + 1}: {product.name} is counted in whole pieces",
                                      code="invalid_quantity")
            cost = line.get("cost_price")
            if cost is not None:
                check_amount(cost, f"line {index + 1}: cost price", maximum=MAX_UNIT_PRICE)
            moves.append((product, qty, cost))
        receipt = GoodsReceipt.create(uuid=new_uuid(), number=f"{ctx.device_id}-G{next_number(ctx, f'receipt-goods:{ctx.device_id}'):06d}",
                                      supplier=supplier.strip(), reference=reference, cashier=actor.cashier,
                                      created_at=ctx.clock())
        records = add_moves(ctx, [(p.id, q, "receipt", receipt.uuid, None, c) for p, q, c in moves],
                            skus={p.id: p.sku for p, _q, _c in moves})
        for product, _qty_, cost in moves:
            if cost is not None and cost != product.cost_price:
                Product.update(cost_price=cost, updated_at=ctx.clock()).where(Product.id == product.id).execute()
        audit(ctx, "stock.receive", cashier=actor.cashier, approved_by=approver, subject=receipt.uuid,
              supplier=receipt.supplier, lines=len(records))
        enqueue(ctx, "goods_receipt", receipt.uuid, {"number": receipt.number, "supplier": receipt.supplier,
                                                     "reference": reference, "cashier": actor.cashier.code,
                                                     "at": iso(receipt.created_at), "stock_moves": records})
    return {"uuid": receipt.uuid, "number": receipt.number, "supplier": receipt.supplier, "moves": records}


def adjust(ctx: TillContext, actor: Actor, ref: dict, delta_milli: int, reason: str,
           override: Override | None = None) -> dict:
    """Correct stock by a signed quantity (breakage, theft, found goods) with a reason."""
    approver = authorize(ctx, actor, "stock.adjust", override)
    delta = _qty(delta_milli, "adjustment", allow_negative=True)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise ValidationError("say why the stock changes (1-200 characters)", code="reason_required")
    product = _product(ctx, ref)
    with ctx.transaction():
        before = on_hand(ctx, product.id)
        record = add_moves(ctx, [(product.id, delta, "adjustment", None, reason.strip(), None)],
                           skus={product.id: product.sku})[0]
        audit(ctx, "stock.adjust", cashier=actor.cashier, approved_by=approver, subject=product.sku,
              delta_milli=delta, before=before, reason=reason.strip())
        enqueue(ctx, "stock_adjustment", record["uuid"], {"at": iso(ctx.clock()), "cashier": actor.cashier.code,
                                                          "stock_moves": [record]})
    return stock_view(ctx, product)


# -- stock takes

def start_stock_take(ctx: TillContext, actor: Actor, note: str | None = None,
                     override: Override | None = None) -> StockTake:
    authorize(ctx, actor, "stock.take", override)
    with ctx.transaction():
        if StockTake.select().where(StockTake.status == "open").exists():
            raise Conflict("a stock take is already open: finish or cancel it first", code="stock_take_open")
        return StockTake.create(uuid=new_uuid(), status="open", note=note, created_by=actor.cashier,
                                created_at=ctx.clock())


def _open_take(take_uuid: str) -> StockTake:
    take = StockTake.get_or_none(StockTake.uuid == take_uuid)
    if take is None:
        raise NotFound(f"no stock take {take_uuid}", code="stock_take_not_found")
    if take.status != "open":
        raise Conflict(f"stock take is {take.status}", code=f"stock_take_{take.status}")
    return take


def count(ctx: TillContext, actor: Actor, take_uuid: str, ref: dict, qty_milli: int | None = None,
          mode: str = "add") -> dict:
    """Count a product: each scan adds one piece (mode "add"), or set the counted quantity."""
    authorize(ctx, actor, "stock.take")
    if mode not in ("add", "set"):
        raise ValidationError("mode must be 'add' or 'set'", code="invalid")
    with ctx.transaction():
        take = _open_take(take_uuid)
        product = _product(ctx, ref)
        qty = 1000 if qty_milli is None else _qty(qty_milli, "counted quantity", allow_zero=(mode == "set"))
        row = ctx.sql("SELECT counted_milli FROM stock_take_line WHERE stock_take_id = ? AND product_id = ?",
                      (take.uuid, product.id)).fetchone()
        counted = qty if mode == "set" or row is None else row[0] + qty
        ctx.sql("INSERT INTO stock_take_line (stock_take_id, product_id, counted_milli, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (stock_take_id, product_id) DO UPDATE SET counted_milli = excluded.counted_milli, "
                "updated_at = excluded.updated_at", (take.uuid, product.id, counted, db_time(ctx.clock())))
    return {"product_id": product.id, "sku": product.sku, "name": product.name, "counted_milli": counted}


def variance(ctx: TillContext, take_uuid: str) -> dict:
    """The count sheet against on-hand now: per counted product, expected, counted, variance
    and its value at cost."""
    take = StockTake.get_or_none(StockTake.uuid == take_uuid)
    if take is None:
        raise NotFound(f"no stock take {take_uuid}", code="stock_take_not_found")
    if take.status != "open":
        return take.report
    rows = ctx.sql(
        "SELECT p.id, p.sku, p.name, p.unit, p.cost_price, COALESCE(l.qty_milli, 0), t.counted_milli "
        "FROM stock_take_line t JOIN product p ON p.id = t.product_id "
        "LEFT JOIN stock_level l ON l.product_id = p.id WHERE t.stock_take_id = ? ORDER BY p.sku",
        (take.uuid,)).fetchall()
    lines = [{"product_id": r[0], "sku": r[1], "name": r[2], "unit": r[3], "expected_milli": r[5],
              "counted_milli": r[6], "variance_milli": r[6] - r[5],
              "variance_value": ((r[6] - r[5]) * r[4] // 1000) if r[4] is not None else None} for r in rows]
    return {"uuid": take.uuid, "status": take.status, "note": take.note, "lines": lines,
            "total_variance_value": sum(line["variance_value"] or 0 for line in lines)}


def apply_stock_take(ctx: TillContext, actor: Actor, take_uuid: str, override: Override | None = None) -> dict:
    """Set each counted product's stock to its count, as one audited event."""
    approver = authorize(ctx, actor, "stock.take", override)
    with ctx.transaction():
        take = _open_take(take_uuid)
        report = variance(ctx, take.uuid)
        if not report["lines"]:
            raise Conflict("nothing has been counted in this stock take", code="stock_take_empty")
        records = add_moves(ctx, [(line["product_id"], line["variance_milli"], "stocktake", take.uuid, None, None)
                                  for line in report["lines"] if line["variance_milli"]],
                            skus={line["product_id"]: line["sku"] for line in report["lines"]})
        now = ctx.clock()
        report = {**report, "status": "applied", "applied_at": iso(now), "applied_by": actor.cashier.code}
        ctx.sql("UPDATE stock_take SET status = 'applied', finished_by_id = ?, finished_at = ?, report = ? WHERE uuid = ?",
                (actor.cashier.id, db_time(now), to_json(report), take.uuid))
        audit(ctx, "stock.take_apply", cashier=actor.cashier, approved_by=approver, subject=take.uuid,
              products=len(report["lines"]), total_variance_value=report["total_variance_value"])
        enqueue(ctx, "stock_take", take.uuid, {**report, "stock_moves": records})
    return report


def cancel_stock_take(ctx: TillContext, actor: Actor, take_uuid: str) -> None:
    authorize(ctx, actor, "stock.take")
    with ctx.transaction():
        take = _open_take(take_uuid)
        ctx.sql("UPDATE stock_take SET status = 'cancelled', finished_by_id = ?, finished_at = ? WHERE uuid = ?",
                (actor.cashier.id, db_time(ctx.clock()), take.uuid))
        audit(ctx, "stock.take_cancel", cashier=actor.cashier, subject=take.uuid)
