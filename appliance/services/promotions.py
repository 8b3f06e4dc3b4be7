"""Promotions as the till stores them, and the set that applies to a cart now.

The rules live in `appliance.promotions` (pure); this module keeps promotions in the
database (from head office, or entered at the till) and hands the cart the active ones.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .. import promotions as engine
from ..context import TillContext
from ..errors import ValidationError
from ..models import Category, Product, Promotion

_CACHE_KEY = "promotions"


def _ids(model, column, codes, what: str) -> frozenset[int]:
    if not isinstance(codes, list):
        raise ValidationError(f"{what} must be a list", code="invalid_promotion")
    found = {code: pk for code, pk in model.select(column, model.id).where(column.in_(codes)).tuples()} if codes else {}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationError(f"unknown {what}: {', '.join(map(str, missing[:5]))}", code="invalid_promotion")
    return frozenset(found.values())


def _when(value, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{what} must be a local date and time like 2026-11-23T08:00", code="invalid_promotion") \
            from None


def upsert_promotion(ctx: TillContext, fields: dict) -> Promotion:
    """Create or replace a promotion by code. Products by SKU and categories by code."""
    if not isinstance(fields, dict):
        raise ValidationError("a promotion must be an object", code="invalid_promotion")
    params = {key: fields[key] for key in ("percent_bp", "amount", "buy", "get", "get_off_bp", "n", "price")
              if key in fields}
    if "tiers" in fields:
        params["tiers"] = [list(tier) for tier in fields["tiers"]]
    products = _ids(Product, Product.sku, fields.get("products", []), "products")
    categories = _ids(Category, Category.code, fields.get("categories", []), "categories")
    try:
        candidate = engine.Promotion(
            code=fields.get("code"), name=fields.get("name"), kind=fields.get("kind"), products=products,
            categories=categories, member_only=bool(fields.get("member_only", False)),
            starts_at=_when(fields.get("starts_at"), "starts_at"), ends_at=_when(fields.get("ends_at"), "ends_at"),
            days_of_week=frozenset(fields.get("days_of_week", [])), stores=frozenset(fields.get("stores", [])),
            combinable=bool(fields.get("combinable", True)), priority=fields.get("priority", 100),
            **{k: (tuple(tuple(t) for t in v) if k == "tiers" else v) for k, v in params.items()})
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"promotion {fields.get('code')!r}: {exc}", code="invalid_promotion") from None
    row = {"name": candidate.name, "kind": candidate.kind,
           "params": {**params, "products": sorted(products), "categories": sorted(categories)},
           "member_only": candidate.member_only, "starts_at": candidate.starts_at, "ends_at": candidate.ends_at,
           "days_of_week": "".join(str(d) for d in sorted(candidate.days_of_week)),
           "stores": sorted(candidate.stores), "combinable": candidate.combinable, "priority": candidate.priority,
           "active": bool(fields.get("active", True)), "updated_at": ctx.clock()}
    with ctx.transaction():
        Promotion.insert(code=candidate.code, **row).on_conflict(
            conflict_target=[Promotion.code], update=row).execute()
    return Promotion.get_by_id(candidate.code)


def _load(ctx: TillContext) -> list[engine.Promotion]:
    result = []
    for row in Promotion.select().where(Promotion.active == True):  # noqa: E712
        params = dict(row.params)
        products = frozenset(params.pop("products", []))
        categories = frozenset(params.pop("categories", []))
        if "tiers" in params:
            params["tiers"] = tuple(tuple(t) for t in params["tiers"])
        result.append(engine.Promotion(
            code=row.code, name=row.name, kind=row.kind, products=products, categories=categories,
            member_only=row.member_only, starts_at=row.starts_at, ends_at=row.ends_at,
            days_of_week=frozenset(int(d) for d in row.days_of_week), stores=frozenset(row.stores),
            combinable=row.combinable, priority=row.priority, **params))
    return result


def active_promotions(ctx: TillContext, *, has_member: bool) -> list[engine.Promotion]:
    """The promotions that apply now in this store (reloaded only when they change)."""
    token = tuple(ctx.sql("SELECT COUNT(*), MAX(updated_at) FROM promotion").fetchone())
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is None or cached[0] != token:
        cached = ctx.cache[_CACHE_KEY] = (token, _load(ctx))
    zone = ZoneInfo(ctx.config.store.timezone)
    now_local = ctx.clock().replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)
    return engine.active(cached[1], now_local=now_local, store_id=ctx.store_id, has_member=has_member)


def promotion_view(row: Promotion) -> dict:
    return {"code": row.code, "name": row.name, "kind": row.kind, "params": row.params,
            "member_only": row.member_only, "starts_at": row.starts_at.isoformat() if row.starts_at else None,
            "ends_at": row.ends_at.isoformat() if row.ends_at else None,
            "days_of_week": [int(d) for d in row.days_of_week], "stores": row.stores,
            "combinable": row.combinable, "priority": row.priority, "active": row.active}

