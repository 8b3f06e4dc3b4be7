""""Today" over several stores is each store's own today: at 07:30 UTC on 5 December it is
15:30 on the 5th in Shanghai but 23:30 on the 4th in Los Angeles, so the all-stores
today report holds Shanghai's 5th and Los Angeles' 4th. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from fleet_server import reports, stock
from fleet_server.db import write_transaction
from fleet_server.ingest import Incoming, store_records
from fleet_server.models import StockTakeLineFact
from fleetpos.messages import Record

from .test_local_time import sale
from .test_store_settings import _store_with_tills, _till_reports

NOW = datetime(2026, 12, 5, 7, 30)  # naive UTC: Shanghai 5 Dec 15:30, Los Angeles 4 Dec 23:30


def _two_stores_around_midnight(office):
    _store_with_tills(office, "sh", "till-1")
    _store_with_tills(office, "la", "till-1")
    _till_reports(office, "sh", timezone="Asia/Shanghai")
    _till_reports(office, "la", timezone="America/Los_Angeles")
    records = {
        "sh_today": sale("sh", "2026-12-05T02:00:00Z", total=100),      # 5 Dec 10:00 in Shanghai
        "sh_yesterday": sale("sh", "2026-12-04T10:00:00Z", total=200),  # 4 Dec 18:00 in Shanghai
        "la_today": sale("la", "2026-12-05T07:00:00Z", total=400),      # 4 Dec 23:00 in Los Angeles
        "la_yesterday": sale("la", "2026-12-04T06:00:00Z", total=800),  # 3 Dec 22:00 in Los Angeles
    }
    with office.ctx.db.connection_context():
        with write_transaction(office.ctx.db):
            store_records([Incoming(r["store_id"], "till-1", records=[Record.from_payload(r)])
                           for r in records.values()])
    return records


def test_todays_reports_over_all_stores_use_each_stores_own_day(any_office):
    office = any_office
    _two_stores_around_midnight(office)
    with office.ctx.db.connection_context():
        by_store = reports.run("store", now=NOW)
        assert {r["store_id"]: r["total"] for r in by_store["rows"]} == {"sh": 100, "la": 400}
        assert (by_store["from"], by_store["to"], by_store["each_store_today"]) == ("2026-12-04", "2026-12-05", True)
        assert by_store["totals"]["total"] == 500
        hours = reports.today_by_hour(now=NOW)
        assert hours["values"][10] == 100 and hours["values"][23] == 400 and sum(hours["values"]) == 500
        assert hours["day"] == "2026-12-04 … 2026-12-05"
        grid = reports.run("day_store_hour", now=NOW)["rows"]
        assert [(r["day"], r["store_id"], r["hour"]) for r in grid] == [("2026-12-04", "la", "23:00"),
                                                                        ("2026-12-05", "sh", "10:00")]
        # one store's today is its own; a range asked for is the same days in every store
        assert reports.run("store", store="la", now=NOW)["from"] == "2026-12-04"
        assert reports.run("store", store="sh", now=NOW)["from"] == "2026-12-05"
        asked = reports.run("store", date_from="2026-12-04", now=NOW)
        assert {r["store_id"]: r["total"] for r in asked["rows"]} == {"sh": 200, "la": 400}
        assert asked["each_store_today"] is False
        # from a day up to each store's today
        upto = reports.run("store", date_to="2026-12-05", now=NOW)
        assert {r["store_id"]: r["total"] for r in upto["rows"]} == {"sh": 100, "la": 400}


def test_the_console_and_api_today_follow_each_stores_clock(any_office, monkeypatch):
    office = any_office
    _two_stores_around_midnight(office)
    monkeypatch.setattr(reports, "utcnow", lambda: NOW)  # the clock, at the edge
    today = office.admin("GET", "/api/v1/reports-today").get_json()
    assert today["totals"]["total"] == 500 and today["values"][23] == 400
    report = office.admin("GET", "/api/v1/reports/store").get_json()
    assert {r["store_id"]: r["total"] for r in report["rows"]} == {"sh": 100, "la": 400}
    client, _csrf = office.user_client("viewer")
    page = client.get("/console/reports").get_data(as_text=True)
    assert 'id="today-total">5.00<' in page and 'id="each-store-today"' in page


def test_stock_takes_over_all_stores_use_each_stores_own_days(any_office):
    office = any_office
    _two_stores_around_midnight(office)
    with office.ctx.db.connection_context():
        for store_id, applied_at in (("sh", datetime(2026, 12, 5, 2)), ("la", datetime(2026, 12, 5, 7)),
                                     ("la", datetime(2026, 12, 4, 6))):
            StockTakeLineFact.create(take_uuid=f"take-{store_id}-{applied_at.day}", store_id=store_id,
                                     applied_at=applied_at, sku="COLA", name="Cola", unit="each",
                                     expected_milli=5000, counted_milli=4000, variance_milli=-1000,
                                     variance_value=-150)
        today = {t["uuid"] for t in stock.stock_take_variances(now=NOW)}
        assert today == {"take-sh-5", "take-la-5"}
        # 4 December is Los Angeles' 4th (its 4 Dec 23:00 take; its 06:00 UTC one was on the 3rd)
        assert {t["uuid"] for t in stock.stock_take_variances(date_from="2026-12-04")} == {"take-la-5"}
        month = {t["uuid"] for t in stock.stock_take_variances(now=NOW, days_back=30)}
        assert month == {"take-sh-5", "take-la-5", "take-la-4"}
