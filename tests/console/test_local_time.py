"""Reports in each store's own time: a fact's day and hour are the store's local ones,
computed at ingest; a store whose time zone changes or becomes known later has its facts
moved in one transaction; receipts in the store's language and time; margin from the sale
line's own cost. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import pytest

from fleet_server import receipts, reports, stores
from fleet_server.db import open_database, write_transaction
from fleet_server.ingest import Incoming, parse_status, store_records, store_status
from fleet_server.models import (PaymentFact, RefundFact, RefundLineFact, SaleFact, SaleLineFact, Store,
                                 StoreCashier)
from fleet_server.sales import rebucket_store
from fleetpos import messages
from fleetpos.messages import DeviceStatus, MessageError, Record

from tests.sync.conftest import database_url  # noqa: F401

_SEQ = iter(range(1, 10_000))


def _uuid() -> str:
    return f"0193a0c0-0000-7000-8000-{next(_SEQ):012d}"


def sale(store: str, at: str, *, total: int = 300, cost_price: int | None = None, sku: str = "COLA") -> dict:
    line = {"position": 1, "product_id": 1, "sku": sku, "name": sku, "unit": "each", "qty_milli": 2000,
            "unit_price": total // 2, "gross": total, "net": total, "tax": 0, "tax_rate_bp": 0, "line_discount": 0,
            "order_discount": 0, "promo_discount": 0}
    if cost_price is not None:
        line["cost_price"] = cost_price
    return {"v": 1, "kind": "sale", "uuid": _uuid(), "store_id": store, "device_id": "till-1",
            "receipt_no": f"till-1-{next(_SEQ):06d}", "cashier": "1001", "completed_at": at, "currency": "CNY",
            "tax_mode": "inclusive", "subtotal": total, "discount_total": 0, "tax_total": 0, "total": total,
            "rounding": 0, "paid": total, "change": 0, "lines": [line],
            "payments": [{"method": "cash", "amount": total, "tendered": total}],
            "tax_bands": [{"rate_bp": 0, "net": total, "tax": 0, "taxable": total}],
            "stock_moves": [{"uuid": _uuid(), "product_id": 1, "sku": sku, "qty_milli": -2000}]}


def refund(store: str, at: str, sold: dict) -> dict:
    return {"v": 1, "kind": "refund", "uuid": _uuid(), "store_id": store, "device_id": "till-1",
            "number": f"till-1-R{next(_SEQ):06d}", "sale_uuid": sold["uuid"], "receipt_no": sold["receipt_no"],
            "cashier": "1001", "at": at, "currency": "CNY", "total": 150, "tax_total": 0, "payout": 150,
            "lines": [{"sale_line_id": 1, "product_id": 1, "sku": "COLA", "name": "COLA", "qty_milli": 1000,
                       "amount": 150, "tax": 0, "tax_rate_bp": 0, "restock": True}],
            "payments": [{"method": "cash", "amount": 150}], "stock_moves": []}


@pytest.fixture
def db(database_url):  # noqa: F811
    database = open_database(database_url)
    with database.connection_context():
        for store_id in ("sh", "ber", "ny"):
            Store.create(id=store_id, name=f"Store {store_id}")
        yield database
    database.close()


def ingest(database, *records):
    with write_transaction(database):
        store_records([Incoming(r["store_id"], "till-1", records=[Record.from_payload(r)]) for r in records])


def status(database, store: str, **fields):
    body = DeviceStatus(state="online", store_id=store, device_id="till-1", at="2026-12-05T00:00:00Z",
                        **fields).encode()
    with write_transaction(database):
        store_status(parse_status(messages.up_topic(store, "till-1", "status"), body), body)


def buckets(model, uuid_field, uuid):
    row = model.get(getattr(model, uuid_field) == uuid)
    return str(row.day), getattr(row, "hour", None)


def test_a_sale_at_23_30_shanghai_time_is_on_that_local_day_and_hour(db):
    # 15:30 UTC on 4 December is 23:30 on 4 December in Shanghai (UTC+8); 16:30 UTC is 00:30 the 5th
    late, after_midnight = sale("sh", "2026-12-04T15:30:00Z"), sale("sh", "2026-12-04T16:30:00Z")
    ingest(db, late, after_midnight)
    assert buckets(SaleFact, "uuid", late["uuid"]) == ("2026-12-04", 23)
    assert buckets(SaleLineFact, "sale_uuid", late["uuid"]) == ("2026-12-04", 23)
    assert buckets(PaymentFact, "record_uuid", late["uuid"]) == ("2026-12-04", 23)
    assert buckets(SaleFact, "uuid", after_midnight["uuid"]) == ("2026-12-05", 0)
    by_day = {r["day"]: r["total"] for r in reports.run("day", date_from="2026-12-04", date_to="2026-12-05")["rows"]}
    assert by_day == {"2026-12-04": 300, "2026-12-05": 300}
    grid = reports.run("day_store_hour", date_from="2026-12-04", date_to="2026-12-05")
    assert [(r["day"], r["store_id"], r["hour"]) for r in grid["rows"]] == [("2026-12-04", "sh", "23:00"),
                                                                            ("2026-12-05", "sh", "00:00")]
    assert grid["columns"][2]["label"] == "Hour (store time)"


def test_stores_in_different_time_zones_group_by_their_own_local_hour(db):
    status(db, "ber", timezone="Europe/Berlin")
    status(db, "ny", timezone="America/New_York")
    # 09:00 local in each: 01:00 UTC in Shanghai, 08:00 UTC in Berlin (winter), 14:00 UTC in New York
    ingest(db, sale("sh", "2026-12-05T01:00:00Z"), sale("ber", "2026-12-05T08:00:00Z", total=500),
           sale("ny", "2026-12-05T14:00:00Z", total=700))
    hours = reports.run("hour", date_from="2026-12-05")["rows"]
    assert [(r["hour"], r["sales"], r["total"]) for r in hours] == [("09:00", 3, 1500)]
    stores_grid = {r["store_id"]: r["hour"] for r in reports.run("day_store_hour", date_from="2026-12-05")["rows"]}
    assert stores_grid == {"sh": "09:00", "ber": "09:00", "ny": "09:00"}


def test_a_store_whose_time_zone_becomes_known_later_has_its_buckets_recomputed(db):
    # the till is old enough not to report its zone: its facts go by the default (Shanghai)
    winter, summer = sale("ber", "2026-01-10T22:30:00Z"), sale("ber", "2026-07-10T22:30:00Z")
    back = refund("ber", "2026-01-10T23:10:00Z", winter)
    other = sale("sh", "2026-01-10T22:30:00Z")
    ingest(db, winter, summer, back, other)
    assert buckets(SaleFact, "uuid", winter["uuid"]) == ("2026-01-11", 6)
    # then a status says Berlin: winter is UTC+1, summer UTC+2 (daylight saving)
    status(db, "ber", timezone="Europe/Berlin", locale="de-DE", currency="EUR")
    store = Store.get_by_id("ber")
    assert (store.timezone, store.locale, store.currency) == ("Europe/Berlin", "de-DE", "EUR")
    assert buckets(SaleFact, "uuid", winter["uuid"]) == ("2026-01-10", 23)
    assert buckets(SaleLineFact, "sale_uuid", winter["uuid"]) == ("2026-01-10", 23)
    assert buckets(PaymentFact, "record_uuid", winter["uuid"]) == ("2026-01-10", 23)
    assert buckets(SaleFact, "uuid", summer["uuid"]) == ("2026-07-11", 0)
    assert buckets(RefundFact, "uuid", back["uuid"]) == ("2026-01-11", 0)
    assert buckets(RefundLineFact, "refund_uuid", back["uuid"]) == ("2026-01-11", None)
    assert buckets(PaymentFact, "record_uuid", back["uuid"]) == ("2026-01-11", 0)
    # another store's facts did not move
    assert buckets(SaleFact, "uuid", other["uuid"]) == ("2026-01-11", 6)
    # a later record of the store goes straight to its local time, and a status that
    # says the same again changes nothing
    status(db, "ber", timezone="Europe/Berlin")
    late = sale("ber", "2026-01-11T22:59:00Z")
    ingest(db, late)
    assert buckets(SaleFact, "uuid", late["uuid"]) == ("2026-01-11", 23)
    # the zone set back by hand (console) moves them again: the store is in Shanghai after all
    stores.update_store("ber", {"timezone": ""})
    assert Store.get_by_id("ber").timezone is None
    assert buckets(SaleFact, "uuid", winter["uuid"]) == ("2026-01-11", 6)
    assert buckets(SaleLineFact, "sale_uuid", late["uuid"]) == ("2026-01-12", 6)


def test_rebucketing_a_store_is_one_transaction(db):
    first = sale("ber", "2026-03-01T23:30:00Z")
    ingest(db, first)
    Store.update(timezone="Europe/Berlin").where(Store.id == "ber").execute()
    with pytest.raises(RuntimeError):
        with write_transaction(db):
            rebucket_store("ber")
            assert buckets(SaleFact, "uuid", first["uuid"]) == ("2026-03-02", 0)
            raise RuntimeError("the rest of the transaction fails")
    assert buckets(SaleFact, "uuid", first["uuid"]) == ("2026-03-02", 7)  # as it was (Shanghai)


def test_a_store_setting_is_checked_before_it_is_kept(db):
    for changes in ({"timezone": "Mars/Olympus"}, {"timezone": "../etc/passwd"}, {"locale": "chinese"},
                    {"currency": "yuan"}):
        with pytest.raises(stores.FleetError):
            stores.update_store("sh", changes)
    assert Store.get_by_id("sh").timezone is None
    stores.update_store("sh", {"timezone": "Asia/Shanghai", "locale": "zh-CN", "currency": "CNY"})
    view = stores.store_view(Store.get_by_id("sh"))
    assert (view["timezone"], view["effective"]["locale"]) == ("Asia/Shanghai", "zh-CN")


def test_a_status_with_a_bad_time_zone_is_refused_and_an_old_status_still_parses():
    body = json.loads(DeviceStatus(state="online", store_id="s1", device_id="till-1").encode())
    assert "timezone" not in body  # an old till's status: no new fields
    assert DeviceStatus.parse(json.dumps(body)).timezone is None
    for key, value in (("timezone", "Nowhere/Place"), ("timezone", 8), ("locale", "zh_CN"), ("currency", "cny")):
        with pytest.raises(MessageError):
            DeviceStatus.parse(json.dumps({**body, key: value}))
    good = DeviceStatus.parse(json.dumps({**body, "timezone": "Europe/Berlin", "locale": "de-DE",
                                          "currency": "EUR"}))
    assert (good.timezone, good.locale, good.currency) == ("Europe/Berlin", "de-DE", "EUR")
    assert DeviceStatus.parse(good.encode()) == good


def test_margin_uses_the_lines_own_cost_and_head_offices_only_without_one(db):
    from fleet_server.models import Product

    Product.create(sku="COLA", name="Cola", price=300, cost_price=200, tax_class="standard")
    with_cost, without = sale("sh", "2026-12-05T02:00:00Z", cost_price=120), sale("sh", "2026-12-05T02:10:00Z")
    ingest(db, with_cost, without)
    # two pieces each: 2 x 120 from the line (the cost when it was sold), 2 x 200 from head office
    assert SaleLineFact.get(SaleLineFact.sale_uuid == with_cost["uuid"]).cost == 240
    assert SaleLineFact.get(SaleLineFact.sale_uuid == without["uuid"]).cost == 400
    assert SaleFact.get_by_id(with_cost["uuid"]).cost == 240
    product = reports.run("product", date_from="2026-12-05", store="sh")["rows"][0]
    assert (product["cost"], product["margin"]) == (640, 600 - 640)
    back = refund("sh", "2026-12-05T03:00:00Z", with_cost)
    back["lines"][0]["cost_price"] = 120
    ingest(db, back)
    assert RefundLineFact.get(RefundLineFact.refund_uuid == back["uuid"]).cost == 120


def test_a_receipt_is_printed_in_the_stores_language_and_time(db):
    StoreCashier.create(store="ber", code="1001", name="Anna", role="cashier", pin_hash="x")
    sold = sale("ber", "2026-12-05T15:30:00Z")
    ingest(db, sold)
    default = receipts.render(sold["uuid"]).text
    assert "2026-12-05 23:30" in default and "谢谢惠顾" in default  # the default store: Shanghai, zh-CN
    stores.update_store("ber", {"timezone": "Europe/Berlin", "locale": "en"})
    text = receipts.render(sold["uuid"]).text
    assert "2026-12-05 16:30" in text and "Thank you" in text
    asked = receipts.render(sold["uuid"], language="zh-CN", timezone="Asia/Tokyo").text
    assert "2026-12-06 00:30" in asked and "谢谢惠顾" in asked


def test_the_migration_moves_facts_bucketed_in_utc_to_each_stores_local_time(db):
    from fleet_server.db import run_migrations
    from fleet_server.models import SchemaVersion

    sold = sale("sh", "2026-12-04T15:30:00Z")
    ingest(db, sold)
    # as a database of the version before: UTC buckets, no store settings, step 4 not run
    with write_transaction(db):
        for table in ("sale_fact", "sale_line_fact", "payment_fact"):
            db.execute_sql(f"UPDATE {table} SET day = {db.param}, hour = 15", ("2026-12-04",))
        for column in ("timezone", "locale", "currency"):
            db.execute_sql(f'ALTER TABLE store DROP COLUMN "{column}"')
        SchemaVersion.delete().where(SchemaVersion.version == 4).execute()
    assert run_migrations(db) == [4]
    assert {c.name for c in db.get_columns("store")} >= {"timezone", "locale", "currency"}
    assert buckets(SaleFact, "uuid", sold["uuid"]) == ("2026-12-04", 23)
    assert buckets(SaleLineFact, "sale_uuid", sold["uuid"]) == ("2026-12-04", 23)
    assert buckets(PaymentFact, "record_uuid", sold["uuid"]) == ("2026-12-04", 23)


def test_the_console_sale_page_shows_the_receipt_in_the_stores_language_or_the_one_asked(office):
    office.admin("POST", "/api/v1/stores", {"id": "ber", "name": "Berlin"}, expect=201)
    office.admin("PATCH", "/api/v1/stores/ber", {"timezone": "Europe/Berlin", "locale": "en"})
    sold = sale("ber", "2026-12-05T15:30:00Z")
    ingest(office.ctx.db, sold)
    client, _csrf = office.user_client("viewer")
    page = client.get(f"/console/sales/{sold['uuid']}").get_data(as_text=True)
    assert "Thank you" in page and "2026-12-05 16:30" in page
    assert "format=png&language=en" in page  # the image link in the language shown
    asked = client.get(f"/console/sales/{sold['uuid']}?language=zh-CN").get_data(as_text=True)
    assert "谢谢惠顾" in asked and "format=png&language=zh-CN" in asked
