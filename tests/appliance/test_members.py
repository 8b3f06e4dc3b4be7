import pytest

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.models import Member, Outbox, PointsMove
from appliance.services import members, payments, sales

from .conftest import CHIPS, COLA, sell


@pytest.fixture
def member(till, cashier):
    return members.create_member(till, cashier, card_no="M0001", name="张三", phone="13800138000")


def test_member_created_at_the_till_is_queued_for_head_office(till, member):
    row = Outbox.get((Outbox.kind == "member") & (Outbox.record_uuid == member.uuid))
    assert row.payload["card_no"] == "M0001" and row.payload["tier"] == "normal"
    assert members.find_member("13800138000").id == member.id
    assert members.find_member("M0001").id == member.id
    with pytest.raises(NotFound):
        members.find_member("nobody")


@pytest.mark.parametrize("fields, code", [
    (dict(card_no="M1", name="x"), "invalid_card_no"),
    (dict(card_no="M0002", name=""), "invalid_name"),
    (dict(card_no="M0002", name="x", phone="call me"), "invalid_phone"),
])
def test_bad_member_fields(till, cashier, fields, code):
    with pytest.raises(ValidationError) as info:
        members.create_member(till, cashier, **fields)
    assert info.value.code == code


def test_duplicate_card_or_phone(till, cashier, member):
    with pytest.raises(Conflict):
        members.create_member(till, cashier, card_no="M0001", name="again")
    with pytest.raises(Conflict):
        members.create_member(till, cashier, card_no="M0002", name="again", phone="13800138000")


def test_points_earned_per_unit_paid(till, cashier, shift, member):
    sale = sell(till, cashier, [CHIPS, CHIPS, COLA], member="M0001")  # 18.00
    assert sale.points_earned == 18
    assert Member.get_by_id(member.id).points == 18
    assert Member.get_by_id(member.id).total_spend == 1800
    record = Outbox.get((Outbox.kind == "sale") & (Outbox.record_uuid == sale.uuid)).payload
    assert record["member"]["points_earned"] == 18 and record["member"]["card_no"] == "M0001"


def test_points_redeemed_as_a_discount(till, cashier, shift, member):
    members.add_points(till, member.id, 500, "adjust", "test")  # worth 5.00
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=CHIPS)
    members.attach(till, cashier, sale.uuid, "M0001")
    with pytest.raises(ValidationError) as info:
        members.redeem(till, cashier, sale.uuid, 501)
    assert info.value.code == "not_enough_points"
    sale = members.redeem(till, cashier, sale.uuid, 300)
    assert sale.total == 450 and sale.points_discount == 300
    sale, _ = payments.add_payment(till, cashier, sale.uuid, "cash", 450)
    assert sale.status == "completed"
    member = Member.get_by_id(member.id)
    assert member.points == 500 - 300 + 4  # 4.50 paid earns 4 points
    kinds = [m.kind for m in PointsMove.select().where(PointsMove.member == member.id).order_by(PointsMove.id)]
    assert kinds == ["adjust", "redeem", "earn"]


def test_redeeming_more_than_the_sale_is_refused(till, cashier, shift, member):
    members.add_points(till, member.id, 100_000, "adjust", "test")
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=COLA)
    members.attach(till, cashier, sale.uuid, "M0001")
    with pytest.raises(ValidationError) as info:
        members.redeem(till, cashier, sale.uuid, 301)
    assert info.value.code == "points_exceed_amount"
    members.redeem(till, cashier, sale.uuid, 300)
    assert sales.get_sale(till, sale.uuid).total == 0


def test_points_shrink_with_the_cart(till, cashier, shift, member):
    members.add_points(till, member.id, 1000, "adjust", "test")
    sale = sales.start_sale(till, cashier)
    line = sales.add_item(till, cashier, sale.uuid, code=CHIPS)
    sales.add_item(till, cashier, sale.uuid, code=COLA)
    members.attach(till, cashier, sale.uuid, "M0001")
    members.redeem(till, cashier, sale.uuid, 1000)
    sales.remove_line(till, cashier, sale.uuid, line.id)
    sale = sales.get_sale(till, sale.uuid)
    assert (sale.points_redeemed, sale.points_discount, sale.total) == (300, 300, 0)


def test_tier_upgrade_by_spend_and_tier_discount(till, cashier, shift, member):
    from appliance.models import MemberTier

    MemberTier.update(min_spend=2000).where(MemberTier.code == "silver").execute()
    sell(till, cashier, [CHIPS, CHIPS, CHIPS], member="M0001")  # 22.50 -> silver
    assert Member.get_by_id(member.id).tier_id == "silver"
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=CHIPS)
    sale = members.attach(till, cashier, sale.uuid, "M0001")
    assert sale.member_discount == 15 and sale.total == 735  # silver: 2 % off 7.50
    sale = members.attach(till, cashier, sale.uuid, None)
    assert sale.member_discount == 0 and sale.total == 750


def test_history_lists_points_moves(till, cashier, shift, member):
    sell(till, cashier, [CHIPS], member="M0001")
    assert [h["kind"] for h in members.history(member)] == ["earn"]
