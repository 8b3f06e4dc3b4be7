"""Stores and devices at head office: the inventory shape, a real till's health as it
reports it over the broker, revocation, and the alerts."""

from __future__ import annotations

from datetime import timedelta

import fleetpos
from fleet_server import stores
from fleet_server.ingest import store_status
from fleet_server.models import Device, utcnow
from fleetpos.messages import DeviceStatus

from .conftest import wait_for


def test_inventory_listing_has_region_group_devices_and_versions(office):
    office.admin("POST", "/api/v1/stores", {"id": "sh-001", "name": "上海一店", "region": "east", "group": "shanghai"},
                 expect=201)
    office.admin("POST", "/api/v1/stores", {"id": "bj-001", "name": "北京一店", "region": "north", "group": "beijing"},
                 expect=201)
    office.admin("POST", "/api/v1/stores/sh-001/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    token = office.api_token("viewer", "ansible inventory")
    response = office.client.get("/api/v1/stores?per_page=500", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    page = response.get_json()
    assert page["total"] == 2 and [s["id"] for s in page["items"]] == ["bj-001", "sh-001"]
    shanghai = page["items"][1]
    assert (shanghai["region"], shanghai["group"], shanghai["name"]) == ("east", "shanghai", "上海一店")
    device = shanghai["devices"][0]
    assert device["device_id"] == "till-1" and device["state"] == "pending" and device["online"] is False
    assert {"software_version", "catalog_version", "outbox_backlog", "disk_free_bytes", "problems",
            "last_seen"} <= set(device)
    east = office.client.get("/api/v1/stores?region=east", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [s["id"] for s in east["items"]] == ["sh-001"]


def test_region_and_group_must_be_inventory_group_names(office):
    body = office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "x", "group": "has space"}, expect=400)
    assert body.get_json()["error"] == "invalid_field"
    assert office.admin("GET", "/api/v1/stores").get_json()["total"] == 0


def test_enrollment_token_answer_carries_the_enroll_file(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One"}, expect=201)
    issued = office.admin("POST", "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, expect=201).get_json()
    assert issued["enroll_file"] == f'url = "http://localhost"\ntoken = "{issued["token"]}"\n'
    svg = stores.qr_svg(issued["enroll_file"])
    assert svg.startswith("<svg") and "<path" in svg


def test_a_real_till_shows_online_with_its_health_then_is_revoked(live_office, till_factory):
    office = live_office
    office.call("POST", "/api/v1/stores", {"id": "s-live", "name": "Live", "region": "east"}, expect=201)
    token = office.call("POST", "/api/v1/stores/s-live/enrollment-tokens", {"device_id": "till-1"}, expect=201)["token"]
    till = till_factory("s-live")
    till.enroll(office, token)
    from appliance.sync.status import record_device_state

    record_device_state(till.use(), "printer", available=False, backend="simulator", message="paper out")
    record_device_state(till.use(), "scanner", available=True, backend="simulator")
    till.start_agent()

    def device():
        return office.call("GET", "/api/v1/stores/s-live/devices/till-1")

    # The first heartbeat can leave before the enrollment snapshot is applied (version 0);
    # the one after it carries the version the till is at.
    seen = wait_for(lambda: (lambda d: d if d["online"] and d["problems"] and d["catalog_version"] >= 1 else None)(
        device()), 15, message="the till to report online with its hardware and catalog")
    assert seen["state"] == "active"
    assert seen["software_version"] == fleetpos.__version__
    assert seen["catalog_version"] == till.catalog_version() == 1
    assert seen["outbox_backlog"] == 0
    assert seen["disk_free_bytes"] > 0
    assert seen["problems"] == ["printer: paper out"]
    assert seen["hardware"]["scanner"]["available"] is True
    assert office.call("GET", "/api/v1/stores/s-live")["online"] is True
    assert office.call("GET", "/api/v1/alerts")["items"] == []

    revoked = office.call("POST", "/api/v1/stores/s-live/devices/till-1/revoke")
    assert revoked["state"] == "revoked" and revoked["online"] is False
    till.stop_agent()


def _status(store_id, device_id, *, backlog, state="online"):
    status = DeviceStatus(state=state, store_id=store_id, device_id=device_id, outbox_backlog=backlog,
                          heartbeat_seconds=60)
    return status, status.encode()


def test_alerts_for_an_offline_store_and_a_growing_backlog(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One"}, expect=201)
    office.admin("POST", "/api/v1/stores", {"id": "s2", "name": "Two"}, expect=201)
    for store_id in ("s1", "s2"):
        office.admin("POST", f"/api/v1/stores/{store_id}/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    threshold = office.config.console.backlog_alert_records
    with office.ctx.db.connection_context():
        Device.update(state="active", enrolled_at=utcnow()).execute()
        for backlog in (threshold - 5, threshold + 10, threshold + 50):  # s1's backlog only grows
            store_status(*_status("s1", "till-1", backlog=backlog))
        store_status(*_status("s2", "till-1", backlog=0))
        assert Device.get(Device.store == "s1").backlog_rising_since is not None
    alerts = office.admin("GET", "/api/v1/alerts").get_json()["items"]
    assert [(a["kind"], a["store_id"], a["device_id"]) for a in alerts] == [("backlog_growing", "s1", "till-1")]

    with office.ctx.db.connection_context():
        store_status(*_status("s1", "till-1", backlog=threshold + 20))  # shrinking: no longer an alert
        assert Device.get(Device.store == "s1").backlog_rising_since is None
        # s2 went quiet a long time ago
        old = utcnow() - timedelta(minutes=office.config.console.offline_alert_minutes + 5)
        Device.update(last_seen=old).where(Device.store == "s2").execute()
    alerts = office.admin("GET", "/api/v1/alerts").get_json()["items"]
    assert [(a["kind"], a["store_id"]) for a in alerts] == [("store_offline", "s2")]
    assert "minutes" in alerts[0]["message"]

    with office.ctx.db.connection_context():  # the last will: offline, but only just
        store_status(*_status("s1", "till-1", backlog=None, state="offline"))
    kinds = [(a["kind"], a["store_id"]) for a in office.admin("GET", "/api/v1/alerts").get_json()["items"]]
    assert ("store_offline", "s1") not in kinds


def test_console_store_pages(office):
    client, csrf = office.user_client("store_ops")
    response = client.post("/console/stores", data={"id": "s1", "name": "One", "region": "east", "group": "sh",
                                                    "csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/stores/s1")
    html = client.post("/console/stores/s1/tokens", data={"device_id": "till-1", "csrf_token": csrf}
                       ).get_data(as_text=True)
    assert 'id="token-text"' in html and "<svg" in html and "fleetpos enroll --file" in html
    assert 'data-device="till-1"' in html
    bad = client.post("/console/stores", data={"id": "bad id!", "name": "x", "csrf_token": csrf})
    assert bad.status_code == 400 and "store id must be" in bad.get_data(as_text=True)
    viewer, _ = office.user_client("viewer")
    page = viewer.get("/console/stores/s1").get_data(as_text=True)
    assert 'id="issue-token"' not in page and "Revoke" not in page  # no write forms for a viewer


def test_ansible_dynamic_inventory_reads_the_stores_with_an_api_token(live_office):
    """ansible/inventory/fleet_inventory.py against this head office, as a technician runs it."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import REPO

    office = live_office
    office.call("POST", "/api/v1/stores", {"id": "sh-001", "name": "上海一店", "region": "east", "group": "shanghai"},
                expect=201)
    office.call("POST", "/api/v1/stores/sh-001/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    office.call("POST", "/api/v1/stores/sh-001/enrollment-tokens", {"device_id": "till-2"}, expect=201)
    office.call("POST", "/api/v1/stores/sh-001/devices/till-2/revoke")
    token = office.call("POST", "/api/v1/api-tokens", {"name": "ansible", "role": "viewer"}, expect=201)["token"]
    result = subprocess.run([sys.executable, str(REPO / "ansible" / "inventory" / "fleet_inventory.py"), "--list"],
                            env={**os.environ, "FLEETPOS_FLEET_URL": office.url, "FLEETPOS_FLEET_TOKEN": token},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    host = inventory["_meta"]["hostvars"]["sh-001-till-1"]
    assert (host["fleetpos_region"], host["fleetpos_group"], host["fleetpos_store_id"]) == ("east", "shanghai",
                                                                                           "sh-001")
    assert "sh-001-till-2" not in inventory["_meta"]["hostvars"]  # revoked
    assert any("east" in group and "sh-001-till-1" in value.get("hosts", [])
               for group, value in inventory.items() if group != "_meta")


def test_device_page_and_dashboard_show_health_and_alerts(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One"}, expect=201)
    office.admin("POST", "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    status = DeviceStatus(state="online", store_id="s1", device_id="till-1", software_version="9.9.9",
                          outbox_backlog=500, disk_free_bytes=3 * 1024 ** 3, heartbeat_seconds=60,
                          devices={"scanner": {"available": False, "backend": "evdev", "message": "unplugged"}})
    with office.ctx.db.connection_context():
        Device.update(state="active", enrolled_at=utcnow()).execute()
        store_status(DeviceStatus(state="online", store_id="s1", device_id="till-1", outbox_backlog=200),
                     b"{}")
        store_status(status, status.encode())
    client, _csrf = office.user_client("viewer")
    page = client.get("/console/stores/s1/devices/till-1").get_data(as_text=True)
    assert "9.9.9" in page and "3.0 GB" in page and "scanner: unplugged" in page
    assert 'data-online="true"' in page
    dashboard = client.get("/console/").get_data(as_text=True)
    assert "backlog_growing" in dashboard and "500 records waiting" in dashboard
    assert client.get("/console/stores/s1/devices/nope").status_code == 404


def test_a_stores_time_zone_locale_and_currency_are_set_on_its_page_and_through_the_api(office):
    client, csrf = office.user_client("store_ops")
    client.post("/console/stores", data={"id": "s1", "name": "One", "csrf_token": csrf})
    page = client.get("/console/stores/s1").get_data(as_text=True)
    assert '<strong id="store-timezone">Asia/Shanghai</strong>' in page and "default" in page
    saved = client.post("/console/stores/s1", data={"name": "One", "timezone": "Europe/Berlin", "locale": "en",
                                                    "currency": "EUR", "csrf_token": csrf})
    assert saved.status_code == 302
    page = client.get("/console/stores/s1").get_data(as_text=True)
    assert '<strong id="store-timezone">Europe/Berlin</strong>' in page and 'value="EUR"' in page
    bad = client.post("/console/stores/s1", data={"name": "One", "timezone": "Europe/Nowhere", "csrf_token": csrf})
    assert bad.status_code == 400 and "not a known time zone" in bad.get_data(as_text=True)
    store = office.admin("GET", "/api/v1/stores/s1").get_json()
    assert (store["timezone"], store["locale"], store["currency"]) == ("Europe/Berlin", "en", "EUR")
    cleared = office.admin("PATCH", "/api/v1/stores/s1", {"timezone": None}).get_json()
    assert cleared["timezone"] is None and cleared["effective"]["timezone"] == "Asia/Shanghai"
    office.admin("PATCH", "/api/v1/stores/s1", {"currency": "euro"}, expect=400)
