import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from peewee import IntegrityError

from appliance.errors import Conflict, OverrideRequired, ValidationError
from appliance.models import AuditEntry, Member, Outbox, Refund, RefundLine
from appliance.services import members, promotions, refunds, sales, shifts, stock

from .conftest import CHIPS, COLA, MANAGER_OK, MILK, login, make_config, seed, sell


def line_ids(till, sale):
    return {line.sku: line.id for line in sales.lines_of(sale)}


def test_refund_one_line_of_a_receipt(till, cashier, shift):
    sale = sell(till, cashier, [COLA, CHIPS, CHIPS], ("cash", 2000))  # 18.00, change 2.00
    ids = line_ids(till, sale)
    before = stock.on_hand(till, sales.lines_of(sale)[1].product_id)
    refund = refunds.create_refund(till, cashier, receipt_no=sale.receipt_no, reason="damaged",
                                   lines=[{"line_id": ids["CHIPS"], "qty_milli": 1000}])
    assert refund.total == 750 and refund.payout == 750 and refund.number == "till-1-R000001"
    assert [(p["method"], p["amount"]) for p in refunds.refund_view(refund)["payments"]] == [("cash", 750)]
    assert stock.on_hand(till, sales.lines_of(sale)[1].product_id) == before + 1000
    record = Outbox.get((Outbox.kind == "refund") & (Outbox.record_uuid == refund.uuid)).payload
    assert record["sale_uuid"] == sale.uuid and record["lines"][0]["qty_milli"] == 1000
    assert AuditEntry.get(AuditEntry.action == "refund.create").subject == refund.uuid


def test_never_more_than_was_sold(till, cashier, shift):
    sale = sell(till, cashier, [CHIPS, CHIPS])
    line = sales.lines_of(sale)[0]
    refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x", lines=[{"line_id": line.id, "qty_milli": 1000}])
    with pytest.raises(ValidationError) as info:
        refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x",
                              lines=[{"line_id": line.id, "qty_milli": 2000}])
    assert info.value.code == "refund_too_large" and info.value.details["remaining_qty_milli"] == 1000
    assert Refund.select().count() == 1
    with pytest.raises(IntegrityError):  # the database refuses it too
        till.db.execute_sql("INSERT INTO refund_line (refund_id, sale_line_id, product_id, sku, name, qty_milli, "
                            "amount, tax, tax_rate_bp) SELECT uuid, ?, ?, 'x', 'x', 2000, 1, 0, 0 FROM refund",
                            (line.id, line.product_id))


def test_full_refund_of_promoted_and_discounted_sale_returns_exactly_what_was_paid(till, cashier, manager, shift):
    sale = sales.start_sale(till, cashier)
    chips = sales.add_item(till, cashier, sale.uuid, code=CHIPS)
    sales.change_line(till, cashier, sale.uuid, chips.id, qty_milli=3000)
    sales.change_line(till, manager, sale.uuid, chips.id, discount={"kind": "percent", "value": 1500})
    sales.add_item(till, cashier, sale.uuid, code=MILK)
    sales.set_order_discount(till, manager, sale.uuid, "amount", 77)
    sale = sales.get_sale(till, sale.uuid)
    from appliance.services import payments

    payments.add_payment(till, cashier, sale.uuid, "card", 1000, reference="C1")
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 5000)
    ids = line_ids(till, sale)
    first = refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x",
                                  lines=[{"line_id": ids["CHIPS"], "qty_milli": 1000}])
    second = refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="rest")
    assert first.payout + second.payout == sale.paid
    with pytest.raises(Conflict):
        refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="again")
    paid_back = {}
    for refund in (first, second):
        for p in refunds.refund_view(refund)["payments"]:
            paid_back[p["method"]] = paid_back.get(p["method"], 0) + p["amount"]
    assert paid_back == {"cash": sale.paid - 1000, "card": 1000}  # back to the original methods


def test_cash_rounded_sale_full_refund_returns_the_rounded_amount(tmp_path, clock):
    from appliance.app import open_till

    till = open_till(make_config(tmp_path, store={"cash_rounding": 10}), clock=clock)
    seed(till)
    actor = login(till, "1001")
    shifts.open_shift(till, actor, 0)
    sale = sell(till, actor, [("APPLE", 455)], ("cash", 600))  # 5.82 -> 5.80 in cash
    refund = refunds.create_refund(till, actor, sale_uuid=sale.uuid, reason="bad")
    assert (refund.total, refund.rounding, refund.payout) == (582, -2, 580)
    till.db.close()


def test_refund_method_cash_and_no_receipt_needs_a_manager(till, cashier, shift):
    sale = sell(till, cashier, [CHIPS], ("card", 750))
    refund = refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x", method="cash")
    assert refunds.refund_view(refund)["payments"] == [{"method": "cash", "amount": 750}]
    with pytest.raises(OverrideRequired):
        refunds.create_refund_without_receipt(till, cashier, reason="lost receipt", lines=[{"code": COLA}])
    refund = refunds.create_refund_without_receipt(till, cashier, reason="lost receipt",
                                                   lines=[{"code": COLA, "qty_milli": 2000}], override=MANAGER_OK)
    assert refund.total == 600 and refund.sale_id is None and refund.approved_by.code == "2001"


def test_refund_needs_an_open_shift_and_a_reason(till, cashier, shift):
    sale = sell(till, cashier, [COLA])
    with pytest.raises(ValidationError):
        refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason=" ")
    shifts.close_shift(till, cashier, {"cash": 10_300})
    with pytest.raises(Conflict) as info:
        refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x")
    assert info.value.code == "no_open_shift"


def test_refunds_count_in_the_shift_report(till, cashier, shift):
    sale = sell(till, cashier, [CHIPS, COLA], ("cash", 1050))
    refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x",
                          lines=[{"line_id": line_ids(till, sale)["COLA"]}])
    report = shifts.x_report(till, cashier)
    assert report["refunds_count"] == 1 and report["refunds_payout"] == 300
    assert report["expected"]["cash"] == 10_000 + 1050 - 300


def test_points_come_back_on_refund(till, cashier, shift):
    member = members.create_member(till, cashier, card_no="M0009", name="李四")
    members.add_points(till, member.id, 200, "adjust", "test")
    sale = sales.start_sale(till, cashier)
    for code in (CHIPS, CHIPS):
        sales.add_item(till, cashier, sale.uuid, code=code)
    members.attach(till, cashier, sale.uuid, "M0009")
    members.redeem(till, cashier, sale.uuid, 100)
    from appliance.services import payments

    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 1400)
    assert sale.points_earned == 14
    assert Member.get_by_id(member.id).points == 200 - 100 + 14
    line = sales.lines_of(sale)[0]
    half = refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x",
                                 lines=[{"line_id": line.id, "qty_milli": 1000}])
    assert (half.points_reversed, half.points_returned) == (7, 50)
    rest = refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x")
    assert (half.points_reversed + rest.points_reversed, half.points_returned + rest.points_returned) == (14, 100)
    assert Member.get_by_id(member.id).points == 200
    assert Member.get_by_id(member.id).total_spend == 0


PROMOTIONS = (
    {"code": "BOGO-CHIPS", "name": "薯片买一送一", "kind": "buy_x_get_y", "products": ["CHIPS"], "buy": 1, "get": 1},
    {"code": "DRINKS-10", "name": "饮料九折", "kind": "percent_off", "categories": ["drinks"], "percent_bp": 1000},
    {"code": "SPEND-20", "name": "满20减3", "kind": "spend_save", "tiers": [[2000, 300]]},
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.sampled_from([COLA, CHIPS, MILK, "BREAD"]), st.integers(1, 4),
                                st.one_of(st.none(), st.integers(1, 5000))), min_size=1, max_size=5),
       order_discount_bp=st.one_of(st.none(), st.integers(1, 9999)),
       card_bp=st.integers(0, 10_000), rnd=st.randoms(use_true_random=False))
def test_refunding_everything_in_any_pieces_returns_exactly_what_was_paid(till, cashier, manager, items,
                                                                         order_discount_bp, card_bp, rnd):
    from appliance.services import payments

    if sales.current_shift(till) is None:
        shifts.open_shift(till, cashier, 0)
        for fields in PROMOTIONS:
            promotions.upsert_promotion(till, fields)
    sale = sales.start_sale(till, cashier)
    for code, pieces, discount_bp in items:
        line = sales.add_item(till, cashier, sale.uuid, code=code)
        sales.change_line(till, cashier, sale.uuid, line.id, qty_milli=pieces * 1000)
        if discount_bp:
            sales.change_line(till, manager, sale.uuid, line.id, discount={"kind": "percent", "value": discount_bp})
    sale = sales.get_sale(till, sale.uuid)
    if order_discount_bp and sale.total > 1:
        sale = sales.set_order_discount(till, manager, sale.uuid, "amount", max(1, sale.total * order_discount_bp // 10_000))
    card = sale.total * card_bp // 10_000
    if card:
        sale, _ = payments.add_payment(till, cashier, sale.uuid, "card", card, reference="P")
    if sale.status != "completed":
        sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", sale.total - sale.paid + 100)
    assert sale.status == "completed"
    left = {line.id: line.qty_milli for line in sales.lines_of(sale)}
    payout = 0
    while any(left.values()):
        line_id = rnd.choice(sorted(i for i, q in left.items() if q))
        qty = rnd.randint(1, left[line_id] // 1000) * 1000
        left[line_id] -= qty
        payout += refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="pieces",
                                        lines=[{"line_id": line_id, "qty_milli": qty}]).payout
    assert payout == sale.paid
    assert sale.total == sum(line.net for line in sales.lines_of(sale))
    refunded = RefundLine.select().join(Refund).where(Refund.sale == sale.uuid)
    assert sum(r.amount for r in refunded) == sale.total
    assert sum(r.tax for r in refunded) == sale.tax_total
