"""Sales and refunds as head office queries them: the report tables and the search.

Head office keeps each till record once, whole, as a `ReceivedRecord` (JSON). For the
reports and the console, ingest also writes the record's figures into narrow tables in
the same transaction (`index_records`): a row per sale, sale line, payment, refund,
refund line, stock move and stock-take line. Every row has a natural key (the record's
UUID and the line's place in it) and is inserted with "skip if held", so a record sent
twice, two ingest workers racing, or a backfill over records already indexed changes
nothing.

Times are UTC; `day` and `hour` are the sale's (refund's, payment's) day and hour in the
store's own time zone (`Store.timezone`, as its till reports it; the tills' default
Asia/Shanghai while head office does not know it), computed at ingest from the record's
UTC time. When a store's time zone changes or becomes known, `rebucket_store` moves its
facts to their new local days and hours, in the caller's transaction.

A line's `revenue` is its takings without tax; its `cost` is the line's own cost price
(the till's cost when it sold it, `cost_price` in the record's line) times the quantity,
or, for records without one, head office's cost price of the product when the record
arrived (null when neither is known).

A stock move names the till's product id and, from tills that send it, the product's SKU;
each SKU so named teaches head office what the id stands for (`StoreProduct`).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peewee import BigIntegerField, CharField, IntegerField

from fleetpos import messages
from fleetpos.messages import MessageError

from .errors import FleetError, NotFound
from .models import (STORE_DEFAULTS, PaymentFact, Product, ReceivedRecord, RefundFact, RefundLineFact, SaleFact,
                     SaleLineFact, StockMoveFact, StockTakeLineFact, Store, StoreProduct, database_proxy)

log = logging.getLogger(__name__)

INDEXED_KINDS = ("sale", "refund", "goods_receipt", "stock_adjustment", "stock_take")
#: parameters in one INSERT (SQLite allows 32,766)
_MAX_PARAMS = 30_000


def _when(value, what: str) -> datetime:
    return messages.parse_utc(value, what)


_UTC = ZoneInfo("UTC")


def store_zones(store_ids) -> dict[str, ZoneInfo]:
    """The time zone of each store (the default for a store head office does not know)."""
    ids = sorted(set(store_ids))
    zones = {store_id: STORE_DEFAULTS["timezone"] for store_id in ids}
    for start in range(0, len(ids), 900):
        for store_id, name in (Store.select(Store.id, Store.timezone)
                               .where(Store.id.in_(ids[start:start + 900])).tuples()):
            if name:
                zones[store_id] = name
    return {store_id: _zone(name) for store_id, name in zones.items()}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        log.warning("time zone %r is not known here; using %s", name, STORE_DEFAULTS["timezone"])
        return ZoneInfo(STORE_DEFAULTS["timezone"])


def local_bucket(at: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """The local (day, hour) of a naive UTC time in `zone`."""
    local = at.replace(tzinfo=_UTC).astimezone(zone)
    return local.date(), local.hour


def _line_cost(line: dict, cost_price: int | None) -> int | None:
    """A line's cost: its own cost price (the till's, when it sold it) when the record has
    one, else head office's (`cost_price`), times the quantity."""
    own = line.get("cost_price")
    if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
        cost_price = own
    return None if cost_price is None else cost_price * line["qty_milli"] // 1000


class _Rows:
    """The rows of one batch of records, per table."""

    def __init__(self):
        self.tables: dict = {model: [] for model in (SaleFact, SaleLineFact, PaymentFact, RefundFact, RefundLineFact,
                                                     StoreProduct, StockMoveFact, StockTakeLineFact)}

    def add(self, model, **row) -> None:
        self.tables[model].append(_clean(model, row))


_INT_LIMITS = {IntegerField: 2 ** 31, BigIntegerField: 2 ** 63}
#: per model, per column: (nullable, a text column's length, an integer column's limit);
#: worked out once, not for every value of every row at ingest
_COLUMN_CHECKS: dict = {}


def _column_checks(model) -> dict[str, tuple[bool, int | None, int | None]]:
    checks = _COLUMN_CHECKS.get(model)
    if checks is None:
        checks = _COLUMN_CHECKS[model] = {
            name: (field.null, field.max_length if isinstance(field, CharField) else None,
                   _INT_LIMITS.get(type(field)))
            for name, field in model._meta.fields.items()}
    return checks


def _clean(model, row: dict) -> dict:
    """A row that the database will take: a figure that is not a whole number in range
    refuses the record (ValueError: it is logged and left out of the reports, never
    allowed to fail the ingest transaction), text is cut to its column's length."""
    checks = _column_checks(model)
    for key, value in row.items():
        null, length, limit = checks[key]
        if value is None:
            if not null:
                raise ValueError(f"{key} is missing")
        elif length is not None:
            row[key] = (value if isinstance(value, str) else str(value))[:length]
        elif limit is not None:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= limit:
                raise ValueError(f"{key} must be a whole number in range, not {value!r}")
    return row


class _Takings:
    """The takings without tax (`revenue`) and the cost of goods (`cost`, None once a line's
    cost is unknown) of a sale's or a refund's lines, added up line by line; each line's
    product id also teaches head office its SKU (`StoreProduct`)."""

    def __init__(self, rows: _Rows, r: dict, products: dict, inclusive: bool):
        self.rows, self.store_id, self.products, self.inclusive = rows, r["store_id"], products, inclusive
        self.revenue: int = 0
        self.cost: int | None = 0

    def line(self, line: dict, amount: int) -> tuple[str | None, int, int | None]:
        """The line's (category, revenue, cost); `amount` is what the line took, tax included
        when the record's prices include it."""
        category, cost_price = self.products.get(line["sku"], (None, None))
        revenue = amount - line["tax"] if self.inclusive else amount
        cost = _line_cost(line, cost_price)
        self.revenue += revenue
        self.cost = None if self.cost is None or cost is None else self.cost + cost
        if line.get("product_id") is not None:
            self.rows.add(StoreProduct, store_id=self.store_id, till_product_id=line["product_id"], sku=line["sku"])
        return category, revenue, cost


def _sale(rows: _Rows, r: dict, products: dict, zone: ZoneInfo) -> None:
    sold_at = _when(r["completed_at"], "completed_at")
    day, hour = local_bucket(sold_at, zone)
    inclusive = r.get("tax_mode", "inclusive") == "inclusive"
    takings = _Takings(rows, r, products, inclusive)
    for index, line in enumerate(r.get("lines") or []):
        sku = line["sku"]
        category, line_revenue, line_cost = takings.line(line, line["net"])
        rows.add(SaleLineFact, sale_uuid=r["uuid"], position=line.get("position", index + 1), store_id=r["store_id"],
                 day=day, hour=hour, cashier=r.get("cashier") or "", sku=sku, name=line.get("name") or sku,
                 category=category, qty_milli=line["qty_milli"], net=line["net"], tax=line["tax"],
                 revenue=line_revenue, cost=line_cost)
    for seq, payment in enumerate(r.get("payments") or []):
        rows.add(PaymentFact, record_uuid=r["uuid"], seq=seq, kind="sale", store_id=r["store_id"], day=day, hour=hour,
                 method=payment["method"], amount=payment["amount"])
    member = r.get("member") or {}
    rows.add(SaleFact, uuid=r["uuid"], store_id=r["store_id"], device_id=r["device_id"],
             receipt_no=r.get("receipt_no") or "", cashier=r.get("cashier") or "", sold_at=sold_at, day=day, hour=hour,
             currency=r.get("currency") or "", line_count=len(r.get("lines") or []), subtotal=r.get("subtotal", 0),
             discount_total=r.get("discount_total", 0), tax_total=r.get("tax_total", 0), total=r["total"],
             revenue=takings.revenue, cost=takings.cost,
             member_card=member.get("card_no") if isinstance(member, dict) else None)
    _moves(rows, r, "sale", sold_at)


def _refund(rows: _Rows, r: dict, products: dict, zone: ZoneInfo) -> None:
    at = _when(r["at"], "at")
    day, hour = local_bucket(at, zone)
    lines = r.get("lines") or []
    # the record has no tax mode: prices include tax when the lines add up to the total
    inclusive = sum(line["amount"] for line in lines) == r["total"]
    takings = _Takings(rows, r, products, inclusive)
    for seq, line in enumerate(lines):
        sku = line["sku"]
        category, line_revenue, line_cost = takings.line(line, line["amount"])
        rows.add(RefundLineFact, refund_uuid=r["uuid"], seq=seq, store_id=r["store_id"], day=day,
                 cashier=r.get("cashier") or "", sku=sku, name=line.get("name") or sku, category=category,
                 qty_milli=line["qty_milli"], amount=line["amount"], tax=line["tax"], revenue=line_revenue,
                 cost=line_cost)
    for seq, payment in enumerate(r.get("payments") or []):
        rows.add(PaymentFact, record_uuid=r["uuid"], seq=seq, kind="refund", store_id=r["store_id"], day=day,
                 hour=hour, method=payment["method"], amount=-payment["amount"])
    rows.add(RefundFact, uuid=r["uuid"], store_id=r["store_id"], device_id=r["device_id"],
             number=r.get("number") or "", sale_uuid=r.get("sale_uuid"), receipt_no=r.get("receipt_no"),
             cashier=r.get("cashier") or "", refunded_at=at, day=day, hour=hour, currency=r.get("currency") or "",
             total=r["total"], tax_total=r.get("tax_total", 0), payout=r.get("payout", r["total"]),
             revenue=takings.revenue, cost=takings.cost, reason=(r.get("reason") or None) and str(r["reason"])[:200])
    _moves(rows, r, "refund", at)


def _moves(rows: _Rows, r: dict, kind: str, at: datetime) -> None:
    for move in r.get("stock_moves") or []:
        rows.add(StockMoveFact, uuid=move["uuid"], store_id=r["store_id"], till_product_id=move["product_id"],
                 qty_milli=move["qty_milli"], kind=kind, record_uuid=r["uuid"], moved_at=at)
        if isinstance(move.get("sku"), str) and move["sku"]:
            rows.add(StoreProduct, store_id=r["store_id"], till_product_id=move["product_id"], sku=move["sku"])


def _stock_take(rows: _Rows, r: dict) -> None:
    at = _when(r.get("applied_at") or r.get("at"), "applied_at")
    for line in r.get("lines") or []:
        rows.add(StockTakeLineFact, take_uuid=r["uuid"], store_id=r["store_id"], applied_at=at, sku=line["sku"],
                 name=line.get("name") or line["sku"], unit=line.get("unit") or "each",
                 expected_milli=line["expected_milli"], counted_milli=line["counted_milli"],
                 variance_milli=line["variance_milli"], variance_value=line.get("variance_value"))
        if line.get("product_id") is not None:
            rows.add(StoreProduct, store_id=r["store_id"], till_product_id=line["product_id"], sku=line["sku"])
    _moves(rows, r, "stock_take", at)


def index_records(records: list[dict]) -> int:
    """Inside the caller's transaction: the report rows of these record payloads (any kind;
    kinds without figures are skipped). A record whose figures cannot be read is logged and
    left out of the reports; the record itself stays stored. Returns how many were indexed."""
    wanted = [r for r in records if isinstance(r, dict) and r.get("kind") in INDEXED_KINDS]
    if not wanted:
        return 0
    skus = sorted({line.get("sku") for r in wanted for line in (r.get("lines") or []) if isinstance(line, dict)}
                  - {None})
    products = {}
    for start in range(0, len(skus), 900):
        for sku, category, cost_price in (Product.select(Product.sku, Product.category, Product.cost_price)
                                          .where(Product.sku.in_(skus[start:start + 900])).tuples()):
            products[sku] = (category, cost_price)
    zones = store_zones(r.get("store_id") for r in wanted if isinstance(r.get("store_id"), str))
    rows = _Rows()
    indexed = 0
    for r in wanted:
        one = _Rows()
        try:
            kind = r["kind"]
            if kind == "sale":
                _sale(one, r, products, zones[r["store_id"]])
            elif kind == "refund":
                _refund(one, r, products, zones[r["store_id"]])
            elif kind == "stock_take":
                _stock_take(one, r)
            else:
                _moves(one, r, kind, _when(r["at"], "at"))
        except (KeyError, TypeError, ValueError, MessageError) as exc:
            log.warning("record %s (%s) has figures the reports cannot read (%s: %s); it is stored but not reported",
                        r.get("uuid"), r.get("kind"), type(exc).__name__, exc)
            continue
        for model, items in one.tables.items():
            rows.tables[model].extend(items)
        indexed += 1
    # a batch names the same till product many times: one row each is enough (a conflict
    # costs PostgreSQL more than a plain insert)
    rows.tables[StoreProduct] = list({(r["store_id"], r["till_product_id"]): r
                                      for r in rows.tables[StoreProduct]}.values())
    database = database_proxy.obj
    for model, items in rows.tables.items():
        if not items:
            continue
        keys = list(items[0])
        size = max(1, min(1000, _MAX_PARAMS // len(keys)))
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            database.execute_sql(_insert_ignore_sql(database, model, keys, len(chunk)),
                                 [row[k] for row in chunk for k in keys])
    return indexed


def _insert_ignore_sql(database, model, keys: list[str], rows: int) -> str:
    """A multi-row INSERT that skips rows already held (by any unique key). Plain SQL:
    building it through the ORM cost several times the insert itself at ingest."""
    columns = ", ".join(model._meta.fields[k].column_name for k in keys)
    values = ", ".join(["(" + ", ".join([database.param] * len(keys)) + ")"] * rows)
    return f"INSERT INTO {model._meta.table_name} ({columns}) VALUES {values} ON CONFLICT DO NOTHING"


def backfill(batch: int = 2000) -> int:
    """Index every stored record of the reported kinds (records stored before the report
    tables existed). Safe to run again: rows already held are skipped."""
    last, total = 0, 0
    database = database_proxy.obj
    while True:
        with database.atomic():
            chunk = list(ReceivedRecord.select(ReceivedRecord.id, ReceivedRecord.payload)
                         .where((ReceivedRecord.id > last) & ReceivedRecord.kind.in_(INDEXED_KINDS))
                         .order_by(ReceivedRecord.id).limit(batch).tuples())
            if not chunk:
                return total
            payloads = []
            for _id, text in chunk:
                try:
                    payloads.append(json.loads(text))
                except ValueError:
                    log.warning("received record %d is not JSON; skipped", _id)
            total += index_records(payloads)
            last = chunk[-1][0]


# -- a store's time zone changes: its facts move to their new local days and hours ----------

def _offset_periods(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime, datetime, int]]:
    """[start, end) UTC spans covering first..last in which `zone`'s offset from UTC is one
    number of minutes: (start, end, minutes). Daylight saving makes two a year."""
    def offset(at: datetime) -> int:
        return int(at.replace(tzinfo=_UTC).astimezone(zone).utcoffset().total_seconds() // 60)

    start = first.replace(minute=0, second=0, microsecond=0)
    end = last + timedelta(seconds=1)
    periods, period_start, current = [], datetime.min, offset(start)
    at = start
    while at < end:
        step = at + timedelta(hours=1)
        if offset(step) != current:
            low, high = at, step  # the change lies in (low, high]: find its minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            periods.append((period_start, high, current))
            period_start, current = high, offset(high)
        at = step
    periods.append((period_start, datetime.max, current))
    return periods


def _shifted_bucket_sql(database, column: str) -> tuple[str, str]:
    """SQL for the day and the hour of `column` (a naive UTC time) moved by a parameter:
    on SQLite a modifier like '+480 minutes', on PostgreSQL a number of minutes."""
    from .db import is_postgres

    if is_postgres(database):
        shifted = f"({column} + make_interval(mins => %s))"
        return f"CAST({shifted} AS DATE)", f"CAST(EXTRACT(HOUR FROM {shifted}) AS INTEGER)"
    return f"date({column}, ?)", f"CAST(strftime('%H', {column}, ?) AS INTEGER)"


def rebucket_store(store_id: str) -> None:
    """Inside the caller's transaction: move a store's report rows to the local days and
    hours of its time zone as it is now (after it changed or became known). One UPDATE
    per table and span of one UTC offset; the lines and payments follow their record."""
    from .db import is_postgres

    database = database_proxy.obj
    zone = store_zones([store_id])[store_id]
    pg = is_postgres(database)
    for model, at in ((SaleFact, "sold_at"), (RefundFact, "refunded_at")):
        table = model._meta.table_name
        first, last = database.execute_sql(
            f"SELECT MIN({at}), MAX({at}) FROM {table} WHERE store_id = {database.param}", (store_id,)).fetchone()
        if first is None:
            continue
        if isinstance(first, str):  # SQLite hands back the stored text
            first, last = (datetime.fromisoformat(value) for value in (first, last))
        day_sql, hour_sql = _shifted_bucket_sql(database, at)
        p = database.param
        for start, end, minutes in _offset_periods(zone, first, last):
            shift = minutes if pg else f"{minutes:+d} minutes"
            database.execute_sql(f"UPDATE {table} SET day = {day_sql}, hour = {hour_sql} "
                                 f"WHERE store_id = {p} AND {at} >= {p} AND {at} < {p}",
                                 (shift, shift, store_id, *((start, end) if pg else (str(start), str(end)))))
    p = database.param
    for child, key, parent, columns, kind in (
            ("sale_line_fact", "sale_uuid", "sale_fact", ("day", "hour"), None),
            ("refund_line_fact", "refund_uuid", "refund_fact", ("day",), None),
            ("payment_fact", "record_uuid", "sale_fact", ("day", "hour"), "sale"),
            ("payment_fact", "record_uuid", "refund_fact", ("day", "hour"), "refund")):
        sets = ", ".join(f"{c} = f.{c}" for c in columns)
        changed = " OR ".join(f"{child}.{c} <> f.{c}" for c in columns)
        # driven from the parent's (store_id, time) index, then the child's unique (uuid, n) one
        database.execute_sql(
            f"UPDATE {child} SET {sets} FROM {parent} AS f WHERE f.store_id = {p} AND f.uuid = {child}.{key} "
            + (f"AND {child}.kind = {p} " if kind else "") + f"AND ({changed})",
            (store_id, kind) if kind else (store_id,))


# -- search and one sale -----------------------------------------------------------------

def _day(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FleetError(f"{what} must be a date like 2026-12-05, not {value!r}", code="invalid_date") from None


def search_query(kind: str = "sale", *, store: str | None = None, date_from=None, date_to=None,
                 receipt: str | None = None, cashier: str | None = None, sku: str | None = None):
    """Sales (or refunds) across stores, newest first, filtered; `sku`: those with a line of it."""
    start, end = _day(date_from, "from"), _day(date_to, "to")
    if kind == "sale":
        model, at, number = SaleFact, SaleFact.sold_at, SaleFact.receipt_no
    elif kind == "refund":
        model, at, number = RefundFact, RefundFact.refunded_at, RefundFact.number
    else:
        raise FleetError("kind must be 'sale' or 'refund'", code="invalid_kind")
    query = model.select()
    if store:
        query = query.where(model.store_id == store)
    if start:
        query = query.where(model.day >= start)
    if end:
        query = query.where(model.day <= end)
    if receipt:
        query = query.where(number.contains(receipt.strip()))
    if cashier:
        query = query.where(model.cashier == cashier.strip())
    if sku:
        lines = (SaleLineFact.select(SaleLineFact.sale_uuid).where(SaleLineFact.sku == sku.strip()) if kind == "sale"
                 else RefundLineFact.select(RefundLineFact.refund_uuid).where(RefundLineFact.sku == sku.strip()))
        query = query.where(model.uuid.in_(lines))
    return query.order_by(at.desc(), model.uuid)


def sale_summary(row: SaleFact) -> dict:
    return {"uuid": row.uuid, "kind": "sale", "store_id": row.store_id, "device_id": row.device_id,
            "receipt_no": row.receipt_no, "cashier": row.cashier, "at": messages.utc_iso(row.sold_at),
            "currency": row.currency, "lines": row.line_count, "total": row.total, "tax_total": row.tax_total}


def refund_summary(row: RefundFact) -> dict:
    return {"uuid": row.uuid, "kind": "refund", "store_id": row.store_id, "device_id": row.device_id,
            "number": row.number, "sale_uuid": row.sale_uuid, "receipt_no": row.receipt_no, "cashier": row.cashier,
            "at": messages.utc_iso(row.refunded_at), "currency": row.currency, "total": row.total,
            "payout": row.payout, "reason": row.reason}


def summarize(row) -> dict:
    return sale_summary(row) if isinstance(row, SaleFact) else refund_summary(row)


def get_record(record_uuid: str) -> dict:
    """A sale or refund record exactly as the till sent it."""
    row = ReceivedRecord.get_or_none(ReceivedRecord.uuid == record_uuid)
    if row is None or row.kind not in ("sale", "refund"):
        raise NotFound(f"no sale or refund {record_uuid}", code="sale_not_found")
    return json.loads(row.payload)


def refunds_of(sale_uuid: str) -> list[dict]:
    return [refund_summary(r) for r in RefundFact.select().where(RefundFact.sale_uuid == sale_uuid)
            .order_by(RefundFact.refunded_at)]
