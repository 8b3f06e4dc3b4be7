import pytest

from appliance.errors import Conflict, OverrideRequired, ValidationError
from appliance.models import AuditEntry, CashMovement, Outbox, Shift
from appliance.services import drawer, payments, sales, shifts

from .conftest import CHIPS, COLA, MANAGER_OK, MILK, sell


def test_only_one_shift_open_per_till(till, cashier, shift):
    with pytest.raises(Conflict) as info:
        shifts.open_shift(till, cashier, 0)
    assert info.value.code == "shift_open"
    assert shift.number == 1


def test_cash_in_and_out_with_reasons(till, cashier, shift):
    shifts.move_cash(till, cashier, "in", 5000, "change from bank")
    with pytest.raises(OverrideRequired):
        shifts.move_cash(till, cashier, "out", 2000, "pay the window cleaner")
    shifts.move_cash(till, cashier, "out", 2000, "pay the window cleaner", override=MANAGER_OK)
    with pytest.raises(ValidationError):
        shifts.move_cash(till, cashier, "in", 100, "  ")
    with pytest.raises(Conflict) as info:
        shifts.move_cash(till, cashier, "out", 1_000_000, "too much", override=MANAGER_OK)
    assert info.value.code == "not_enough_cash"
    assert [(m.kind, m.amount) for m in CashMovement.select().order_by(CashMovement.id)] == [("in", 5000), ("out", 2000)]
    assert AuditEntry.get(AuditEntry.action == "shift.cash_out").approved_by.code == "2001"


def test_x_and_z_reports_add_up(till, cashier, shift):
    kicks = []
    till.events.subscribe("drawer.kick", lambda name, payload: kicks.append(payload["reason"]))
    sell(till, cashier, [COLA, CHIPS], ("cash", 2000))  # 10.50, change 9.50
    sell(till, cashier, [MILK], ("card", 380))
    sell(till, cashier, [COLA, MILK], ("wechat", 300), ("cash", 500))  # 6.80 split, change 1.20
    open_sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, open_sale.uuid, code=COLA)
    sales.void(till, cashier, open_sale.uuid, "mistake", override=MANAGER_OK)
    shifts.move_cash(till, cashier, "in", 1000, "coins")
    drawer.open_no_sale(till, cashier, "change for a note", override=MANAGER_OK)
    assert kicks == ["cash_in", "no_sale"]

    x = shifts.x_report(till, cashier)
    assert x["sales_count"] == 3 and x["voided_count"] == 1
    assert x["total"] == 1050 + 380 + 680
    assert x["payments"]["cash"] == {"count": 2, "amount": 1050 + 380}
    assert x["payments"]["card"]["amount"] == 380 and x["payments"]["wechat"]["amount"] == 300
    assert sum(m["amount"] for m in x["payments"].values()) == x["takings"] == x["total"]
    assert sum(b["net"] for b in x["tax_bands"]) == x["total"]
    assert sum(b["tax"] for b in x["tax_bands"]) == x["tax_total"]
    assert x["expected"]["cash"] == 10_000 + 1050 + 380 + 1000

    z = shifts.close_shift(till, cashier, {"cash": {"10000": 1, "1000": 2, "100": 4, "10": 3}, "card": 380,
                                           "wechat": 300, "alipay": 0})
    assert z["counted"]["cash"] == 12_430
    assert z["difference"] == {"cash": 12_430 - x["expected"]["cash"], "card": 0, "wechat": 0, "alipay": 0}
    assert {k: z[k] for k in ("total", "tax_total", "expected")} == {k: x[k] for k in ("total", "tax_total", "expected")}
    closed = Shift.get_by_id(shift.uuid)
    assert closed.status == "closed" and closed.report_json["difference"]["cash"] == z["difference"]["cash"]
    assert Outbox.get((Outbox.kind == "shift_close") & (Outbox.record_uuid == shift.uuid)).payload["number"] == 1


def test_a_closed_shift_takes_nothing_more(till, cashier, shift):
    shifts.close_shift(till, cashier, {"cash": 10_000})
    with pytest.raises(Conflict):
        shifts.move_cash(till, cashier, "in", 100, "late")
    with pytest.raises(Conflict):
        shifts.x_report(till, cashier)
    with pytest.raises(Conflict):
        shifts.close_shift(till, cashier, {"cash": 0})
    new = shifts.open_shift(till, cashier, 500)
    assert new.number == 2


def test_close_needs_a_valid_cash_count(till, cashier, shift):
    for counted in ({}, {"card": 1}, {"cash": -1}, {"cash": {"abc": 1}}, {"cash": {"100": -2}}, {"bitcoin": 5, "cash": 1},
                    None):
        with pytest.raises(ValidationError):
            shifts.close_shift(till, cashier, counted)
    assert Shift.get_by_id(shift.uuid).status == "open"


def test_close_refused_while_a_sale_is_being_paid(till, cashier, shift):
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=CHIPS)
    payments.add_payment(till, cashier, sale.uuid, "cash", 100)
    with pytest.raises(Conflict) as info:
        shifts.close_shift(till, cashier, {"cash": 10_100})
    assert info.value.code == "sale_has_payments"


def test_a_parked_sale_carries_over_to_the_next_shift(till, cashier, shift):
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=COLA)
    sales.park(till, cashier, sale.uuid)
    shifts.close_shift(till, cashier, {"cash": 10_000})
    new = shifts.open_shift(till, cashier, 0)
    sales.resume(till, cashier, sale.uuid)
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 300)
    assert sale.status == "completed" and sale.shift_id == new.uuid


def test_no_sale_drawer_open_needs_a_manager_and_a_reason(till, cashier, shift):
    with pytest.raises(OverrideRequired):
        drawer.open_no_sale(till, cashier, "why not")
    with pytest.raises(ValidationError):
        drawer.open_no_sale(till, cashier, "", override=MANAGER_OK)
    drawer.open_no_sale(till, cashier, "customer needs change", override=MANAGER_OK)
    entry = AuditEntry.get(AuditEntry.action == "drawer.no_sale")
    assert entry.details["reason"] == "customer needs change" and entry.approved_by.code == "2001"
