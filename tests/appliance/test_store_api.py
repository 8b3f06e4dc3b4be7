"""Members, refunds and stock through the JSON API."""

from .conftest import CHIPS, COLA, PINS, api_login

MANAGER = {"cashier_code": "2001", "pin": PINS["2001"]}


def ring_up(client, *codes, member=None):
    sale = client.post("/api/sales").json["sale"]
    for code in codes:
        client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": code})
    if member:
        assert client.put(f"/api/sales/{sale['uuid']}/member", json={"query": member}).status_code == 200
    current = client.get(f"/api/sales/{sale['uuid']}").json["sale"]
    return client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": current["total"]}).json["sale"]


def test_member_signup_sale_and_points(client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    response = client.post("/api/members", json={"card_no": "C12345", "name": "王五", "phone": "13900000000"})
    assert response.status_code == 201
    sale = ring_up(client, CHIPS, CHIPS, member="13900000000")
    assert sale["status"] == "completed"
    found = client.get("/api/members/find?q=C12345").json
    assert found["member"]["points"] == 15 and found["history"][0]["kind"] == "earn"
    assert client.get("/api/members/find?q=nobody").status_code == 404


def test_refund_over_the_api(client):
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = ring_up(client, COLA, CHIPS)
    lookup = client.get(f"/api/refunds/sale?receipt_no={sale['receipt_no']}").json
    cola = next(line for line in lookup["lines"] if line["sku"] == "COLA")
    response = client.post("/api/refunds", json={"receipt_no": sale["receipt_no"], "reason": "不新鲜",
                                                 "lines": [{"line_id": cola["line_id"]}]})
    assert response.status_code == 201 and response.json["refund"]["payout"] == 300
    response = client.post("/api/refunds", json={"receipt_no": sale["receipt_no"], "reason": "again",
                                                 "lines": [{"line_id": cola["line_id"]}]})
    assert response.status_code == 400 and response.json["error"] == "refund_too_large"
    response = client.post("/api/refunds", json={"without_receipt": True, "reason": "lost",
                                                 "lines": [{"code": COLA}]})
    assert response.status_code == 403 and response.json["error"] == "override_required"
    response = client.post("/api/refunds", json={"without_receipt": True, "reason": "lost",
                                                 "lines": [{"code": COLA}], "override": MANAGER})
    assert response.status_code == 201


def test_stock_endpoints(client):
    api_login(client, "2001")
    client.post("/api/shifts", json={"opening_float": 0})
    response = client.post("/api/stock/receipts", json={"supplier": "批发市场", "lines": [
        {"code": COLA, "qty_milli": 12_000, "cost_price": 170}]})
    assert response.status_code == 201
    product_id = response.json["receipt"]["moves"][0]["product_id"]
    client.put(f"/api/stock/{product_id}/threshold", json={"low_stock_milli": 12_000})
    assert [p["sku"] for p in client.get("/api/stock/low").json["products"]] == ["COLA"]
    response = client.post("/api/stock/adjustments", json={"code": COLA, "delta_milli": 1000, "reason": "found"})
    assert response.json["stock"]["on_hand_milli"] == 13_000 and response.json["stock"]["low"] is False
    take = client.post("/api/stock/takes", json={"note": "weekly"}).json["stock_take"]
    client.post(f"/api/stock/takes/{take['uuid']}/counts", json={"code": COLA, "qty_milli": 12_500, "mode": "set"})
    response = client.post(f"/api/stock/takes/{take['uuid']}/counts", json={"code": "NOPE"})
    assert response.status_code == 404
    applied = client.post(f"/api/stock/takes/{take['uuid']}/apply").json["stock_take"]
    assert applied["lines"][0]["variance_milli"] == -500
    assert client.get(f"/api/stock/{product_id}").json["stock"]["on_hand_milli"] == 12_500
    assert client.get("/api/stock/takes/open").json["stock_take"] is None
