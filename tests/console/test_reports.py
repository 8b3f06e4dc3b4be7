"""Reports whose figures match sales really sold on tills and ingested over a real
Mosquitto, on SQLite and PostgreSQL; stock on hand from the tills' stock moves; the
report tables are filled again from the stored records by the backfill."""

import io
import json
from zoneinfo import ZoneInfo

from fleet_server import reports, sales, stock
from fleet_server.models import (PaymentFact, ReceivedRecord, RefundFact, RefundLineFact, SaleFact, SaleLineFact,
                                 StockMoveFact, StoreProduct, utcnow)
from appliance.services import refunds
from appliance.services import stock as till_stock

from tests.sync.conftest import CHIPS, COLA, MILK, database_url, wait_for  # noqa: F401


def _store(office, till_factory, store_id):
    till = till_factory(store_id)
    till.enroll(office)
    till.start_agent()
    version = office.version(store_id)
    wait_for(lambda: till.catalog_version() == version, message=f"{store_id} to get its catalog")
    return till


def test_reports_match_the_sales_sold_on_two_tills(fleet_factory, till_factory, database_url):  # noqa: F811
    office = fleet_factory(database_url=database_url).start()
    for store_id in ("s1", "s2"):
        office.add_store(store_id)
    office.seed_catalog(["s1", "s2"])
    office.call("PUT", "/api/catalog/products", {"products": [
        {"sku": "COLA", "name": "可口可乐 330ml", "price": 300, "cost_price": 180, "tax_class": "standard",
         "category": "drinks", "barcodes": [COLA]}]})
    s1, s2 = _store(office, till_factory, "s1"), _store(office, till_factory, "s2")

    manager = s1.login("2001")
    s1.open_shift(manager)
    till_stock.receive_goods(s1.use(), manager, supplier="Coca-Cola", lines=[{"code": COLA, "qty_milli": 24000,
                                                                              "cost_price": 180}])
    sold = [s1.sell(manager, [COLA, COLA, CHIPS]), s1.sell(manager, [MILK])]
    refund = refunds.create_refund(s1.use(), manager, reason="dented can", sale_uuid=sold[0].uuid,
                                   lines=[{"line_id": _line_id(s1, sold[0].uuid, "COLA"), "qty_milli": 1000,
                                           "restock": True}])
    cashier = s2.login("1001")
    s2.open_shift(cashier)
    sold2 = [s2.sell(cashier, [COLA]), s2.sell(cashier, [CHIPS, CHIPS])]

    wait_for(lambda: s1.backlog() == 0 and s2.backlog() == 0, timeout=20, message="every record acked")
    with office.ctx.db.connection_context():
        by_store = {row["store_id"]: row for row in reports.run("store")["rows"]}
        assert by_store["s1"]["sales"] == 2 and by_store["s2"]["sales"] == 2
        assert by_store["s1"]["total"] == sum(s.total for s in sold) == 300 * 2 + 750 + 380
        assert by_store["s2"]["total"] == sum(s.total for s in sold2) == 300 + 750 * 2
        assert by_store["s1"]["refunded"] == refund.total == 300
        assert by_store["s1"]["net_sales"] == 1730 - 300, by_store

        products = {row["sku"]: row for row in reports.run("product")["rows"]}
        assert products["COLA"]["qty_milli"] == 3000 and products["COLA"]["total"] == 900
        assert products["COLA"]["cost"] == 3 * 180
        # prices include 13 % VAT: revenue is the takings without the tax the tills computed
        cola_lines = SaleLineFact.select().where(SaleLineFact.sku == "COLA")
        assert products["COLA"]["revenue"] == sum(line.net - line.tax for line in cola_lines)
        assert products["COLA"]["margin"] == products["COLA"]["revenue"] - 540
        assert products["COLA"]["refunded_qty_milli"] == 1000
        assert products["CHIPS"]["cost"] is None and products["CHIPS"]["margin"] is None  # no cost price known

        categories = {row["category"]: row for row in reports.run("category")["rows"]}
        assert categories["drinks"]["total"] == 900

        payments = {row["method"]: row for row in reports.run("payment")["rows"]}
        assert payments["card"]["taken"] == 1730 + 1800
        assert payments["card"]["paid_out"] == 300 and payments["card"]["net"] == 3530 - 300

        cashiers = {(row["store_id"], row["cashier"]): row for row in reports.run("cashier")["rows"]}
        assert cashiers[("s1", "2001")]["total"] == 1730 and cashiers[("s2", "1001")]["total"] == 1800

        # the tills' stores are in Shanghai (the tills' default time zone): local hours
        hour = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Asia/Shanghai")).hour
        grid = reports.run("day_store_hour")["rows"]
        assert {(r["store_id"], r["hour"]): r["total"] for r in grid} == {("s1", f"{hour:02d}:00"): 1730,
                                                                          ("s2", f"{hour:02d}:00"): 1800}
        today = reports.today_by_hour()
        assert today["values"][hour] == 3530 and sum(today["values"]) == 3530

        # the receipt number and refund search
        found = list(sales.search_query("sale", store="s1", receipt=sold[0].receipt_no))
        assert [r.uuid for r in found] == [sold[0].uuid]
        assert [r.uuid for r in sales.search_query("refund", store="s1")] == [refund.uuid]
        assert {r.uuid for r in sales.search_query("sale", sku="MILK")} == {sold[1].uuid}
        assert {r.uuid for r in sales.search_query("sale", sku="CHIPS")} == {sold[0].uuid, sold2[1].uuid}
        assert [r.uuid for r in sales.search_query("refund", sku="COLA")] == [refund.uuid]
        assert not list(sales.search_query("refund", sku="CHIPS"))

        # stock: 24 received, 3 sold, 1 refunded back to stock
        levels = {(r["store_id"], r["sku"]): r["qty_milli"] for r in stock.on_hand()}
        assert levels[("s1", "COLA")] == 24000 - 2000 + 1000
        assert levels[("s2", "CHIPS")] == -2000
        low = {(r["store_id"], r["sku"]) for r in stock.low_stock(below_milli=5000)}
        assert ("s1", "COLA") not in low and ("s2", "CHIPS") in low


    # the whole day's report through the API, and its export
    api = office.call("GET", "/api/v1/reports/store")
    assert {r["store_id"]: r["total"] for r in api["rows"]} == {"s1": 1730, "s2": 1800}
    exported = office.client.get("/api/v1/reports/store?format=csv",
                                 headers={"Authorization": "Bearer " + office.config.server.admin_token})
    assert exported.status_code == 200 and "17.30" in exported.get_data(as_text=True)
    workbook = office.client.get("/api/v1/reports/store?format=xlsx",
                                 headers={"Authorization": "Bearer " + office.config.server.admin_token})
    assert workbook.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook.data)).active
    header = [cell.value for cell in sheet[2]]
    takings = {row[0]: row[header.index("Takings")] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert takings["s1"] == 17.30 and takings["s2"] == 18.00  # figures as numbers Excel can add up

    # the refund's receipt as the till prints it, and the sale's as an image
    headers = {"Authorization": "Bearer " + office.config.server.admin_token}
    text = office.client.get(f"/api/v1/sales/{refund.uuid}/receipt?language=en", headers=headers)
    assert text.status_code == 200
    assert refund.number in text.get_data(as_text=True) and "-￥3.00" in text.get_data(as_text=True)
    assert sold[0].receipt_no in text.get_data(as_text=True)  # the receipt it refunds
    png = office.client.get(f"/api/v1/sales/{sold[0].uuid}/receipt?format=png", headers=headers)
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    found = office.call("GET", "/api/v1/sales?kind=refund&store=s1")
    assert [(r["number"], r["sale_uuid"]) for r in found["items"]] == [(refund.number, sold[0].uuid)]


def _line_id(till, sale_uuid, sku):
    return till.ctx.sql("SELECT id FROM sale_line WHERE sale_id = ? AND sku = ?", (sale_uuid, sku)).fetchone()[0]


def test_backfill_fills_the_report_tables_from_stored_records_once(fleet_factory, till_factory):
    office = fleet_factory().start()
    office.add_store("s1")
    office.seed_catalog(["s1"])
    till = _store(office, till_factory, "s1")
    actor = till.login()
    till.open_shift(actor)
    sold = [till.sell(actor, [COLA, CHIPS]), till.sell(actor, [MILK, MILK])]
    wait_for(lambda: till.backlog() == 0, timeout=20, message="every record acked")
    tables = (SaleFact, SaleLineFact, PaymentFact, RefundFact, RefundLineFact, StockMoveFact, StoreProduct)
    with office.ctx.db.connection_context():
        before = {model.__name__: model.select().count() for model in tables}
        assert before["SaleFact"] == 2 and before["SaleLineFact"] == 3  # the two MILK scans are one line
        for model in tables:  # as on a database from before the report tables
            model.delete().execute()
        assert sales.backfill(batch=1) == len([r for r in ReceivedRecord.select()
                                                if r.kind in sales.INDEXED_KINDS])
        assert {model.__name__: model.select().count() for model in tables} == before
        sales.backfill()  # again: nothing doubles
        assert {model.__name__: model.select().count() for model in tables} == before
        assert reports.run("day")["totals"]["total"] == sum(s.total for s in sold)
        record = json.loads(ReceivedRecord.get(ReceivedRecord.uuid == sold[0].uuid).payload)
        assert SaleFact.get_by_id(sold[0].uuid).receipt_no == record["receipt_no"]


def test_the_day_store_hour_chart_sums_the_stores_per_hour_and_long_charts_keep_the_largest():
    report = {"report": "day_store_hour", "columns": [{"key": "day"}], "rows": [
        {"day": "2026-12-05", "store_id": "s1", "hour": "09:00", "total": 100},
        {"day": "2026-12-05", "store_id": "s2", "hour": "09:00", "total": 50},
        {"day": "2026-12-05", "store_id": "s1", "hour": "10:00", "total": 7}]}
    assert reports.chart_series(report) == {"labels": ["09:00", "10:00"], "values": [150, 7]}
    products = {"report": "product", "columns": [{"key": "sku"}],
                "rows": [{"sku": f"P{i}", "total": i} for i in range(50)]}
    chart = reports.chart_series(products, limit=3)
    assert chart == {"labels": ["P47", "P48", "P49"], "values": [47, 48, 49]}


def test_a_record_with_unreadable_figures_is_left_out_without_failing_the_batch(tmp_path, database_url):  # noqa: F811
    from fleet_server.db import open_database, write_transaction
    from fleet_server.ingest import Incoming, store_records
    from fleetpos.messages import Record

    from .test_openapi_catalog import _sale

    database = open_database(database_url)
    good = _sale("0193a0c0-0000-7000-8000-000000000001", "s1")
    good["lines"][0]["name"] = "很长的名字" * 100  # longer than the column: cut, not refused
    bad = _sale("0193a0c0-0000-7000-8000-000000000002", "s1")
    bad["lines"][0]["net"] = "3.00"  # not minor units
    huge = _sale("0193a0c0-0000-7000-8000-000000000003", "s1")
    huge["lines"][0]["qty_milli"] = 2 ** 70  # beyond any column
    with database.connection_context():
        with write_transaction(database):
            store_records([Incoming("s1", "till-1", records=[Record.from_payload(r) for r in (good, bad, huge)])])
        assert ReceivedRecord.select().count() == 3  # every record is kept whole
        assert [s.uuid for s in SaleFact.select()] == [good["uuid"]]
        assert len(SaleLineFact.get().name) == 200
    database.close()
