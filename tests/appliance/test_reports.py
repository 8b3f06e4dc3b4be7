import csv
import io
from datetime import date

from appliance.models import Outbox
from appliance.services import auth, refunds, reports, sales, stock

from .conftest import CHIPS, COLA, MILK, sell


def test_day_report_figures_equal_the_sum_of_the_sales(till, cashier, manager, shift, clock):
    # the clock is UTC: 01:00 UTC is 09:00 in Shanghai
    stock.receive_goods(till, manager, supplier="x", lines=[{"code": COLA, "qty_milli": 50_000, "cost_price": 150}])
    clock.now = clock.now.replace(hour=1)
    sell(till, cashier, [COLA, CHIPS], ("cash", 2000))
    clock.advance(hours=2)
    second = sell(till, cashier, [MILK, COLA, COLA], ("wechat", 980))
    other = auth.login(till, "1002", "4321")
    bob = auth.resolve_session(till, other.token)
    clock.advance(minutes=30)
    sale = sales.start_sale(till, bob)
    line = sales.add_item(till, bob, sale.uuid, code=CHIPS)
    sales.change_line(till, manager, sale.uuid, line.id, discount={"kind": "amount", "value": 50})
    from appliance.services import payments

    payments.add_payment(till, bob, sale.uuid, "card", 700, reference="R")
    refund = refunds.create_refund(till, bob, sale_uuid=second.uuid, reason="x",
                                   lines=[{"line_id": sales.lines_of(second)[0].id}])
    clock.advance(days=1)  # a sale on the next local day stays out
    sell(till, bob, [COLA])

    report = reports.day_report(till, date(2026, 11, 23))
    records = [o.payload for o in Outbox.select().where(Outbox.kind == "sale")
               if o.payload["completed_at"].startswith("2026-11-23")]
    assert len(records) == 3
    summary = report["summary"]
    assert summary["sales_count"] == 3
    assert summary["total"] == sum(r["total"] for r in records) == 1050 + 980 + 700
    assert summary["tax_total"] == sum(r["tax_total"] for r in records)
    assert summary["discount_total"] == 50 and summary["discounts"]["manual"] == 50
    assert summary["refunds_count"] == 1 and summary["refunds_payout"] == refund.payout == 380
    assert summary["net_after_refunds"] == 2730 - 380
    hours = {row["hour"]: row for row in report["by_hour"] if row["sales_count"]}
    assert {h: (r["sales_count"], r["total"]) for h, r in hours.items()} == {9: (1, 1050), 11: (2, 980 + 700)}
    by_product = {row["sku"]: row for row in report["by_product"]}
    lines = [line for r in records for line in r["lines"]]
    for sku, row in by_product.items():
        assert row["net"] == sum(l["net"] for l in lines if l["sku"] == sku)
        assert row["qty_milli"] == sum(l["qty_milli"] for l in lines if l["sku"] == sku)
    assert by_product["COLA"]["cost"] == 3 * 150
    cola_revenue = sum(l["net"] - l["tax"] for l in lines if l["sku"] == "COLA")
    assert by_product["COLA"]["margin"] == cola_revenue - 450
    assert by_product["MILK"]["refunded_amount"] == 380
    assert sum(row["net"] for row in report["by_category"]) == summary["total"]
    assert {r["cashier"]: (r["sales_count"], r["total"], r["refunds_payout"]) for r in report["by_cashier"]} == \
        {"1001": (2, 2030, 0), "1002": (1, 700, 380)}
    methods = {r["method"]: r for r in report["by_payment"]}
    assert methods["cash"]["amount"] == 1050 and methods["wechat"]["amount"] == 980
    assert methods["wechat"]["refunded"] == 380 and methods["wechat"]["net"] == 600
    assert sum(r["amount"] for r in methods.values()) == summary["takings"]

    text = reports.report_csv(report, "by_product")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["sku"]: r["net"] for r in rows}["COLA"] == f"{by_product['COLA']['net'] / 100:.2f}"
    summary_rows = {r["figure"]: r["value"] for r in csv.DictReader(io.StringIO(reports.report_csv(report, "summary")))}
    assert summary_rows["total"] == "27.30" and summary_rows["sales_count"] == "3"


def test_report_api_and_csv_need_a_manager(client):
    from .conftest import api_login

    api_login(client, "1001")
    assert client.get("/api/reports/day?date=2026-11-23").status_code == 403
    api_login(client, "2001")
    response = client.get("/api/reports/day?date=2026-11-23")
    assert response.status_code == 200 and response.json["report"]["summary"]["sales_count"] == 0
    assert client.get("/api/reports/day?date=23.11.2026").json["error"] == "invalid_date"
    response = client.get("/api/reports/day.csv?date=2026-11-23&section=by_hour")
    assert response.mimetype == "text/csv" and response.data.decode().startswith("hour,sales_count,total")
    assert client.get("/api/reports/day.csv?section=nope").status_code == 400


def test_day_bounds_in_a_zone_with_a_half_hour_offset(tmp_path, clock):
    """Asia/Kolkata is UTC+5:30: the day's first and last half hours come from the raw rows."""
    from datetime import datetime

    from appliance.app import open_till
    from appliance.services import shifts

    from .conftest import login, make_config, seed

    till = open_till(make_config(tmp_path, store={"timezone": "Asia/Kolkata"}), clock=clock)
    seed(till)
    actor = login(till, "1001")
    shifts.open_shift(till, actor, 0)
    for utc, code in ((datetime(2026, 11, 22, 18, 20), COLA),   # 23:50 on the 22nd: out
                      (datetime(2026, 11, 22, 18, 40), CHIPS),  # 00:10 on the 23rd: in (edge)
                      (datetime(2026, 11, 23, 6, 0), MILK),     # 11:30: in (whole hours)
                      (datetime(2026, 11, 23, 18, 20), COLA),   # 23:50: in (edge)
                      (datetime(2026, 11, 23, 18, 40), MILK)):  # 00:10 on the 24th: out
        clock.now = utc
        sell(till, actor, [code])
    report = reports.day_report(till, date(2026, 11, 23))
    assert report["summary"]["sales_count"] == 3
    assert report["summary"]["total"] == 750 + 380 + 300
    assert {r["sku"] for r in report["by_product"]} == {"CHIPS", "MILK", "COLA"}
    hours = {r["hour"]: r["sales_count"] for r in report["by_hour"] if r["sales_count"]}
    assert sum(hours.values()) == 3
    till.db.close()
