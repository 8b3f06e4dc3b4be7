"""Stock at head office: on-hand per store from the stock moves the tills sent, the
low-stock list, and stock-take variances.

A till's stock moves name its own product id and (from tills of this version on) the
product's SKU; head office learns which SKU an id is from those moves and from the
sale, refund and stock-take lines of the same store (`StoreProduct`). Moves of an id
head office has not yet seen named (records of older tills) are listed under
`till product <id>`.
"""

from __future__ import annotations

from datetime import datetime

from peewee import JOIN, fn

from .errors import FleetError
from .models import Product, StockMoveFact, StockTakeLineFact, StoreProduct
from .reports import parse_span
from .stores import get_store

DEFAULT_LOW_MILLI = 5000


def on_hand(store: str | None = None, *, sku: str | None = None) -> list[dict]:
    """Per store and product: the quantity on hand (milli-units) and its value at cost."""
    if store:
        get_store(store)  # store_not_found
    query = (StockMoveFact
             .select(StockMoveFact.store_id, StockMoveFact.till_product_id, StoreProduct.sku,
                     fn.SUM(StockMoveFact.qty_milli).alias("qty_milli"), fn.MAX(StockMoveFact.moved_at).alias("last"))
             .join(StoreProduct, JOIN.LEFT_OUTER,
                   on=((StoreProduct.store_id == StockMoveFact.store_id)
                       & (StoreProduct.till_product_id == StockMoveFact.till_product_id)))
             .group_by(StockMoveFact.store_id, StockMoveFact.till_product_id, StoreProduct.sku))
    if store:
        query = query.where(StockMoveFact.store_id == store)
    if sku:
        query = query.where(StoreProduct.sku == sku)
    rows = list(query.dicts())
    products = {p.sku: p for p in Product.select().where(Product.sku.in_(sorted({r["sku"] for r in rows if r["sku"]})))}
    out = []
    for row in rows:
        product = products.get(row["sku"])
        qty = int(row["qty_milli"] or 0)
        cost = product.cost_price if product else None
        out.append({"store_id": row["store_id"], "sku": row["sku"] or f"till product {row['till_product_id']}",
                    "name": product.name if product else "", "unit": product.unit if product else "each",
                    "qty_milli": qty, "value": None if cost is None else cost * qty // 1000,
                    "last_move_at": row["last"].isoformat() + "Z" if row["last"] else None})
    out.sort(key=lambda r: (r["store_id"], r["sku"]))
    return out


def low_stock(store: str | None = None, below_milli: int = DEFAULT_LOW_MILLI) -> list[dict]:
    """Products whose stock in a store is below `below_milli` (5 units by default), lowest first."""
    if not isinstance(below_milli, int) or below_milli < 0:
        raise FleetError("below must be a quantity of at least 0", code="invalid_quantity")
    rows = [r for r in on_hand(store) if r["qty_milli"] < below_milli]
    rows.sort(key=lambda r: (r["qty_milli"], r["store_id"], r["sku"]))
    return rows


def stock_take_variances(store: str | None = None, *, date_from=None, date_to=None, days_back: int = 0,
                         now: datetime | None = None) -> list[dict]:
    """The applied stock takes in a range of days, each store's own local days (without
    `from`: from `days_back` days before each store's own today; reports.parse_span): per
    take its lines and total value."""
    span = parse_span(date_from, date_to, store, now=now, days_back=days_back)
    condition = None
    for ids, first, before in span.utc_bounds():
        part = (StockTakeLineFact.applied_at >= first) & (StockTakeLineFact.applied_at < before)
        part &= (StockTakeLineFact.store_id == store) if ids is None else StockTakeLineFact.store_id.in_(list(ids))
        condition = part if condition is None else condition | part
    if condition is None:  # no stores: no stock takes
        return []
    query = StockTakeLineFact.select().where(condition)
    takes: dict[str, dict] = {}
    for line in query.order_by(StockTakeLineFact.applied_at.desc(), StockTakeLineFact.sku):
        take = takes.setdefault(line.take_uuid, {"uuid": line.take_uuid, "store_id": line.store_id,
                                                 "applied_at": line.applied_at.isoformat() + "Z", "lines": [],
                                                 "total_variance_value": 0})
        take["lines"].append({"sku": line.sku, "name": line.name, "unit": line.unit,
                              "expected_milli": line.expected_milli, "counted_milli": line.counted_milli,
                              "variance_milli": line.variance_milli, "variance_value": line.variance_value})
        take["total_variance_value"] += line.variance_value or 0
    return list(takes.values())
