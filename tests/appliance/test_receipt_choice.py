"""The customer's "no receipt" choice is kept with the sale in the till's database: set and
cleared while the sale is open (after a partial payment too), refused once it is finished,
carried by the sale's view and the API, and kept by databases migrated from before it existed."""

import pytest

from appliance import db as database
from appliance.errors import Conflict, NotFound, ValidationError
from appliance.services import payments, sales
from appliance.services.views import sale_view

from .conftest import CHIPS, COLA, MANAGER_OK, api_login


def _stored(till, sale_uuid):
    return till.sql("SELECT receipt_wanted FROM sale WHERE uuid = ?", (sale_uuid,)).fetchone()[0]


def _sale_with(till, cashier, code=COLA):
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=code)
    return sale


def test_a_new_sale_wants_its_receipt(till, cashier, shift):
    sale = sales.start_sale(till, cashier)
    assert _stored(till, sale.uuid) == 1
    assert sale_view(till, sales.get_sale(till, sale.uuid))["receipt_wanted"] is True


def test_the_choice_is_set_and_cleared_on_the_open_sale(till, cashier, shift):
    sale = _sale_with(till, cashier)
    changed = []
    till.events.subscribe("sale.changed", lambda name, payload: changed.append(payload))

    assert sales.set_receipt_wanted(till, cashier, sale.uuid, False).receipt_wanted is False
    assert _stored(till, sale.uuid) == 0
    assert sale_view(till, sales.get_sale(till, sale.uuid))["receipt_wanted"] is False
    assert changed[-1] == {"sale_uuid": sale.uuid, "receipt_wanted": False}  # other screens follow

    assert sales.set_receipt_wanted(till, cashier, sale.uuid, True).receipt_wanted is True
    assert _stored(till, sale.uuid) == 1
    assert sale_view(till, sales.get_sale(till, sale.uuid))["receipt_wanted"] is True


def test_the_choice_may_change_after_a_partial_payment_and_stays_with_the_completed_sale(till, cashier, shift):
    sale = _sale_with(till, cashier, CHIPS)
    payments.add_payment(till, cashier, sale.uuid, "card", 100, reference="T-1")
    sales.set_receipt_wanted(till, cashier, sale.uuid, False)
    assert _stored(till, sale.uuid) == 0
    completed, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 1000)
    assert completed.status == "completed"
    assert _stored(till, sale.uuid) == 0
    assert sale_view(till, sales.get_sale(till, sale.uuid))["receipt_wanted"] is False


def test_a_parked_sale_keeps_its_choice_when_resumed(till, cashier, shift):
    sale = _sale_with(till, cashier)
    sales.set_receipt_wanted(till, cashier, sale.uuid, False)
    sales.park(till, cashier, sale.uuid)
    assert _stored(till, sale.uuid) == 0
    sales.resume(till, cashier, sale.uuid)
    assert sales.get_sale(till, sale.uuid).receipt_wanted is False


def test_a_completed_or_voided_sale_refuses_the_choice_and_keeps_what_it_had(till, cashier, shift):
    sale = _sale_with(till, cashier)
    payments.add_payment(till, cashier, sale.uuid, "cash", 500)
    with pytest.raises(Conflict) as refused:
        sales.set_receipt_wanted(till, cashier, sale.uuid, False)
    assert refused.value.code == "sale_completed" and "reprint" in str(refused.value)
    assert _stored(till, sale.uuid) == 1  # it printed; it stays so

    voided = _sale_with(till, cashier)
    sales.set_receipt_wanted(till, cashier, voided.uuid, False)
    sales.void(till, cashier, voided.uuid, "customer left", override=MANAGER_OK)
    with pytest.raises(Conflict) as refused:
        sales.set_receipt_wanted(till, cashier, voided.uuid, True)
    assert refused.value.code == "sale_voided"
    assert _stored(till, voided.uuid) == 0


def test_an_unknown_sale_or_a_choice_that_is_not_true_or_false_is_refused(till, cashier, shift):
    with pytest.raises(NotFound) as missing:
        sales.set_receipt_wanted(till, cashier, "no-such-sale", False)
    assert missing.value.code == "sale_not_found"
    sale = _sale_with(till, cashier)
    for bad in ("no", 0, None, "false"):
        with pytest.raises(ValidationError):
            sales.set_receipt_wanted(till, cashier, sale.uuid, bad)
    assert _stored(till, sale.uuid) == 1


def test_the_api_sets_the_choice_and_the_sale_view_carries_it(client):
    api_login(client, "1001")
    assert client.post("/api/shifts", json={"opening_float": 0}).status_code == 201
    sale = client.post("/api/sales").json["sale"]
    assert sale["receipt_wanted"] is True
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    url = f"/api/sales/{sale['uuid']}/receipt"

    assert client.put(url, json={"print": "no"}).status_code == 400
    answer = client.put(url, json={"print": False})
    assert answer.status_code == 200
    assert answer.json["print"] is False and answer.json["sale"]["receipt_wanted"] is False
    assert client.get(f"/api/sales/{sale['uuid']}").json["sale"]["receipt_wanted"] is False
    assert client.get("/api/sale/current").json["sale"]["receipt_wanted"] is False

    paid = client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 300}).json
    assert paid["completed"] and paid["sale"]["receipt_wanted"] is False
    refused = client.put(url, json={"print": True})
    assert refused.status_code == 409 and refused.json["error"] == "sale_completed"
    assert client.put("/api/sales/no-such-sale/receipt", json={"print": False}).status_code == 404


def test_the_api_needs_a_logged_in_cashier(client):
    assert client.put("/api/sales/any/receipt", json={"print": False}).status_code == 401


def test_sales_from_before_the_migration_want_their_receipt(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = database.open_database(path)
    database.migrate(old, target=5)
    old.execute_sql("INSERT INTO cashier (id, code, name, role, pin_hash, created_at) "
                    "VALUES (1, '1001', '王芳', 'cashier', 'x', '2026-01-01 00:00:00')")
    old.execute_sql("INSERT INTO sale (uuid, device_id, status, cashier_id, currency, tax_mode, created_at, "
                    "updated_at, completed_at, receipt_no) VALUES ('s1', 'till-1', 'completed', 1, 'CNY', "
                    "'inclusive', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'R1')")
    old.close()

    db = database.open_database(path)
    try:
        database.migrate(db)  # adding the column does not trip the finished-sale trigger
        assert db.execute_sql("SELECT receipt_wanted FROM sale WHERE uuid = 's1'").fetchone() == (1,)
        with pytest.raises(Exception, match="cannot change"):
            db.execute_sql("UPDATE sale SET receipt_wanted = 0 WHERE uuid = 's1'")
        with pytest.raises(Exception, match="CHECK"):
            db.execute_sql("INSERT INTO sale (uuid, device_id, status, cashier_id, currency, tax_mode, created_at, "
                           "updated_at, receipt_wanted) VALUES ('s2', 'till-1', 'open', 1, 'CNY', 'inclusive', "
                           "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 2)")
    finally:
        db.close()
