"""Members: card number and phone, tiers with a discount and automatic upgrade by
spend, points earned on what is paid, redeemed as a discount, reversed on refund.

A member's points balance is the sum of their points moves (a trigger keeps
`member.points` equal to it, and a CHECK keeps it from going below zero).
"""

from __future__ import annotations

import re

from ..context import TillContext
from ..errors import Conflict, NotFound, ValidationError
from ..models import Member, MemberTier, Sale
from ..money import CURRENCY_EXPONENTS
from .auth import Actor, authorize
from .records import audit, db_time, enqueue, iso, new_uuid
from .sales import _editable, get_sale, recompute


def member_view(member: Member) -> dict:
    return {"id": member.id, "uuid": member.uuid, "card_no": member.card_no, "phone": member.phone,
            "name": member.name, "tier": member.tier_id, "points": member.points,
            "total_spend": member.total_spend, "active": member.active}


def _record(member: Member) -> dict:
    return {"card_no": member.card_no, "phone": member.phone, "name": member.name, "tier": member.tier_id,
            "created_at": iso(member.created_at)}


def create_member(ctx: TillContext, actor: Actor, *, card_no: str, name: str, phone: str | None = None) -> Member:
    """Sign up a customer at the till (synced to head office later)."""
    authorize(ctx, actor, "member.manage")
    if not isinstance(card_no, str) or not re.fullmatch(r"[0-9A-Za-z]{4,32}", card_no):
        raise ValidationError("a member card number is 4-32 letters or digits", code="invalid_card_no")
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise ValidationError("a member needs a name of 1-64 characters", code="invalid_name")
    if phone is not None and (not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9]{5,20}", phone)):
        raise ValidationError("a phone number is 5-20 digits, optionally with a leading +", code="invalid_phone")
    lowest = MemberTier.select().order_by(MemberTier.rank).first()
    with ctx.transaction():
        if Member.select().where(Member.card_no == card_no).exists():
            raise Conflict(f"card {card_no} already belongs to a member", code="member_exists")
        if phone and Member.select().where(Member.phone == phone).exists():
            raise Conflict(f"phone {phone} already belongs to a member", code="member_exists")
        now = ctx.clock()
        member = Member.create(uuid=new_uuid(), card_no=card_no, phone=phone, name=name.strip(), tier=lowest.code,
                               created_at=now, updated_at=now)
        audit(ctx, "member.create", cashier=actor.cashier, subject=member.uuid, card_no=card_no)
        enqueue(ctx, "member", member.uuid, _record(member))
    return member


def find_member(query: str) -> Member:
    """A member by card number or phone number."""
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("scan the member card or type the phone number", code="invalid")
    query = query.strip()
    member = Member.get_or_none(((Member.card_no == query) | (Member.phone == query)) & (Member.active == True))  # noqa: E712
    if member is None:
        raise NotFound(f"no member with card or phone {query}", code="member_not_found")
    return member


def attach(ctx: TillContext, actor: Actor, sale_uuid: str, query: str | None) -> Sale:
    """Attach a member to the sale in progress (or detach with None): tier discount and
    member-only promotions then apply."""
    authorize(ctx, actor, "sale.sell")
    member = find_member(query) if query is not None else None
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        sale.member = member.id if member else None
        if member is None:
            sale.points_redeemed = 0
        ctx.sql("UPDATE sale SET member_id = ?, points_redeemed = ? WHERE uuid = ?",
                (sale.member_id, sale.points_redeemed, sale.uuid))
        recompute(ctx, sale)
    return sale


def redeem(ctx: TillContext, actor: Actor, sale_uuid: str, points: int) -> Sale:
    """Use points as a discount on the sale in progress (0 cancels)."""
    authorize(ctx, actor, "member.redeem")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise ValidationError("points must be a whole number >= 0", code="invalid_points")
    with ctx.transaction():
        sale = _editable(ctx, sale_uuid)
        if sale.member_id is None:
            raise Conflict("attach a member to the sale before redeeming points", code="no_member")
        held = Member.get_by_id(sale.member_id).points
        if points > held:
            raise ValidationError(f"the member has {held} points; cannot redeem {points}",
                                  code="not_enough_points", points=held)
        value = ctx.config.members.point_value
        before_points = sale.points_discount
        room = sale.total + before_points  # what the points could pay for at most
        if points * value > room:
            raise ValidationError(f"{points} points are worth more than the {room} left to pay; "
                                  f"redeem at most {room // value}", code="points_exceed_amount")
        sale.points_redeemed = points
        ctx.sql("UPDATE sale SET points_redeemed = ? WHERE uuid = ?", (points, sale.uuid))
        recompute(ctx, sale)
    return sale


def points_earned_for(ctx: TillContext, amount: int) -> int:
    """Points for an amount paid (whole currency units x points_per_unit, rounded down)."""
    unit = 10 ** CURRENCY_EXPONENTS[ctx.config.store.currency]
    return max(0, amount) * ctx.config.members.points_per_unit // unit


def add_points(ctx: TillContext, member_id: int, delta: int, kind: str, reference: str) -> None:
    """A points move in the caller's transaction (the trigger updates the balance)."""
    if delta:
        ctx.sql("INSERT INTO points_move (uuid, member_id, delta, kind, reference, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (new_uuid(), member_id, delta, kind, reference, db_time(ctx.clock())))


def settle_sale(ctx: TillContext, sale: Sale) -> dict:
    """At completion (inside its transaction): redeem, earn, count the spend, upgrade the
    tier. Returns what the sale record says about the member."""
    member = Member.get_by_id(sale.member_id)
    add_points(ctx, member.id, -sale.points_redeemed, "redeem", sale.uuid)
    earned = points_earned_for(ctx, sale.total)
    add_points(ctx, member.id, earned, "earn", sale.uuid)
    spend = member.total_spend + sale.total
    tier = (MemberTier.select().where(MemberTier.min_spend <= spend).order_by(MemberTier.rank.desc()).first())
    current = MemberTier.get_by_id(member.tier_id)
    new_tier = tier.code if tier and tier.rank > current.rank else current.code
    ctx.sql("UPDATE member SET total_spend = ?, tier_id = ?, updated_at = ? WHERE id = ?",
            (spend, new_tier, db_time(ctx.clock()), member.id))
    if new_tier != current.code:
        audit(ctx, "member.tier_up", subject=member.uuid, before=current.code, after=new_tier, total_spend=spend)
    sale.points_earned = earned
    return {"uuid": member.uuid, "card_no": member.card_no, "points_earned": earned,
            "points_redeemed": sale.points_redeemed, "tier": new_tier}


def history(member: Member, limit: int = 100) -> list[dict]:
    rows = member._meta.database.execute_sql(
        "SELECT uuid, delta, kind, reference, created_at FROM points_move WHERE member_id = ? ORDER BY id DESC LIMIT ?",
        (member.id, limit)).fetchall()
    return [{"uuid": r[0], "delta": r[1], "kind": r[2], "reference": r[3], "at": r[4].replace(" ", "T") + "Z"}
            for r in rows]


def tier_discount_bp(ctx: TillContext, member_id: int | None) -> int:
    if member_id is None:
        return 0
    row = ctx.sql("SELECT t.discount_bp FROM member m JOIN member_tier t ON t.code = m.tier_id WHERE m.id = ?",
                  (member_id,)).fetchone()
    return row[0] if row else 0
