"""A store's time zone, locale and currency: what head office sets on the store's page wins
over what its tills report; a till's report only fills a setting the store does not have;
the tills' values stay visible, and a till whose time zone or currency differs is an alert
(a currency that differs also shows on the reports). On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fleet_server import reports
from fleet_server.db import write_transaction
from fleet_server.ingest import Incoming, store_records, store_status
from fleet_server.models import Device, SaleFact, utcnow
from fleetpos.messages import DeviceStatus, Record

from .test_local_time import sale


def _till_reports(office, store_id, device_id="till-1", **settings):
    status = DeviceStatus(state="online", store_id=store_id, device_id=device_id, heartbeat_seconds=60, **settings)
    with office.ctx.db.connection_context():
        with write_transaction(office.ctx.db):
            store_status(status, status.encode())


def _store_with_tills(office, store_id, *device_ids):
    office.admin("POST", "/api/v1/stores", {"id": store_id, "name": f"Store {store_id}"}, expect=201)
    for device_id in device_ids:
        office.admin("POST", f"/api/v1/stores/{store_id}/enrollment-tokens", {"device_id": device_id}, expect=201)
    with office.ctx.db.connection_context():
        Device.update(state="active", enrolled_at=utcnow()).where(Device.store == store_id).execute()


def test_what_was_set_on_the_store_page_wins_over_the_tills_report(any_office):
    office = any_office
    _store_with_tills(office, "sh1", "till-1")
    client, csrf = office.user_client("store_ops")
    saved = client.post("/console/stores/sh1", data={"name": "Store sh1", "timezone": "Asia/Shanghai",
                                                     "locale": "zh-CN", "currency": "CNY", "csrf_token": csrf})
    assert saved.status_code == 302
    with office.ctx.db.connection_context():
        with write_transaction(office.ctx.db):
            # 15:30 UTC is 23:30 on the 4th in Shanghai, 16:30 on the 4th in Berlin
            sold = sale("sh1", "2026-12-04T15:30:00Z")
            store_records([Incoming("sh1", "till-1", records=[Record.from_payload(sold)])])
    _till_reports(office, "sh1", timezone="Europe/Berlin", locale="de-DE", currency="EUR")

    store = office.admin("GET", "/api/v1/stores/sh1").get_json()
    assert (store["timezone"], store["locale"], store["currency"]) == ("Asia/Shanghai", "zh-CN", "CNY")
    with office.ctx.db.connection_context():
        row = SaleFact.get(SaleFact.uuid == sold["uuid"])
        assert (str(row.day), row.hour) == ("2026-12-04", 23)  # still Shanghai's day and hour
    # the till's own values stay visible
    device = store["devices"][0]
    assert device["reported"] == {"timezone": "Europe/Berlin", "locale": "de-DE", "currency": "EUR"}
    assert office.admin("GET", "/api/v1/stores/sh1/devices/till-1").get_json()["reported"]["currency"] == "EUR"
    assert store["mismatches"] == [
        {"device_id": "till-1", "setting": "timezone", "store": "Asia/Shanghai", "reported": "Europe/Berlin"},
        {"device_id": "till-1", "setting": "currency", "store": "CNY", "reported": "EUR"}]
    alerts = office.admin("GET", "/api/v1/alerts").get_json()["items"]
    assert [(a["kind"], a["store_id"], a["device_id"]) for a in alerts] == [
        ("timezone_mismatch", "sh1", "till-1"), ("currency_mismatch", "sh1", "till-1")]
    assert "EUR" in alerts[1]["message"] and "CNY" in alerts[1]["message"]

    page = client.get("/console/stores/sh1").get_data(as_text=True)
    assert 'id="settings-mismatches"' in page and "currency_mismatch" in page
    assert re.search(r'id="reported-settings".*Europe/Berlin.*de-DE.*EUR', page, re.S)
    assert "Europe/Berlin" in client.get("/console/stores/sh1/devices/till-1").get_data(as_text=True)
    assert "currency_mismatch" in client.get("/console/").get_data(as_text=True)

    # set to what the till says: the alert goes
    client.post("/console/stores/sh1", data={"name": "Store sh1", "timezone": "Europe/Berlin", "currency": "EUR",
                                             "csrf_token": csrf})
    assert office.admin("GET", "/api/v1/alerts").get_json()["items"] == []


def test_a_tills_report_fills_only_what_the_store_does_not_have(any_office):
    office = any_office
    _store_with_tills(office, "ber", "till-1", "till-2")
    _till_reports(office, "ber", "till-1", timezone="Europe/Berlin", currency="EUR")
    store = office.admin("GET", "/api/v1/stores/ber").get_json()
    assert (store["timezone"], store["locale"], store["currency"]) == ("Europe/Berlin", None, "EUR")
    assert store["mismatches"] == []
    # a second till, set up for another zone and currency, overwrites nothing but is an alert
    _till_reports(office, "ber", "till-2", timezone="Asia/Shanghai", locale="de-DE", currency="CNY")
    store = office.admin("GET", "/api/v1/stores/ber").get_json()
    assert (store["timezone"], store["locale"], store["currency"]) == ("Europe/Berlin", "de-DE", "EUR")
    assert [(m["device_id"], m["setting"]) for m in store["mismatches"]] == [("till-2", "timezone"),
                                                                              ("till-2", "currency")]
    # a value cleared on the store's page is the tills' to fill again
    office.admin("PATCH", "/api/v1/stores/ber", {"currency": None})
    _till_reports(office, "ber", "till-2", timezone="Asia/Shanghai", currency="CNY")
    assert office.admin("GET", "/api/v1/stores/ber").get_json()["currency"] == "CNY"
    # a revoked till's old status raises nothing
    office.admin("POST", "/api/v1/stores/ber/devices/till-1/revoke")
    assert [(a["kind"], a["device_id"]) for a in office.admin("GET", "/api/v1/alerts").get_json()["items"]] == [
        ("timezone_mismatch", "till-2")]


def test_a_report_over_sales_in_two_currencies_says_so_and_adds_no_money_up(any_office):
    office = any_office
    _store_with_tills(office, "sh", "till-1")
    _store_with_tills(office, "ber", "till-1")
    with office.ctx.db.connection_context():
        with write_transaction(office.ctx.db):
            euro = {**sale("ber", "2026-12-05T04:00:00Z", total=500), "currency": "EUR"}
            store_records([Incoming(r["store_id"], "till-1", records=[Record.from_payload(r)])
                           for r in (sale("sh", "2026-12-05T04:00:00Z", total=300), euro)])
        both = reports.run("day", date_from="2026-12-05")
        assert both["currencies"] == ["CNY", "EUR"] and "2 currencies" in both["warning"]
        assert both["totals"]["total"] is None and both["totals"]["sales"] == 2
        one = reports.run("day", date_from="2026-12-05", store="ber")
        assert one["currencies"] == ["EUR"] and one["warning"] is None and one["totals"]["total"] == 500
    client, _csrf = office.user_client("viewer")
    page = client.get("/console/reports?report=store&from=2026-12-05").get_data(as_text=True)
    assert 'id="mixed-currencies"' in page and "CNY, EUR" in page
