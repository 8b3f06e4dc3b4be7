"""The JSON API end to end through Flask's test client."""

import fleetpos
from appliance.barcodes import WeightedLayout, make_weighted
from appliance.schema import MIGRATIONS

from .conftest import CHIPS, COLA, PINS, api_login


def test_healthz_says_the_database_is_writable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["database"] == "writable"
    assert response.json["schema_version"] == MIGRATIONS[-1].version
    assert response.json["version"] == fleetpos.__version__  # what an upgrade's health check compares


def test_everything_but_health_and_login_needs_a_session(client):
    for method, url in (("get", "/api/sale/current"), ("post", "/api/sales"), ("get", "/api/products/search?q=x"),
                        ("get", "/api/shift/x-report"), ("get", "/api/audit")):
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert response.json["error"] == "login_required"


def test_a_whole_sale_over_the_api(client):
    api_login(client, "1001")
    assert client.post("/api/shifts", json={"opening_float": 20_000}).status_code == 201
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": CHIPS})
    weighted = make_weighted(WeightedLayout(prefix="21"), "101", 500)
    response = client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": weighted})
    assert response.status_code == 201
    body = response.json["sale"]
    assert [line["sku"] for line in body["lines"]] == ["COLA", "CHIPS", "APPLE"]
    assert body["total"] == 300 + 750 + 640 and body["remaining"] == body["total"]
    assert response.json["line"]["qty_milli"] == 500
    response = client.post(f"/api/sales/{sale['uuid']}/payments",
                           json={"method": "card", "amount": 1000, "reference": "POS-1"})
    assert response.json["completed"] is False and response.json["sale"]["remaining"] == 690
    response = client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 1000})
    assert response.status_code == 201 and response.json["completed"] is True
    done = response.json["sale"]
    assert done["status"] == "completed" and done["change"] == 310 and done["receipt_no"] == "till-1-000001"
    assert client.get(f"/api/sales/by-receipt/{done['receipt_no']}").json["sale"]["uuid"] == sale["uuid"]
    assert client.get("/api/sale/current").json["sale"] is None


def test_errors_have_a_code_and_a_message(client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    response = client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": "4006381333932"})
    assert response.status_code == 400 and response.json["error"] == "bad_check_digit"
    assert "scan it again" in response.json["message"]
    response = client.post(f"/api/sales/{sale['uuid']}/lines", data="not json", content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "invalid_json"
    response = client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": "NOPE"})
    assert response.status_code == 404 and response.json["error"] == "unknown_barcode"
    assert client.get("/api/nothing-here").status_code == 404
    assert client.get("/api/products/search?q=co&limit=abc").json["error"] == "invalid"


def test_override_flow_over_the_api(client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    line = client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": CHIPS}).json["line"]
    url = f"/api/sales/{sale['uuid']}/lines/{line['id']}"
    response = client.patch(url, json={"unit_price": 600})
    assert response.status_code == 403 and response.json["error"] == "override_required"
    assert response.json["details"]["action"] == "line.price_override"
    response = client.patch(url, json={"unit_price": 600, "override": {"cashier_code": "2001", "pin": "0000"}})
    assert response.status_code == 401 and response.json["error"] == "bad_credentials"
    response = client.patch(url, json={"unit_price": 600, "override": {"cashier_code": "2001", "pin": PINS["2001"]}})
    assert response.status_code == 200 and response.json["sale"]["lines"][0]["unit_price"] == 600
    response = client.patch(url, json={"discount": None, "override": {"cashier_code": "2001", "pin": PINS["2001"]}})
    assert response.status_code == 200


def test_reload_finds_the_sale_in_progress(app, client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    fresh = app.test_client()  # a new browser: same till, log in again
    api_login(fresh, "1001")
    current = fresh.get("/api/sale/current").json["sale"]
    assert current["uuid"] == sale["uuid"] and current["lines"][0]["sku"] == "COLA"


def test_park_resume_void_and_lists(client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    assert client.post(f"/api/sales/{sale['uuid']}/park").json["sale"]["status"] == "parked"
    assert [s["uuid"] for s in client.get("/api/sales?status=parked").json["sales"]] == [sale["uuid"]]
    assert client.post(f"/api/sales/{sale['uuid']}/resume").json["sale"]["status"] == "open"
    response = client.post(f"/api/sales/{sale['uuid']}/void",
                           json={"reason": "test", "override": {"cashier_code": "2001", "pin": PINS["2001"]}})
    assert response.json["sale"]["status"] == "voided"


def test_shift_cash_and_reports_over_the_api(client):
    api_login(client, "2001")
    client.post("/api/shifts", json={"opening_float": 5000})
    assert client.post("/api/shift/cash", json={"kind": "out", "amount": 1000, "reason": "bank"}).status_code == 201
    assert client.get("/api/shift/x-report").json["report"]["expected"]["cash"] == 4000
    report = client.post("/api/shift/close", json={"counted": {"cash": 3990}}).json["report"]
    assert report["difference"]["cash"] == -10
    assert client.get("/api/shift/current").json["shift"] is None
    entries = client.get("/api/audit?limit=5").json["entries"]
    assert entries[0]["action"] == "shift.close"


def test_search_and_lookup_over_the_api(client):
    api_login(client, "1001")
    assert [p["sku"] for p in client.get("/api/products/search?q=可口").json["products"]] == ["COLA"]
    found = client.get(f"/api/products/lookup?code={COLA}").json
    assert found["product"]["name"] == "可口可乐 330ml" and found["product"]["price"] == 300
    assert client.get("/api/cashiers").json["cashiers"][0]["code"] == "1001"


def test_cashier_management_over_the_api(client):
    api_login(client, "1001")
    response = client.post("/api/cashiers", json={"code": "1005", "name": "Eve", "role": "cashier", "pin": "1357"})
    assert response.status_code == 403
    api_login(client, "2001")
    response = client.post("/api/cashiers", json={"code": "1005", "name": "Eve", "role": "cashier", "pin": "1357"})
    assert response.status_code == 201 and "pin" not in response.json["cashier"]
    assert client.patch("/api/cashiers/1005", json={"active": False}).json["cashier"]["active"] is False


def test_a_manager_lists_deactivated_cashiers_and_reactivates_one(client):
    api_login(client, "2001")
    assert client.patch("/api/cashiers/1002", json={"active": False}).json["cashier"]["active"] is False
    assert "1002" not in [c["code"] for c in client.get("/api/cashiers").json["cashiers"]]  # not a lock tile
    everyone = {c["code"]: c["active"] for c in client.get("/api/cashiers?all=1").json["cashiers"]}
    assert everyone["1002"] is False and everyone["1001"] is True
    assert client.patch("/api/cashiers/1002", json={"active": True}).json["cashier"]["active"] is True
    assert "1002" in [c["code"] for c in client.get("/api/cashiers").json["cashiers"]]


def test_only_a_manager_sees_deactivated_cashiers(client):
    assert client.get("/api/cashiers?all=1").status_code == 401
    api_login(client, "1001")
    response = client.get("/api/cashiers?all=1")
    assert response.status_code == 403 and response.json["error"] == "override_required"
