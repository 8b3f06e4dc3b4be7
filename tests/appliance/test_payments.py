import pytest

from appliance.errors import Conflict, ValidationError
from appliance.models import AuditEntry, Outbox, Payment, Sale, StockMove
from appliance.services import payments, sales, shifts

from .conftest import CHIPS, COLA, MANAGER_OK, MILK, make_config, seed, login


def cart(till, actor, *codes):
    sale = sales.start_sale(till, actor)
    for code in codes:
        sales.add_item(till, actor, sale.uuid, code=code)
    return sales.get_sale(till, sale.uuid)


def test_cash_payment_with_change_completes_the_sale(till, cashier, shift):
    sale = cart(till, cashier, COLA, CHIPS)  # 10.50
    sale, payment = payments.add_payment(till, cashier, sale.uuid, "cash", 2000)
    assert sale.status == "completed"
    assert (payment.amount, payment.tendered) == (1050, 2000)
    assert sale.change == 950 and sale.paid == 1050
    assert sale.receipt_no == "till-1-000001"


def test_sale_completes_only_when_fully_paid(till, cashier, shift):
    sale = cart(till, cashier, CHIPS)
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 500)
    assert sale.status == "open" and sale.paid == 500 and sale.receipt_no is None
    assert not Outbox.select().where(Outbox.kind == "sale").exists()
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "card", 250, reference="AUTH-778")
    assert sale.status == "completed"


def test_split_tender_card_then_cash_with_change(till, cashier, shift):
    sale = cart(till, cashier, COLA, CHIPS, MILK)  # 14.30
    payments.add_payment(till, cashier, sale.uuid, "wechat", 1000, reference="WX4200001")
    payments.add_payment(till, cashier, sale.uuid, "alipay", 200, reference="2026112322001")
    sale, last = payments.add_payment(till, cashier, sale.uuid, "cash", 500)
    assert sale.status == "completed"
    assert [p.method for p in sale.payments.order_by(Payment.id)] == ["wechat", "alipay", "cash"]
    assert sum(p.amount for p in sale.payments) == sale.total == 1430
    assert sale.change == 270 and last.tendered - last.amount == 270


def test_external_payments_need_a_reference_and_cannot_exceed_the_due(till, cashier, shift):
    sale = cart(till, cashier, COLA)
    with pytest.raises(ValidationError) as info:
        payments.add_payment(till, cashier, sale.uuid, "card", 300)
    assert info.value.code == "reference_required"
    with pytest.raises(ValidationError) as info:
        payments.add_payment(till, cashier, sale.uuid, "card", 301, reference="X1")
    assert info.value.code == "overpayment"
    with pytest.raises(ValidationError):
        payments.add_payment(till, cashier, sale.uuid, "bitcoin", 300)
    with pytest.raises(ValidationError):
        payments.add_payment(till, cashier, sale.uuid, "cash", -5)
    assert not Payment.select().exists()


@pytest.mark.parametrize("increment, total_codes, tendered, rounding, change", [
    (5, [COLA, CHIPS, MILK], 1430, 0, 0),  # 14.30 is already a multiple of 0.05
    (10, [MILK], 400, 0, 20),  # 3.80 -> 3.80
    (5, ["APPLE:455"], 600, -2, 20),  # 5.82 -> 5.80 in cash
    (10, ["APPLE:455"], 600, -2, 20),  # 5.82 -> 5.80
    (10, ["APPLE:460"], 600, 1, 10),  # 5.89 -> 5.90
])
def test_cash_rounding(tmp_path, clock, increment, total_codes, tendered, rounding, change):
    from appliance.app import open_till

    till = open_till(make_config(tmp_path, store={"cash_rounding": increment}), clock=clock)
    seed(till)
    actor = login(till, "1001")
    shifts.open_shift(till, actor, 0)
    sale = sales.start_sale(till, actor)
    for code in total_codes:
        sku, _, grams = code.partition(":")
        sales.add_item(till, actor, sale.uuid, code=sku, qty_milli=int(grams) if grams else None)
    sale, payment = payments.add_payment(till, actor, sale.uuid, "cash", tendered)
    assert sale.status == "completed"
    assert sale.rounding == rounding
    assert sale.change == change
    assert payment.amount == sale.total + rounding
    till.db.close()


def test_card_payment_is_never_rounded(tmp_path, clock):
    from appliance.app import open_till

    till = open_till(make_config(tmp_path, store={"cash_rounding": 10}), clock=clock)
    seed(till)
    actor = login(till, "1001")
    shifts.open_shift(till, actor, 0)
    sale = sales.start_sale(till, actor)
    sales.add_item(till, actor, sale.uuid, code="APPLE", qty_milli=455)
    sale, _ = payments.add_payment(till, actor, sale.uuid, "card", 582, reference="R1")
    assert sale.status == "completed" and sale.rounding == 0 and sale.paid == 582
    till.db.close()


def test_completion_writes_stock_moves_audit_and_one_outbox_row(till, cashier, shift):
    sale = cart(till, cashier, COLA, COLA, MILK)
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 1000)
    moves = {m.product.sku: m.qty_milli for m in StockMove.select().where(StockMove.reference == sale.uuid)}
    assert moves == {"COLA": -2000, "MILK": -1000}
    assert AuditEntry.get(AuditEntry.action == "sale.complete").subject == sale.uuid
    row = Outbox.get((Outbox.kind == "sale") & (Outbox.record_uuid == sale.uuid))
    payload = row.payload
    assert payload["v"] == 1 and payload["receipt_no"] == sale.receipt_no
    assert payload["total"] == sum(line["net"] for line in payload["lines"]) == 980
    assert sum(p["amount"] for p in payload["payments"]) == payload["paid"]
    assert sum(b["tax"] for b in payload["tax_bands"]) == payload["tax_total"]
    assert payload["store_id"] == "demo-store" and payload["device_id"] == "till-1"


def test_receipt_numbers_increase_per_till(till, cashier, shift):
    numbers = []
    for _ in range(3):
        sale = cart(till, cashier, COLA)
        sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 300)
        numbers.append(sale.receipt_no)
    assert numbers == ["till-1-000001", "till-1-000002", "till-1-000003"]


def test_payment_needs_an_open_shift(till, cashier, shift):
    sale = cart(till, cashier, COLA)
    shifts.close_shift(till, cashier, {"cash": 10_000})
    with pytest.raises(Conflict) as info:
        payments.add_payment(till, cashier, sale.uuid, "cash", 300)
    assert info.value.code == "no_open_shift"
    assert Sale.get_by_id(sale.uuid).status == "open"
    assert not Payment.select().exists()


def test_a_completed_sale_takes_no_more_payments(till, cashier, shift):
    sale = cart(till, cashier, COLA)
    payments.add_payment(till, cashier, sale.uuid, "cash", 300)
    with pytest.raises(Conflict) as info:
        payments.add_payment(till, cashier, sale.uuid, "cash", 300)
    assert info.value.code == "sale_completed"


def test_removing_a_payment_needs_a_manager_and_reopens_the_due(till, cashier, shift):
    sale = cart(till, cashier, CHIPS)
    _, payment = payments.add_payment(till, cashier, sale.uuid, "card", 500, reference="R9")
    sale = payments.remove_payment(till, cashier, sale.uuid, payment.id, override=MANAGER_OK)
    assert sale.paid == 0
    assert AuditEntry.get(AuditEntry.action == "payment.remove").details["reference"] == "R9"


def test_completed_event_is_emitted_after_commit(till, cashier, shift):
    seen = []
    till.events.subscribe("sale.completed", lambda name, payload: seen.append(
        (payload["receipt_no"], Sale.get_by_id(payload["sale_uuid"]).status)))
    sale = cart(till, cashier, COLA)
    payments.add_payment(till, cashier, sale.uuid, "cash", 500)
    assert seen == [("till-1-000001", "completed")]
