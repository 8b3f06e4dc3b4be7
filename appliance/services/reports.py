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


def _utc_bounds(ctx: TillContext, day: date) -> tuple[str, str]:
    zone = ZoneInfo(ctx.config.store.timezone)
    start = datetime.combine(day, time(), zone).astimezone(timezone.utc).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(timezone.utc).replace(tzinfo=None)
    return db_time(start), db_time(end)


def day_report(ctx: TillContext, day: date) -> dict:
    start, end = _utc_bounds(ctx, day)
    inclusive = ctx.config.store.tax_mode == "inclusive"
    zone = ZoneInfo(ctx.config.store.timezone)
    in_day = "s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ?"

    (count, subtotal, discounts, tax, total, rounding, member_disc, points_disc,
     promo_order) = [v or 0 for v in ctx.sql(
        f"SELECT COUNT(*), SUM(subtotal), SUM(discount_total), SUM(tax_total), SUM(total), SUM(rounding), "
        f"SUM(member_discount), SUM(points_discount), SUM(promo_discount) FROM sale s WHERE {in_day}",
        (start, end)).fetchone()]

    hours = {h: {"hour": h, "sales_count": 0, "total": 0} for h in range(24)}
    for utc_hour, n, amount in ctx.sql(
            f"SELECT substr(completed_at, 1, 13), COUNT(*), SUM(total) FROM sale s WHERE {in_day} GROUP BY 1",
            (start, end)):
        local = datetime.strptime(utc_hour, "%Y-%m-%d %H").replace(tzinfo=timezone.utc).astimezone(zone)
        hours[local.hour]["sales_count"] += n
        hours[local.hour]["total"] += amount

    products: dict[int, dict] = {}
    categories: dict[int | None, dict] = {}
    promo_lines = line_discounts = 0
    for (product_id, sku, name, category_id, qty, net, line_tax, cost_milli, costed_net, costed_tax,
         uncosted, promo, manual) in ctx.sql(
            "SELECT l.product_id, l.sku, MAX(l.name), l.category_id, SUM(l.qty_milli), SUM(l.net), SUM(l.tax), "
            "SUM(l.cost_price * l.qty_milli), SUM(CASE WHEN l.cost_price IS NULL THEN 0 ELSE l.net END), "
            "SUM(CASE WHEN l.cost_price IS NULL THEN 0 ELSE l.tax END), SUM(l.cost_price IS NULL), "
            "SUM(l.promo_discount), SUM(l.line_discount) "
            f"FROM sale_line l JOIN sale s ON s.uuid = l.sale_id WHERE {in_day} "
            "GROUP BY l.product_id, l.category_id", (start, end)):
        cost = div_round(cost_milli or 0, 1000)
        revenue = net - line_tax if inclusive else net  # net sales without tax
        costed_revenue = costed_net - costed_tax if inclusive else costed_net
        row = products.setdefault(product_id, {"product_id": product_id, "sku": sku, "name": name, "qty_milli": 0,
                                               "net": 0, "tax": 0, "revenue": 0, "cost": 0, "margin": 0,
                                               "lines_without_cost": 0, "refunded_qty_milli": 0,
                                               "refunded_amount": 0})
        cat = categories.setdefault(category_id, {"category_id": category_id, "net": 0, "tax": 0, "revenue": 0,
                                                  "cost": 0, "margin": 0, "qty_milli": 0})
        for target in (row, cat):
            target["qty_milli"] += qty
            target["net"] += net
            target["tax"] += line_tax
            target["revenue"] += revenue
            target["cost"] += cost
            target["margin"] += costed_revenue - cost
        row["lines_without_cost"] += uncosted
        promo_lines += promo
        line_discounts += manual
    for category_id, code, name in ctx.sql("SELECT id, code, name FROM category"):
        if category_id in categories:
            categories[category_id].update(code=code, name=name)
    for row in categories.values():
        row.setdefault("code", None)
        row.setdefault("name", None)

    cashiers: dict[str, dict] = {}
    for code, name, n, amount in ctx.sql(
            f"SELECT c.code, c.name, COUNT(*), SUM(s.total) FROM sale s JOIN cashier c ON c.id = s.cashier_id "
            f"WHERE {in_day} GROUP BY c.id", (start, end)):
        cashiers[code] = {"cashier": code, "name": name, "sales_count": n, "total": amount,
                          "refunds_count": 0, "refunds_payout": 0}

    payments = {}
    for method, n, amount in ctx.sql(
            f"SELECT p.method, COUNT(*), SUM(p.amount) FROM payment p JOIN sale s ON s.uuid = p.sale_id "
            f"WHERE {in_day} GROUP BY p.method", (start, end)):
        payments[method] = {"method": method, "count": n, "amount": amount, "refunded": 0}

    refund_in_day = "r.created_at >= ? AND r.created_at < ?"
    r_count, r_total, r_tax, r_payout = [v or 0 for v in ctx.sql(
        f"SELECT COUNT(*), SUM(total), SUM(tax_total), SUM(payout) FROM refund r WHERE {refund_in_day}",
        (start, end)).fetchone()]
    for method, amount in ctx.sql(
            f"SELECT p.method, SUM(p.amount) FROM refund_payment p JOIN refund r ON r.uuid = p.refund_id "
            f"WHERE {refund_in_day} GROUP BY p.method", (start, end)):
        payments.setdefault(method, {"method": method, "count": 0, "amount": 0, "refunded": 0})["refunded"] = amount
    for code, name, n, payout in ctx.sql(
            f"SELECT c.code, c.name, COUNT(*), SUM(r.payout) FROM refund r JOIN cashier c ON c.id = r.cashier_id "
            f"WHERE {refund_in_day} GROUP BY c.id", (start, end)):
        row = cashiers.setdefault(code, {"cashier": code, "name": name, "sales_count": 0, "total": 0,
                                         "refunds_count": 0, "refunds_payout": 0})
        row["refunds_count"], row["refunds_payout"] = n, payout
    for product_id, sku, name, qty, amount in ctx.sql(
            f"SELECT l.product_id, l.sku, MAX(l.name), SUM(l.qty_milli), SUM(l.amount) FROM refund_line l "
            f"JOIN refund r ON r.uuid = l.refund_id WHERE {refund_in_day} GROUP BY l.product_id", (start, end)):
        row = products.setdefault(product_id, {"product_id": product_id, "sku": sku, "name": name, "qty_milli": 0,
                                               "net": 0, "tax": 0, "revenue": 0, "cost": 0, "margin": 0,
                                               "lines_without_cost": 0})
        row["refunded_qty_milli"], row["refunded_amount"] = qty, amount
    for method in payments.values():
        method["net"] = method["amount"] - method["refunded"]

    revenue = sum(p["revenue"] for p in products.values())
    cost = sum(p["cost"] for p in products.values())
    return {
        "date": day.isoformat(), "currency": ctx.config.store.currency, "store_id": ctx.store_id,
        "device_id": ctx.device_id,
        "summary": {
            "sales_count": count, "subtotal": subtotal, "discount_total": discounts,
            "discounts": {"promotions": promo_lines + promo_order, "member": member_disc, "points": points_disc,
                          "manual": discounts - promo_lines - promo_order - member_disc - points_disc,
                          "manual_lines": line_discounts},
            "tax_total": tax, "total": total, "rounding": rounding, "takings": total + rounding,
            "average_sale": div_round(total, count) if count else 0,
            "refunds_count": r_count, "refunds_total": r_total, "refunds_tax": r_tax, "refunds_payout": r_payout,
            "net_after_refunds": total + rounding - r_payout,
            "revenue_excl_tax": revenue, "cost": cost,
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
