"""Sales reports over the report tables (fleet_server/sales.py), and their CSV/XLSX export.

Each report is a table: `columns` (key, label, type) and `rows`, plus `totals`, for a
range of days and optionally one store. Days and hours are each store's own local time
(its time zone, `Store.timezone`): a sale at 23:30 in Shanghai is on that Shanghai day,
in hour 23, and a report across stores in different time zones adds up each store's
local days and hours. Money is integer minor units (a report whose sales are in more than one currency lists
them in `currencies`, has a `warning` and no money totals); `margin_bp`
is the gross margin in basis points of revenue (takings without tax). Refunds count
against the day they were made: `net_sales` is sales minus refunds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from peewee import fn

from .errors import FleetError
from .stores import get_store
from .models import STORE_DEFAULTS, PaymentFact, RefundFact, RefundLineFact, SaleFact, SaleLineFact, Store, utcnow

MAX_DAYS = 366


def _col(key, label, kind="text"):
    return {"key": key, "label": label, "type": kind}


_MONEY = [_col("sales", "Sales", "int"), _col("total", "Takings", "money"),
          _col("revenue", "Revenue (ex tax)", "money"),
          _col("cost", "Cost", "money"), _col("margin", "Gross margin", "money"), _col("margin_bp", "Margin %", "bp")]

REPORTS = {
    "store": "Sales by store",
    "day": "Sales by day",
    "hour": "Sales by hour",
    "day_store_hour": "Sales by store and hour",
    "product": "Sales by product",
    "category": "Sales by category",
    "cashier": "Sales by cashier",
    "payment": "Takings by payment method",
}


def local_today(store: str | None = None, *, now: datetime | None = None) -> date:
    """Today in the store's time zone (without a store: in the stores' default time zone).
    `now`: a naive UTC time instead of the clock's."""
    return (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(store_timezone(store))).date()


def store_timezone(store: str | None) -> str:
    """The time zone a store's days and hours are in (the stores' default without one)."""
    row = Store.get_or_none(Store.id == store) if store else None
    return row.effective_timezone if row else STORE_DEFAULTS["timezone"]


def stores_by_zone() -> dict[str, list[str]]:
    """Every store's id under the time zone that applies to it."""
    zones: dict[str, list[str]] = {}
    for row in Store.select(Store.id, Store.timezone).order_by(Store.id):
        zones.setdefault(row.effective_timezone, []).append(row.id)
    return zones


@dataclass(frozen=True)
class Span:
    """The local days a report covers: one range of days, for one store or all (each store's
    days are its own local days), or, where the range starts or ends "today" over all
    stores, each store's own today: `zones` then holds, per time zone, its stores and their
    first and last day. `start`/`end`: the earliest and the latest day covered."""
    start: date
    end: date
    store: str | None = None
    zones: tuple[tuple[str, tuple[str, ...], date, date], ...] | None = None

    @property
    def per_store_today(self) -> bool:
        return self.zones is not None

    def where(self, model):
        """The condition on a report table's `day` (and `store_id`)."""
        if self.zones is None:
            condition = (model.day >= self.start) & (model.day <= self.end)
            return condition & (model.store_id == self.store) if self.store else condition
        condition = None
        for _zone_name, ids, first, last in self.zones:
            part = model.store_id.in_(list(ids)) & (model.day >= first) & (model.day <= last)
            condition = part if condition is None else condition | part
        return condition

    def utc_bounds(self) -> list[tuple[tuple[str, ...] | None, datetime, datetime]]:
        """(stores, from, before) in naive UTC times covering the span's local days: one
        entry per time zone (stores None: the one store asked for)."""
        def utc(day: date, name: str) -> datetime:
            return datetime.combine(day, time(), ZoneInfo(name)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

        if self.store:
            name = store_timezone(self.store)
            return [(None, utc(self.start, name), utc(self.end + timedelta(days=1), name))]
        zones = self.zones if self.zones is not None else tuple(
            (name, tuple(ids), self.start, self.end) for name, ids in stores_by_zone().items())
        return [(ids, utc(first, name), utc(last + timedelta(days=1), name)) for name, ids, first, last in zones]


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        raise FleetError("from and to are dates like 2026-12-05", code="invalid_date") from None


def _check(start: date, end: date) -> None:
    if end < start:
        raise FleetError("the report ends before it starts (to < from)", code="invalid_range")
    if (end - start).days >= MAX_DAYS:
        raise FleetError(f"a report covers at most {MAX_DAYS} days", code="invalid_range")


def parse_span(date_from=None, date_to=None, store: str | None = None, *, now: datetime | None = None,
               days_back: int = 0) -> Span:
    """The days of a report: from and to as ISO dates (to defaults to from). A range without
    `from` starts today, or `days_back` days before it, and without `to` ends today: the
    store's local today, or, over all stores, each store's own (a store in Los Angeles is
    still on yesterday while Shanghai is on today)."""
    first, last = _day(date_from), _day(date_to)
    if first is not None:
        last = last or first
        _check(first, last)
        return Span(first, last, store)

    def days(today: date) -> tuple[date, date]:
        start, end = today - timedelta(days=days_back), last or today
        _check(start, end)
        return start, end

    if store:
        return Span(*days(local_today(store, now=now)), store)
    now = now or utcnow()
    zones = []
    for name, ids in stores_by_zone().items():
        zones.append((name, tuple(ids), *days(now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(name)).date())))
    if not zones:  # no stores yet: the default zone's today
        return Span(*days(local_today(now=now)))
    return Span(min(z[2] for z in zones), max(z[3] for z in zones), None, tuple(zones))


def _margin(row: dict) -> dict:
    revenue, cost = row.get("revenue") or 0, row.get("cost")
    row["revenue"] = int(revenue)
    row["cost"] = None if cost is None else int(cost)
    row["margin"] = None if cost is None else int(revenue - cost)
    row["margin_bp"] = None if cost is None or not revenue else int((revenue - cost) * 10000 // revenue)
    return row


def _sales_by(keys, span: Span):
    """Sale headers grouped by `keys` (SaleFact fields)."""
    fields = [getattr(SaleFact, k) for k in keys]
    query = (SaleFact.select(*fields, fn.COUNT(SaleFact.uuid).alias("sales"), fn.SUM(SaleFact.total).alias("total"),
                             fn.SUM(SaleFact.revenue).alias("revenue"), fn.SUM(SaleFact.cost).alias("cost"),
                             fn.COUNT(SaleFact.cost).alias("costed"))
             .where(span.where(SaleFact)).group_by(*fields).order_by(*fields).dicts())
    out = []
    for row in query:
        if row.pop("costed") != row["sales"]:
            row["cost"] = None  # some sale has no known cost: a margin would be wrong
        row["total"] = int(row["total"] or 0)
        out.append(_margin(row))
    return out


def _refunds_by(keys, span: Span) -> dict:
    fields = [getattr(RefundFact, k) for k in keys]
    query = (RefundFact.select(*fields, fn.COUNT(RefundFact.uuid).alias("refunds"),
                               fn.SUM(RefundFact.total).alias("refunded"))
             .where(span.where(RefundFact)).group_by(*fields).dicts())
    return {tuple(str(row[k]) for k in keys): (row["refunds"], int(row["refunded"] or 0)) for row in query}


def _with_refunds(rows, refunds, keys):
    for row in rows:
        count, amount = refunds.pop(tuple(str(row[k]) for k in keys), (0, 0))
        row.update(refunds=count, refunded=amount, net_sales=row["total"] - amount)
    for key, (count, amount) in refunds.items():  # refunds on a day/store without sales
        row = dict(zip(keys, key))
        row.update(sales=0, total=0, revenue=0, cost=0, margin=0, margin_bp=None, refunds=count, refunded=amount,
                   net_sales=-amount)
        rows.append(row)
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))


_REFUND_COLS = [_col("refunds", "Refunds", "int"), _col("refunded", "Refunded", "money"),
                _col("net_sales", "Net sales", "money")]


def _line_report(field, label, span: Span):
    column = getattr(SaleLineFact, field)
    extra = [SaleLineFact.name] if field == "sku" else []
    query = (SaleLineFact.select(column, *[fn.MAX(e).alias("name") for e in extra],
                                 fn.SUM(SaleLineFact.qty_milli).alias("qty_milli"),
                                 fn.SUM(SaleLineFact.net).alias("total"), fn.SUM(SaleLineFact.revenue).alias("revenue"),
                                 fn.SUM(SaleLineFact.cost).alias("cost"), fn.COUNT(SaleLineFact.id).alias("lines"),
                                 fn.COUNT(SaleLineFact.cost).alias("costed"))
             .where(span.where(SaleLineFact)).group_by(column).dicts())
    refunds = {row[field]: row for row in (
        RefundLineFact.select(getattr(RefundLineFact, field), fn.SUM(RefundLineFact.qty_milli).alias("qty"),
                              fn.SUM(RefundLineFact.amount).alias("amount"))
        .where(span.where(RefundLineFact)).group_by(getattr(RefundLineFact, field)).dicts())}
    rows = []
    for row in query:
        if row.pop("costed") != row["lines"]:
            row["cost"] = None
        row[field] = row[field] if row[field] is not None else ""
        row["qty_milli"] = int(row["qty_milli"] or 0)
        row["total"] = int(row["total"] or 0)
        refund = refunds.get(row[field] or None) or {}
        row["refunded_qty_milli"] = int(refund.get("qty") or 0)
        row["refunded"] = int(refund.get("amount") or 0)
        rows.append(_margin(row))
    rows.sort(key=lambda r: (-r["total"], str(r[field])))
    columns = [_col(field, label)] + ([_col("name", "Name")] if extra else []) + [
        _col("lines", "Sale lines", "int"), _col("qty_milli", "Quantity", "qty"), _col("total", "Takings", "money"),
        _col("revenue", "Revenue (ex tax)", "money"), _col("cost", "Cost", "money"),
        _col("margin", "Gross margin", "money"), _col("margin_bp", "Margin %", "bp"),
        _col("refunded_qty_milli", "Refunded qty", "qty"), _col("refunded", "Refunded", "money")]
    return columns, rows


def run(name: str, *, date_from=None, date_to=None, store: str | None = None, now: datetime | None = None) -> dict:
    """One report as a table (see the module docstring). `now`: a naive UTC time for
    "today" instead of the clock's."""
    if name not in REPORTS:
        raise FleetError(f"unknown report {name!r} (one of {', '.join(REPORTS)})", code="unknown_report")
    if store:
        get_store(store)  # store_not_found
    span = parse_span(date_from, date_to, store, now=now)
    start, end = span.start, span.end
    if name == "store":
        keys = ["store_id"]
        rows = _with_refunds(_sales_by(keys, span), _refunds_by(keys, span), keys)
        names = {s.id: s.name for s in Store.select(Store.id, Store.name)}
        for row in rows:
            row["store_name"] = names.get(row["store_id"], "")
        columns = [_col("store_id", "Store"), _col("store_name", "Name")] + _MONEY + _REFUND_COLS
    elif name == "day":
        keys = ["day"]
        rows = _sales_by(keys, span)
        for row in rows:
            row["day"] = str(row["day"])
        rows = _with_refunds(rows, _refunds_by(keys, span), keys)
        columns = [_col("day", "Day")] + _MONEY + _REFUND_COLS
    elif name == "hour":
        keys = ["hour"]
        rows = _sales_by(keys, span)
        for row in rows:
            row["hour"] = f"{row['hour']:02d}:00"
        columns = [_col("hour", "Hour (store time)")] + _MONEY
    elif name == "day_store_hour":
        rows = _sales_by(["day", "store_id", "hour"], span)
        for row in rows:
            row["day"], row["hour"] = str(row["day"]), f"{row['hour']:02d}:00"
        columns = [_col("day", "Day"), _col("store_id", "Store"), _col("hour", "Hour (store time)")] + _MONEY
    elif name == "product":
        columns, rows = _line_report("sku", "SKU", span)
    elif name == "category":
        columns, rows = _line_report("category", "Category", span)
    elif name == "cashier":
        keys = ["store_id", "cashier"]
        rows = _with_refunds(_sales_by(keys, span), _refunds_by(keys, span), keys)
        columns = [_col("store_id", "Store"), _col("cashier", "Cashier")] + _MONEY + _REFUND_COLS
    else:  # payment
        query = (PaymentFact.select(PaymentFact.method, PaymentFact.kind, fn.COUNT(PaymentFact.id).alias("count"),
                                    fn.SUM(PaymentFact.amount).alias("amount"))
                 .where(span.where(PaymentFact)).group_by(PaymentFact.method, PaymentFact.kind).dicts())
        by_method: dict[str, dict] = {}
        for row in query:
            entry = by_method.setdefault(row["method"], {"method": row["method"], "payments": 0, "taken": 0,
                                                         "refunds": 0, "paid_out": 0})
            if row["kind"] == "sale":
                entry["payments"], entry["taken"] = row["count"], int(row["amount"] or 0)
            else:
                entry["refunds"], entry["paid_out"] = row["count"], -int(row["amount"] or 0)
        rows = sorted(by_method.values(), key=lambda r: r["method"])
        for row in rows:
            row["net"] = row["taken"] - row["paid_out"]
        columns = [_col("method", "Method"), _col("payments", "Payments", "int"), _col("taken", "Taken", "money"),
                   _col("refunds", "Refunds", "int"), _col("paid_out", "Paid out", "money"),
                   _col("net", "Net", "money")]
    currencies = _currencies(span)
    mixed = len(currencies) > 1
    totals = {}
    for column in columns:
        if column["type"] in ("int", "money", "qty"):
            values = [row.get(column["key"]) for row in rows]
            # amounts in different currencies have no total
            totals[column["key"]] = None if any(v is None for v in values) or (mixed and column["type"] == "money") \
                else sum(values)
    if "revenue" in totals and not mixed:
        _margin(totals)
    warning = None
    if mixed:
        warning = (f"These sales are in {len(currencies)} currencies ({', '.join(currencies)}): rows that cover "
                   "several stores add amounts in different currencies, and there are no money totals. Show one "
                   "store at a time, or correct the tills' currency (Stores: currency_mismatch alerts).")
    return {"report": name, "title": REPORTS[name], "from": start.isoformat(), "to": end.isoformat(),
            "store": store, "each_store_today": span.per_store_today, "columns": columns, "rows": rows,
            "totals": totals, "currencies": currencies, "warning": warning}


def _currencies(span: Span) -> list[str]:
    """The currencies of the sales and refunds a report covers."""
    found = {row.currency for row in SaleFact.select(SaleFact.currency).where(span.where(SaleFact))
             .distinct()}
    found |= {row.currency for row in RefundFact.select(RefundFact.currency)
              .where(span.where(RefundFact)).distinct()}
    return sorted(c for c in found if c)


def chart_series(report: dict, value: str = "total", limit: int = 40) -> dict:
    """Labels and values for a chart of `report`: its first column against `value` (the
    day/store/hour report per hour, summed over stores; a cashier by store and code), at
    most `limit` bars (the largest, for products and categories)."""
    name, rows = report["report"], report["rows"]
    if name == "day_store_hour":
        sums: dict[str, int] = {}
        for row in rows:
            sums[row["hour"]] = sums.get(row["hour"], 0) + (row.get(value) or 0)
        return {"labels": sorted(sums), "values": [sums[h] for h in sorted(sums)]}
    if name == "cashier":
        labels = [f"{row['store_id']} {row['cashier']}" for row in rows]
    else:
        first = report["columns"][0]["key"]
        labels = [str(row[first]) for row in rows]
    values = [row.get(value) or 0 for row in rows]
    if len(labels) > limit:
        top = sorted(range(len(values)), key=lambda i: -values[i])[:limit]
        labels, values = [labels[i] for i in sorted(top)], [values[i] for i in sorted(top)]
    return {"labels": labels, "values": values}


def today_by_hour(store: str | None = None, *, report: dict | None = None, now: datetime | None = None) -> dict:
    """Today's takings per local hour, each store's own today and hours, every hour present
    (the console's chart). `report`: today's hour report (`run("hour", store=store)`) when
    the caller has run it already. `day`: the day, or "first … last" when the stores are
    not all on the same day."""
    report = report or run("hour", store=store, now=now)
    by_hour = {row["hour"]: row for row in report["rows"]}
    labels = [f"{h:02d}:00" for h in range(24)]
    day = report["from"] if report["from"] == report["to"] else f"{report['from']} … {report['to']}"
    return {"day": day, "labels": labels,
            "values": [by_hour.get(label, {}).get("total", 0) for label in labels],
            "sales": [by_hour.get(label, {}).get("sales", 0) for label in labels],
            "totals": report["totals"]}


# -- export ------------------------------------------------------------------------------

def _cell(value, kind: str, exponent: int):
    if value is None:
        return ""
    if kind == "money":
        return f"{value / 10 ** exponent:.{exponent}f}"
    if kind == "qty":
        return f"{value / 1000:.3f}".rstrip("0").rstrip(".")
    if kind == "bp":
        return f"{value / 100:.2f}"
    return value


def table_rows(report: dict, exponent: int = 2) -> list[list]:
    """The report as a header row and value rows, money in currency units (12.50)."""
    columns = report["columns"]
    out = [[c["label"] for c in columns]]
    for row in report["rows"]:
        out.append([_cell(row.get(c["key"]), c["type"], exponent) for c in columns])
    out.append([("Total" if i == 0 else _cell(report["totals"].get(c["key"]), c["type"], exponent)
                 if c["key"] in report["totals"] else "") for i, c in enumerate(columns)])
    return out


def export_csv(report: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"{report['title']} {report['from']}..{report['to']}" + (f" store {report['store']}"
                                                                              if report["store"] else "")])
    writer.writerows(table_rows(report))
    return buffer.getvalue().encode("utf-8-sig")  # with a BOM: Excel then reads UTF-8 (Chinese names)


def export_xlsx(report: dict, exponent: int = 2) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = report["report"][:31]
    sheet.append([f"{report['title']} {report['from']}..{report['to']}"])
    columns = report["columns"]
    for index, values in enumerate(table_rows(report, exponent)):
        if index == 0:
            sheet.append(values)
            continue
        # figures as numbers, so Excel can add them up; codes (SKU, cashier) stay text
        sheet.append([float(v) if c["type"] in ("money", "qty", "bp") and v != "" else v
                      for v, c in zip(values, columns)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
