"""The till with every device simulated: scan -> line, sale -> receipt, drawer, display."""

import pytest

from appliance import hardware
from appliance.app import create_app, open_till
from appliance.services import payments, sales, shifts

from .conftest import CHIPS, COLA, MANAGER_OK, MILK, ean13, login, make_config, seed

SIMULATED = {kind: {"backend": "simulator"} for kind in ("scanner", "printer", "drawer", "display", "buzzer")}


@pytest.fixture
def rig(tmp_path, clock):
    till = open_till(make_config(tmp_path, hardware=SIMULATED), clock=clock)
    seed(till)
    app = create_app(ctx=till, extensions=[hardware.init_app])
    wired = app.extensions["fleetpos.hardware"]
    yield till, app, wired, wired.devices
    wired.stop()
    till.db.close()


def test_scan_sale_receipt_drawer_and_display(rig):
    till, _app, wired, devices = rig
    cashier = login(till, "1001")
    shifts.open_shift(till, cashier, 10_000)
    devices.drawer.close()
    kicks_before = len(devices.drawer.kicks)
    for code in (COLA, CHIPS, MILK):
        devices.scanner.feed(code)
    sale = sales.current_sale(till)
    assert [line.sku for line in sales.lines_of(sale)] == ["COLA", "CHIPS", "MILK"]
    assert devices.display.lines == ("MILK", "               ¥3.80")  # the last item (Chinese name: SKU)
    payments.add_payment(till, cashier, sale.uuid, "card", 430, reference="T-1")
    payments.add_payment(till, cashier, sale.uuid, "cash", 2000)
    wired.drain()
    assert len(devices.printer.receipts) == 1
    text = devices.printer.receipts[0]
    for expected in ("可口可乐 330ml", "Lay's chips 70g", "蒙牛纯牛奶", "14.30", "20.00", "10.00", "till-1-000001"):
        assert expected in text, expected
    assert len(devices.drawer.kicks) == kicks_before + 1 and devices.drawer.kicks[-1].reason == "sale"
    assert "10.00" in devices.display.lines[1]  # change due: 20.00 cash for 10.00 left
    assert devices.buzzer.beeps == ["good", "good", "good"]  # one per read, none extra


def test_a_bad_scan_beeps_and_changes_nothing(rig):
    till, _app, _wired, devices = rig
    cashier = login(till, "1001")
    shifts.open_shift(till, cashier, 0)
    rejected = []
    till.events.subscribe("scan.rejected", lambda name, payload: rejected.append(payload["error"]))
    devices.scanner.feed(ean13("690999999999"))  # a valid EAN-13 that is not in the catalog
    assert rejected == ["unknown_barcode"]
    assert devices.buzzer.beeps == ["good", "error"]  # read fine, refused by the till
    assert not sales.lines_of(sales.current_sale(till))


def test_with_drawer_must_close_a_scan_waits_for_the_drawer_before_the_next_sale(tmp_path, clock):
    till = open_till(make_config(tmp_path, hardware=SIMULATED, kiosk={"drawer_must_close": True}), clock=clock)
    seed(till)
    wired = create_app(ctx=till, extensions=[hardware.init_app]).extensions["fleetpos.hardware"]
    try:
        devices = wired.devices
        cashier = login(till, "1001")
        shifts.open_shift(till, cashier, 0)
        devices.drawer.close()
        devices.scanner.feed(COLA)
        sale = sales.current_sale(till)
        devices.drawer.open()
        devices.scanner.feed(CHIPS)  # the sale already open goes on
        assert [line.sku for line in sales.lines_of(sale)] == ["COLA", "CHIPS"]
        payments.add_payment(till, cashier, sale.uuid, "cash", sales.get_sale(till, sale.uuid).total)
        rejected = []
        till.events.subscribe("scan.rejected", lambda name, payload: rejected.append(payload["error"]))
        devices.scanner.feed(MILK)  # no sale open and the drawer open: the next one waits
        assert rejected == ["drawer_open"] and devices.buzzer.beeps[-1] == "error"
        assert sales.current_sale(till) is None
        devices.drawer.close()
        devices.scanner.feed(COLA)  # (not MILK again: the scanner drops a repeated read)
        assert [line.sku for line in sales.lines_of(sales.current_sale(till))] == ["COLA"]
    finally:
        wired.stop()
        till.db.close()


def test_printer_unplugged_mid_job_queues_and_prints_exactly_once(rig):
    till, _app, wired, devices = rig
    cashier = login(till, "1001")
    shifts.open_shift(till, cashier, 0)
    devices.printer.set_online(False)
    devices.scanner.feed(COLA)
    sale = sales.current_sale(till)
    payments.add_payment(till, cashier, sale.uuid, "cash", 300)
    wired.drain()
    assert devices.printer.receipts == []
    assert len(devices.printer.pending_jobs()) == 1
    devices.printer.set_online(True)
    assert devices.printer.retry_pending() == 1
    assert devices.printer.retry_pending() == 0
    assert len(devices.printer.receipts) == 1 and "till-1-000001" in devices.printer.receipts[0]


def test_no_sale_and_cash_out_open_the_drawer(rig):
    till, _app, _wired, devices = rig
    from appliance.services import drawer

    cashier = login(till, "1001")
    shifts.open_shift(till, cashier, 5000)
    drawer.open_no_sale(till, cashier, "change for a note", override=MANAGER_OK)
    shifts.move_cash(till, cashier, "out", 1000, "bank", override=MANAGER_OK)
    assert [k.reason for k in devices.drawer.kicks] == ["cash_in", "no_sale", "cash_out"]


def test_device_states_reprint_and_retry_over_the_api(rig):
    till, app, wired, devices = rig
    client = app.test_client()
    from .conftest import api_login

    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    devices.scanner.feed(CHIPS)
    sale = client.get("/api/sale/current").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 1000})
    wired.drain()
    states = client.get("/api/devices").json
    assert {d["kind"] for d in states["devices"]} == {"scanner", "printer", "drawer", "display", "buzzer"}
    assert all(d["available"] for d in states["devices"])
    assert client.post(f"/api/sales/{sale['uuid']}/reprint").status_code == 200
    assert len(devices.printer.receipts) == 2
    assert client.post("/api/printer/retry").json["printed"] == 0


def test_device_states_are_kept_for_head_office(rig):
    till, _app, _wired, devices = rig
    rows = dict(till.sql("SELECT name, available FROM device_state").fetchall())
    assert rows == {"scanner": 1, "printer": 1, "drawer": 1, "display": 1, "buzzer": 1}


def test_receipt_shows_spend_and_save_as_its_own_line(rig):
    till, _app, wired, devices = rig
    from appliance.services import promotions

    promotions.upsert_promotion(till, {"code": "SAVE", "name": "满10减1", "kind": "spend_save",
                                       "tiers": [[1000, 100]]})
    cashier = login(till, "1001")
    shifts.open_shift(till, cashier, 0)
    for code in (CHIPS, COLA):  # 10.50: spend 10 save 1
        devices.scanner.feed(code)
    sale = sales.current_sale(till)
    assert sale.promo_discount == 100
    payments.add_payment(till, cashier, sale.uuid, "cash", 1000)
    wired.drain()
    text = devices.printer.receipts[0]
    assert any("满减" in row and "1.00" in row for row in text.splitlines())
    assert "整单折扣" not in text


def test_a_customer_who_wants_no_receipt_gets_none_printed_but_can_have_it_reprinted(rig):
    till, app, wired, devices = rig
    client = app.test_client()
    client.post("/api/auth/login", json={"cashier_code": "1001", "pin": "1234"})
    assert client.post("/api/shifts", json={"opening_float": 0}).status_code == 201
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    assert client.put(f"/api/sales/{sale['uuid']}/receipt", json={"print": "no"}).status_code == 400
    assert client.put(f"/api/sales/{sale['uuid']}/receipt", json={"print": False}).json["print"] is False
    client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 300})
    wired.drain()
    assert devices.printer.receipts == []
    assert client.put(f"/api/sales/{sale['uuid']}/receipt", json={"print": True}).status_code == 409  # completed
    client.post(f"/api/sales/{sale['uuid']}/reprint")
    wired.drain()
    assert len(devices.printer.receipts) == 1 and "till-1-000001" in devices.printer.receipts[0]
    # the next sale prints as usual
    second = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{second['uuid']}/lines", json={"code": COLA})
    client.post(f"/api/sales/{second['uuid']}/payments", json={"method": "cash", "amount": 300})
    wired.drain()
    assert len(devices.printer.receipts) == 2


def test_a_declined_receipt_stays_declined_across_a_till_restart_and_can_still_be_reprinted(tmp_path, clock):
    config = make_config(tmp_path, hardware=SIMULATED)
    first = open_till(config, clock=clock)
    seed(first)
    app = create_app(ctx=first, extensions=[hardware.init_app])
    wired = app.extensions["fleetpos.hardware"]
    client = app.test_client()
    client.post("/api/auth/login", json={"cashier_code": "1001", "pin": "1234"})
    assert client.post("/api/shifts", json={"opening_float": 0}).status_code == 201
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": CHIPS})
    client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "card", "amount": 100, "reference": "T-1"})
    assert client.put(f"/api/sales/{sale['uuid']}/receipt", json={"print": False}).status_code == 200
    wired.stop()  # the till process ends between the choice and the rest of the payment
    first.db.close()

    second = open_till(config, clock=clock)  # a new process on the same database file
    app = create_app(ctx=second, extensions=[hardware.init_app])
    wired = app.extensions["fleetpos.hardware"]
    devices = wired.devices
    try:
        client = app.test_client()
        client.post("/api/auth/login", json={"cashier_code": "1001", "pin": "1234"})
        current = client.get("/api/sale/current").json["sale"]
        assert current["uuid"] == sale["uuid"] and current["receipt_wanted"] is False
        paid = client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 1000}).json
        assert paid["completed"]
        wired.drain()
        assert devices.printer.receipts == []
        assert devices.printer.pending_jobs() == []  # not queued for later either
        assert client.post(f"/api/sales/{sale['uuid']}/reprint").status_code == 200
        wired.drain()
        assert len(devices.printer.receipts) == 1 and paid["sale"]["receipt_no"] in devices.printer.receipts[0]
        # the next customer's receipt prints as usual
        other = client.post("/api/sales").json["sale"]
        client.post(f"/api/sales/{other['uuid']}/lines", json={"code": COLA})
        client.post(f"/api/sales/{other['uuid']}/payments", json={"method": "cash", "amount": 300})
        wired.drain()
        assert len(devices.printer.receipts) == 2
    finally:
        wired.stop()
        second.db.close()
