"""The till's own reports: a day's sales by hour, product, category, cashier and
payment method, with discounts, refunds and gross margin; CSV export.

A day is the store's local calendar day (config store.timezone). Every figure is a sum
over the stored sales, lines, payments and refunds of that day, nothing estimated.
Gross margin is net sales without tax minus cost, over lines whose cost is known.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ..context import TillContext
from ..errors import ValidationError
from ..money import div_round, format_amount
from .records import db_time

SECTIONS = ("summary", "by_hour", "by_product", "by_category", "by_cashier", "by_payment")


def parse_day(value: str | None, ctx: TillContext) -> date:
    if value in (None, "", "today"):
        return datetime.now(ZoneInfo(ctx.config.store.timezone)).date()
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"date must be YYYY-MM-DD, not {value!r}", code="invalid_date") from None


def _utc_bounds(ctx: TillContext, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(ctx.config.store.timezone)
    start = datetime.combine(day, time(), zone).astimezone(timezone.utc).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(timezone.utc).replace(tzinfo=None)
    return start, end


# Each figure comes from the hourly aggregates (report_* tables, kept by triggers) for the
# UTC hours that lie wholly inside the local day, and from the raw rows for the parts of an
# hour at either end (only in zones whose UTC offset is not whole hours). Both queries of a
# pair return the same columns.
_QUERIES = {
    "sales": (
        "SELECT bucket, cashier_id, SUM(count), SUM(subtotal), SUM(discount_total), SUM(tax_total), SUM(total), "
        "SUM(rounding), SUM(member_discount), SUM(points_discount), SUM(promo_discount) FROM report_sales "
        "WHERE bucket >= ? AND bucket < ? GROUP BY bucket, cashier_id",
        "SELECT substr(completed_at, 1, 13), cashier_id, COUNT(*), SUM(subtotal), SUM(discount_total), "
        "SUM(tax_total), SUM(total), SUM(rounding), SUM(member_discount), SUM(points_discount), SUM(promo_discount) "
        "FROM sale WHERE status = 'completed' AND completed_at >= ? AND completed_at < ? GROUP BY 1, 2"),
    "lines": (
        "SELECT product_id, category_id, MAX(sku), MAX(name), SUM(qty_milli), SUM(net), SUM(tax), SUM(cost_milli), "
        "SUM(costed_net), SUM(costed_tax), SUM(uncosted), SUM(promo), SUM(line_disc) FROM report_lines "
        "WHERE bucket >= ? AND bucket < ? GROUP BY product_id, category_id",
        "SELECT l.product_id, COALESCE(l.category_id, 0), MAX(l.sku), MAX(l.name), SUM(l.qty_milli), SUM(l.net), "
        "SUM(l.tax), COALESCE(SUM(l.cost_price * l.qty_milli), 0), SUM(CASE WHEN l.cost_price IS NULL THEN 0 "
        "ELSE l.net END), SUM(CASE WHEN l.cost_price IS NULL THEN 0 ELSE l.tax END), SUM(l.cost_price IS NULL), "
        "SUM(l.promo_discount), SUM(l.line_discount) FROM sale_line l JOIN sale s ON s.uuid = l.sale_id "
        "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY 1, 2"),
    "payments": (
        "SELECT method, SUM(count), SUM(amount) FROM report_payments WHERE bucket >= ? AND bucket < ? GROUP BY method",
        "SELECT p.method, COUNT(*), SUM(p.amount) FROM payment p JOIN sale s ON s.uuid = p.sale_id "
        "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY 1"),
    "refunds": (
        "SELECT cashier_id, SUM(count), SUM(total), SUM(tax_total), SUM(payout) FROM report_refunds "
        "WHERE bucket >= ? AND bucket < ? GROUP BY cashier_id",
        "SELECT cashier_id, COUNT(*), SUM(total), SUM(tax_total), SUM(payout) FROM refund "
        "WHERE created_at >= ? AND created_at < ? GROUP BY 1"),
    "refund_lines": (
        "SELECT product_id, MAX(sku), MAX(name), SUM(qty_milli), SUM(amount) FROM report_refund_lines "
        "WHERE bucket >= ? AND bucket < ? GROUP BY product_id",
        "SELECT l.product_id, MAX(l.sku), MAX(l.name), SUM(l.qty_milli), SUM(l.amount) FROM refund_line l "
        "JOIN refund r ON r.uuid = l.refund_id WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1"),
    "refund_payments": (
        "SELECT method, SUM(amount) FROM report_refund_payments WHERE bucket >= ? AND bucket < ? GROUP BY method",
        "SELECT p.method, SUM(p.amount) FROM refund_payment p JOIN refund r ON r.uuid = p.refund_id "
        "WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1"),
}


def _rows(ctx: TillContext, name: str, start: datetime, end: datetime):
    aggregated, raw = _QUERIES[name]
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    if first_hour < start:
        first_hour += timedelta(hours=1)
    last_hour = end.replace(minute=0, second=0, microsecond=0)
    if first_hour >= last_hour:  # less than a whole hour: raw rows only
        yield from ctx.sql(raw, (db_time(start), db_time(end)))
        return
    yield from ctx.sql(aggregated, (first_hour.strftime("%Y-%m-%d %H"), last_hour.strftime("%Y-%m-%d %H")))
    for edge_start, edge_end in ((start, first_hour), (last_hour, end)):
        if edge_start < edge_end:
            yield from ctx.sql(raw, (db_time(edge_start), db_time(edge_end)))


def _add(target: dict, values: dict) -> None:
    for key, value in values.items():
        target[key] = target.get(key, 0) + (value or 0)


def day_report(ctx: TillContext, day: date) -> dict:
    start, end = _utc_bounds(ctx, day)
    inclusive = ctx.config.store.tax_mode == "inclusive"
    zone = ZoneInfo(ctx.config.store.timezone)
    names = {cid: (code, name) for cid, code, name in ctx.sql("SELECT id, code, name FROM cashier")}

    summary: dict = {}
    hours = {h: {"hour": h, "sales_count": 0, "total": 0} for h in range(24)}
    cashiers: dict[int, dict] = {}

    def cashier_row(cashier_id):
        code, name = names.get(cashier_id, (str(cashier_id), ""))
        return cashiers.setdefault(cashier_id, {"cashier": code, "name": name, "sales_count": 0, "total": 0,
                                                "refunds_count": 0, "refunds_payout": 0})

    for (bucket, cashier_id, count, subtotal, discounts, tax, total, rounding, member_disc, points_disc,
         promo_order) in _rows(ctx, "sales", start, end):
        _add(summary, {"sales_count": count, "subtotal": subtotal, "discount_total": discounts, "tax_total": tax,
                       "total": total, "rounding": rounding, "member": member_disc, "points": points_disc,
                       "promo_order": promo_order})
        local = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=timezone.utc).astimezone(zone)
        _add(hours[local.hour], {"sales_count": count, "total": total})
        _add(cashier_row(cashier_id), {"sales_count": count, "total": total})

    products: dict[int, dict] = {}
    categories: dict[int, dict] = {}

    def product_row(product_id, sku, name):
        return products.setdefault(product_id, {"product_id": product_id, "sku": sku, "name": name, "qty_milli": 0,
                                                "net": 0, "tax": 0, "revenue": 0, "cost": 0, "margin": 0,
                                                "lines_without_cost": 0, "refunded_qty_milli": 0,
                                                "refunded_amount": 0})

    line_totals: dict = {}
    for (product_id, category_id, sku, name, qty, net, line_tax, cost_milli, costed_net, costed_tax, uncosted,
         promo, manual) in _rows(ctx, "lines", start, end):
        cost = div_round(cost_milli or 0, 1000)
        figures = {"qty_milli": qty, "net": net, "tax": line_tax,
                   "revenue": net - line_tax if inclusive else net, "cost": cost,
                   "margin": (costed_net - costed_tax if inclusive else costed_net) - cost}
        _add(product_row(product_id, sku, name), {**figures, "lines_without_cost": uncosted})
        _add(categories.setdefault(category_id, {"category_id": category_id or None}), figures)
        _add(line_totals, {"promo": promo, "manual_lines": manual})
    for category_id, code, name in ctx.sql("SELECT id, code, name FROM category"):
        if category_id in categories:
            categories[category_id].update(code=code, name=name)
    for row in categories.values():
        row.setdefault("code", None)
        row.setdefault("name", None)

    payments: dict[str, dict] = {}
    for method, count, amount in _rows(ctx, "payments", start, end):
        _add(payments.setdefault(method, {"method": method}), {"count": count, "amount": amount, "refunded": 0})
    refund_totals: dict = {}
    for cashier_id, count, total, tax, payout in _rows(ctx, "refunds", start, end):
        _add(refund_totals, {"count": count, "total": total, "tax": tax, "payout": payout})
        _add(cashier_row(cashier_id), {"refunds_count": count, "refunds_payout": payout})
    for product_id, sku, name, qty, amount in _rows(ctx, "refund_lines", start, end):
        _add(product_row(product_id, sku, name), {"refunded_qty_milli": qty, "refunded_amount": amount})
    for method, amount in _rows(ctx, "refund_payments", start, end):
        _add(payments.setdefault(method, {"method": method, "count": 0, "amount": 0}), {"refunded": amount})
    for row in payments.values():
        row["net"] = row["amount"] - row["refunded"]

    get = lambda source, key: source.get(key, 0)  # noqa: E731
    count, total = get(summary, "sales_count"), get(summary, "total")
    promotions = get(line_totals, "promo") + get(summary, "promo_order")
    other = get(summary, "member") + get(summary, "points")
    return {
        "date": day.isoformat(), "currency": ctx.config.store.currency, "store_id": ctx.store_id,
        "device_id": ctx.device_id,
        "summary": {
            "sales_count": count, "subtotal": get(summary, "subtotal"),
            "discount_total": get(summary, "discount_total"),
            "discounts": {"promotions": promotions, "member": get(summary, "member"),
                          "points": get(summary, "points"),
                          "manual": get(summary, "discount_total") - promotions - other,
                          "manual_lines": get(line_totals, "manual_lines")},
            "tax_total": get(summary, "tax_total"), "total": total, "rounding": get(summary, "rounding"),
            "takings": total + get(summary, "rounding"),
            "average_sale": div_round(total, count) if count else 0,
            "refunds_count": get(refund_totals, "count"), "refunds_total": get(refund_totals, "total"),
            "refunds_tax": get(refund_totals, "tax"), "refunds_payout": get(refund_totals, "payout"),
            "net_after_refunds": total + get(summary, "rounding") - get(refund_totals, "payout"),
            "revenue_excl_tax": sum(p["revenue"] for p in products.values()),
            "cost": sum(p["cost"] for p in products.values()),
            "gross_margin": sum(p["margin"] for p in products.values()),
        },
        "by_hour": list(hours.values()),
        "by_product": sorted(products.values(), key=lambda r: (-r["net"], r["sku"])),
        "by_category": sorted(categories.values(), key=lambda r: (-r["net"], r["code"] or "")),
        "by_cashier": sorted(cashiers.values(), key=lambda r: r["cashier"]),
        "by_payment": sorted(payments.values(), key=lambda r: r["method"]),
    }


MONEY_KEYS = {"subtotal", "discount_total", "tax_total", "total", "rounding", "takings", "average_sale",
              "refunds_total", "refunds_tax", "refunds_payout", "net_after_refunds", "revenue_excl_tax", "cost",
              "gross_margin", "net", "tax", "revenue", "margin", "refunded_amount", "amount", "refunded",
              "refunds_payout"}


def report_csv(report: dict, section: str) -> str:
    """One section of a day report as CSV (money in major units, quantities in units)."""
    if section not in SECTIONS:
        raise ValidationError(f"section must be one of {', '.join(SECTIONS)}", code="invalid")
    currency = report["currency"]
    if section == "summary":
        flat = {k: v for k, v in report["summary"].items() if not isinstance(v, dict)}
        flat.update({f"discount_{k}": v for k, v in report["summary"]["discounts"].items()})
        rows = [{"figure": k, "value": format_amount(v, currency) if k in MONEY_KEYS or k.startswith("discount_")
                 else v} for k, v in flat.items()]
    else:
        rows = []
        for row in report[section]:
            out = {}
            for key, value in row.items():
                if key in MONEY_KEYS and isinstance(value, int):
                    out[key] = format_amount(value, currency)
                elif key.endswith("_milli") and isinstance(value, int):
                    out[key.removesuffix("_milli")] = f"{value / 1000:g}"
                else:
                    out[key] = value
            rows.append(out)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
