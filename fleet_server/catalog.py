"""Head office's catalog and the numbered, signed change sets that carry it to the stores.

Every change (tax classes, categories, products and their barcodes and prices, price
schedules, a store's cashier accounts) is written to head office's tables and, in the
same transaction, issued to each store it concerns as the store's next change set:
`store.catalog_version` goes up by one and the signed payload is stored. The publisher
sends stored change sets in order; a store that missed some gets them again
(`replay`) or, if it is too far behind, a `snapshot` of its whole catalog.

Prices are chain-wide. A price with a future `effective_at` is a schedule: the tills
apply it at that time themselves, even offline; head office applies it to its own
tables at the same time (`apply_due_schedules`), without a change set.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import uuid
from datetime import datetime

from fleetpos import messages
from fleetpos.messages import Change, ChangeSet, MessageError

from .db import execute_many, is_postgres, write_transaction
from .errors import FleetError, NotFound
from .models import (Barcode, CatalogChange, Category, Member, MemberTier, PriceSchedule, Product, Promotion, Store,
                     StoreCashier, TaxClass, database_proxy, utcnow)

log = logging.getLogger(__name__)


class CatalogError(FleetError):
    code = "invalid_catalog_change"


def _parse(entity: str, data: dict, op: str = "upsert") -> Change:
    """Check a change as the tills will (the same parser), before it is issued."""
    try:
        return Change.parse({"entity": entity, "op": op, "data": data})
    except MessageError as exc:
        raise CatalogError(str(exc)) from None


def _items(payload, key: str) -> list[dict]:
    items = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise CatalogError(f"{key}: a non-empty list of objects is required")
    return items


# -- issuing change sets ----------------------------------------------------------------

def _store_ids(store_ids) -> list[str]:
    if store_ids is None:
        return [s.id for s in Store.select(Store.id).order_by(Store.id)]
    return list(store_ids)


def _lock_store(store_id: str) -> Store:
    query = Store.select().where(Store.id == store_id)
    if is_postgres(database_proxy.obj):
        query = query.for_update()
    store = query.first()
    if store is None:
        raise NotFound(f"no store {store_id}", code="store_not_found")
    return store


def _issue(key: messages.SigningKey, changes: list[Change], store_ids, now: datetime) -> dict[str, int]:
    """Inside the caller's transaction: the next change set of each store. Returns store -> version."""
    versions = {}
    issued_at = messages.utc_iso(now)
    for store_id in _store_ids(store_ids):
        store = _lock_store(store_id)
        version = store.catalog_version + 1
        Store.update(catalog_version=version).where(Store.id == store_id).execute()
        body = ChangeSet(store_id=store_id, version=version, issued_at=issued_at, changes=tuple(changes)).encode()
        CatalogChange.create(store=store_id, version=version, payload=key.seal(body).decode(),
                             change_count=len(changes), created_at=now)
        versions[store_id] = version
    return versions


# -- catalog changes (the admin API calls these) -------------------------------------------

def upsert_tax_classes(key, payload, *, now=None) -> dict[str, int]:
    now = now or utcnow()
    changes = [_parse("tax_class", {"code": i.get("code"), "name": i.get("name"), "rate_bp": i.get("rate_bp")})
               for i in _items(payload, "tax_classes")]
    with write_transaction(database_proxy.obj):
        for change in changes:
            d = change.data
            TaxClass.insert(code=d["code"], name=d["name"], rate_bp=d["rate_bp"]).on_conflict(
                conflict_target=[TaxClass.code], update={TaxClass.name: d["name"], TaxClass.rate_bp: d["rate_bp"]}
            ).execute()
        return _issue(key, changes, None, now)


def upsert_categories(key, payload, *, now=None) -> dict[str, int]:
    now = now or utcnow()
    changes = [_parse("category", {"code": i.get("code"), "name": i.get("name"), "parent": i.get("parent")})
               for i in _items(payload, "categories")]
    with write_transaction(database_proxy.obj):
        known = {c.code for c in Category.select(Category.code)}
        ordered = []
        pending = list(changes)
        while pending:  # parents before children, so each till can apply them in order
            ready = [c for c in pending if not c.data.get("parent") or c.data["parent"] in known]
            if not ready:
                raise CatalogError(f"unknown parent category {pending[0].data['parent']!r}")
            for change in ready:
                known.add(change.data["code"])
                ordered.append(change)
                pending.remove(change)
        for change in ordered:
            d = change.data
            Category.insert(code=d["code"], name=d["name"], parent=d.get("parent")).on_conflict(
                conflict_target=[Category.code], update={Category.name: d["name"], Category.parent: d.get("parent")}
            ).execute()
        return _issue(key, ordered, None, now)


PRODUCT_FIELDS = ("sku", "name", "unit", "price", "cost_price", "tax_class", "category", "scale_code", "active",
                  "barcodes")


def product_data(product: Product) -> dict:
    return {"sku": product.sku, "name": product.name, "unit": product.unit, "price": product.price,
            "cost_price": product.cost_price, "tax_class": product.tax_class, "category": product.category,
            "scale_code": product.scale_code, "active": product.active, "barcodes": json.loads(product.barcodes)}


def _check_references(products: list[dict]) -> None:
    tax_classes = {t.code for t in TaxClass.select(TaxClass.code)}
    categories = {c.code for c in Category.select(Category.code)}
    skus = [p["sku"] for p in products]
    if len(set(skus)) != len(skus):
        raise CatalogError("a SKU appears twice in one request")
    seen_codes: dict[str, str] = {}
    for p in products:
        if p["tax_class"] not in tax_classes:
            raise CatalogError(f"product {p['sku']}: unknown tax class {p['tax_class']!r}")
        if p.get("category") and p["category"] not in categories:
            raise CatalogError(f"product {p['sku']}: unknown category {p['category']!r}")
        for code in p["barcodes"]:
            if seen_codes.setdefault(code, p["sku"]) != p["sku"]:
                raise CatalogError(f"barcode {code} is given to both {seen_codes[code]} and {p['sku']}")


def upsert_products(key, payload, *, now=None) -> dict[str, int]:
    """Create or replace products (by SKU) with all their fields and barcodes. A barcode
    or scale code moves to the product that now names it."""
    now = now or utcnow()
    items = _items(payload, "products")
    datas = []
    for item in items:
        data = {"unit": "each", "cost_price": None, "category": None, "scale_code": None, "active": True,
                "barcodes": []}
        data.update({k: item[k] for k in PRODUCT_FIELDS if k in item})
        if data["scale_code"] is not None:
            data["scale_code"] = str(data["scale_code"]).lstrip("0") or "0"
        datas.append(data)
    changes = [_parse("product", d) for d in datas]
    with write_transaction(database_proxy.obj):
        _check_references(datas)
        apply_due_schedules(now)
        _write_products(datas, now)
        return _issue(key, changes, None, now)


def _write_products(datas: list[dict], now: datetime) -> None:
    skus = {d["sku"] for d in datas}
    codes = [code for d in datas for code in d["barcodes"]]
    scale_codes = [d["scale_code"] for d in datas if d["scale_code"]]
    # a barcode or scale code named by these products leaves the product that had it
    # (the tills do the same when they apply the change set)
    losing: dict[str, set[str]] = {}
    for chunk in _chunks(codes):
        for row in Barcode.select().where(Barcode.code.in_(chunk)):
            if row.sku not in skus:
                losing.setdefault(row.sku, set()).add(row.code)
    for sku, lost in losing.items():
        other = Product.get_by_id(sku)
        kept = [c for c in json.loads(other.barcodes) if c not in lost]
        Product.update(barcodes=json.dumps(kept), updated_at=now).where(Product.sku == sku).execute()
    for chunk in _chunks(scale_codes):
        holders = [p.sku for p in Product.select(Product.sku).where(Product.scale_code.in_(chunk))
                   if p.sku not in skus]
        if holders:
            Product.update(scale_code=None, updated_at=now).where(Product.sku.in_(holders)).execute()
    for chunk in _chunks(sorted(skus)):
        Barcode.delete().where(Barcode.sku.in_(chunk)).execute()
    for chunk in _chunks(codes):
        Barcode.delete().where(Barcode.code.in_(chunk)).execute()
    rows = [{**{k: d[k] for k in PRODUCT_FIELDS if k != "barcodes"}, "barcodes": json.dumps(d["barcodes"]),
             "updated_at": now} for d in datas]
    update = [getattr(Product, k) for k in PRODUCT_FIELDS if k != "sku"] + [Product.updated_at]
    for chunk in _chunks(rows, 500):
        (Product.insert_many(chunk)
         .on_conflict(conflict_target=[Product.sku], update={field: _excluded(field) for field in update}).execute())
    barcode_rows = [{"code": code, "sku": d["sku"]} for d in datas for code in d["barcodes"]]
    for chunk in _chunks(barcode_rows, 1000):
        Barcode.insert_many(chunk).execute()


def _excluded(field):
    from peewee import EXCLUDED

    return getattr(EXCLUDED, field.column_name)


def _chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def set_prices(key, payload, *, now=None) -> dict[str, int]:
    """Price changes: now, or (with `effective_at` in the future) scheduled. One change set
    per store for the whole request."""
    now = now or utcnow()
    items = _items(payload, "prices")
    with write_transaction(database_proxy.obj):
        apply_due_schedules(now)
        products = {p.sku: p for chunk in _chunks([i.get("sku") for i in items])
                    for p in Product.select().where(Product.sku.in_(chunk))}
        changes, immediate = [], {}
        for item in items:
            sku = item.get("sku")
            if sku not in products:
                raise CatalogError(f"no product {sku!r}")
            effective = item.get("effective_at")
            when = messages.parse_utc(effective, "effective_at") if effective is not None else None
            if when is not None and when > now:
                data = {"id": item.get("id") or str(uuid.uuid4()), "sku": sku, "price": item.get("price"),
                        "effective_at": messages.utc_iso(when)}
                change = _parse("price_schedule", data)
                PriceSchedule.create(id=data["id"], sku=sku, price=data["price"], effective_at=when, created_at=now)
                changes.append(change)
            else:
                data = {**product_data(products[sku]), "price": item.get("price")}
                immediate[sku] = _parse("product", data)
        execute_many(database_proxy.obj, "UPDATE product SET price = {p}, updated_at = {p} WHERE sku = {p}",
                     [(change.data["price"], now, sku) for sku, change in immediate.items()])
        return _issue(key, [*immediate.values(), *changes], None, now)


def cancel_price_schedule(key, schedule_id: str, *, now=None) -> dict[str, int]:
    now = now or utcnow()
    with write_transaction(database_proxy.obj):
        apply_due_schedules(now)
        schedule = PriceSchedule.get_or_none(PriceSchedule.id == schedule_id)
        if schedule is None:
            raise NotFound(f"no price schedule {schedule_id}", code="schedule_not_found")
        if schedule.state != "pending":
            raise CatalogError(f"price schedule {schedule_id} is already {schedule.state}", code="schedule_not_pending")
        PriceSchedule.update(state="cancelled").where(PriceSchedule.id == schedule_id).execute()
        return _issue(key, [_parse("price_schedule", {"id": schedule_id}, op="cancel")], None, now)


def apply_due_schedules(now: datetime) -> int:
    """Head office's own prices follow the schedules at their time (the tills do the same)."""
    due = list(PriceSchedule.select().where((PriceSchedule.state == "pending") & (PriceSchedule.effective_at <= now))
               .order_by(PriceSchedule.effective_at, PriceSchedule.created_at))
    for schedule in due:
        Product.update(price=schedule.price, updated_at=schedule.effective_at).where(
            Product.sku == schedule.sku).execute()
        PriceSchedule.update(state="applied").where(PriceSchedule.id == schedule.id).execute()
    return len(due)


def upsert_member_tiers(key, payload, *, now=None) -> dict[str, int]:
    now = now or utcnow()
    changes = [_parse("member_tier", {k: i.get(k) for k in ("code", "name", "rank", "discount_bp", "min_spend")})
               for i in _items(payload, "member_tiers")]
    with write_transaction(database_proxy.obj):
        for change in changes:
            d = change.data
            MemberTier.insert(**d).on_conflict(conflict_target=[MemberTier.code],
                                               update={getattr(MemberTier, k): d[k] for k in d if k != "code"}).execute()
        return _issue(key, changes, None, now)


def upsert_members(key, payload, *, now=None) -> dict[str, int]:
    """Members as head office keeps them (a new one gets a UUID here)."""
    now = now or utcnow()
    items = _items(payload, "members")
    datas = [{"uuid": i.get("uuid") or str(uuid.uuid4()), "card_no": i.get("card_no"), "phone": i.get("phone"),
              "name": i.get("name"), "tier": i.get("tier", "normal"), "active": i.get("active", True)} for i in items]
    changes = [_parse("member", d) for d in datas]
    with write_transaction(database_proxy.obj):
        tiers = {t.code for t in MemberTier.select(MemberTier.code)}
        for d in datas:
            if d["tier"] not in tiers:
                raise CatalogError(f"member {d['card_no']}: unknown tier {d['tier']!r} (send member_tiers first)")
            Member.insert(**d).on_conflict(conflict_target=[Member.uuid],
                                           update={getattr(Member, k): d[k] for k in d if k != "uuid"}).execute()
        return _issue(key, changes, None, now)


PROMOTION_FIELDS = ("code", "name", "kind", "params", "member_only", "starts_at", "ends_at", "days_of_week", "stores",
                    "combinable", "priority", "active")


def upsert_promotions(key, payload, *, now=None) -> dict[str, int]:
    """Offers, sent to every store (a promotion's `stores` limits where it applies).
    `params` names products by SKU and categories by code."""
    now = now or utcnow()
    datas = []
    for item in _items(payload, "promotions"):
        data = {"member_only": False, "starts_at": None, "ends_at": None, "days_of_week": [], "stores": [],
                "combinable": True, "priority": 100, "active": True}
        data.update({k: item[k] for k in PROMOTION_FIELDS if k in item})
        datas.append(data)
    changes = [_parse("promotion", d) for d in datas]
    with write_transaction(database_proxy.obj):
        for d in datas:
            missing = set(d["params"].get("products", [])) - {
                p.sku for p in Product.select(Product.sku).where(Product.sku.in_(d["params"].get("products", [])))}
            if missing:
                raise CatalogError(f"promotion {d['code']}: unknown products {sorted(missing)}")
            Promotion.insert(code=d["code"], data=json.dumps(d, ensure_ascii=False)).on_conflict(
                conflict_target=[Promotion.code], update={Promotion.data: json.dumps(d, ensure_ascii=False)}).execute()
        return _issue(key, changes, None, now)


def hash_pin(pin: str, cost: int) -> str:
    """A cashier PIN hash in the tills' format: scrypt$<cost>$<salt>$<digest> (docs/protocol.md)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2 ** cost, r=8, p=1, maxmem=2 ** 27, dklen=32)
    return f"scrypt${cost}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def upsert_cashiers(key, store_id: str, payload, *, pin_hash_cost: int = 14, now=None) -> dict[str, int]:
    """A store's cashier accounts, sent to that store only. A new account needs `pin`
    (4-8 digits, hashed here; the PIN itself never leaves head office)."""
    now = now or utcnow()
    items = _items(payload, "cashiers")
    with write_transaction(database_proxy.obj):
        if Store.get_or_none(Store.id == store_id) is None:
            raise NotFound(f"no store {store_id}", code="store_not_found")
        changes = []
        for item in items:
            existing = StoreCashier.get_or_none((StoreCashier.store == store_id) & (StoreCashier.code == item.get("code")))
            pin = item.get("pin")
            if pin is not None:
                if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
                    raise CatalogError("a PIN is 4 to 8 digits", code="invalid_pin")
                pin_hash = hash_pin(pin, pin_hash_cost)
            elif existing is not None:
                pin_hash = existing.pin_hash
            else:
                raise CatalogError(f"cashier {item.get('code')}: a new account needs a PIN", code="invalid_pin")
            data = {"code": item.get("code"), "name": item.get("name"), "role": item.get("role", "cashier"),
                    "pin_hash": pin_hash, "locale": item.get("locale"), "active": item.get("active", True)}
            change = _parse("cashier", data)
            if existing is None:
                StoreCashier.create(store=store_id, **data)
            else:
                StoreCashier.update(**data).where(StoreCashier.id == existing.id).execute()
            changes.append(change)
        return _issue(key, changes, [store_id], now)


# -- what a store that is behind gets ------------------------------------------------------

def snapshot(key, store_id: str, *, now=None) -> tuple[int, bytes]:
    """The store's whole catalog as of its current version, signed and compressed."""
    now = now or utcnow()
    with write_transaction(database_proxy.obj):
        store = _lock_store(store_id)
        apply_due_schedules(now)
        changes = [Change("tax_class", "upsert", {"code": t.code, "name": t.name, "rate_bp": t.rate_bp})
                   for t in TaxClass.select().order_by(TaxClass.code)]
        categories = {c.code: c for c in Category.select()}
        depth = {}

        def level(code, seen=()):
            if code not in depth:
                parent = categories[code].parent
                depth[code] = 0 if not parent or parent not in categories or parent in seen else \
                    level(parent, (*seen, code)) + 1
            return depth[code]

        for code in sorted(categories, key=lambda c: (level(c), c)):
            c = categories[code]
            changes.append(Change("category", "upsert", {"code": c.code, "name": c.name, "parent": c.parent}))
        cursor = database_proxy.obj.execute_sql(
            "SELECT sku, name, unit, price, cost_price, tax_class, category, scale_code, active, barcodes "
            "FROM product ORDER BY sku")
        for sku, name, unit, price, cost, tax, category, scale, active, barcodes in cursor:
            changes.append(Change("product", "upsert", {
                "sku": sku, "name": name, "unit": unit, "price": price, "cost_price": cost, "tax_class": tax,
                "category": category, "scale_code": scale, "active": bool(active), "barcodes": json.loads(barcodes)}))
        for s in PriceSchedule.select().where(PriceSchedule.state == "pending").order_by(PriceSchedule.effective_at):
            changes.append(Change("price_schedule", "upsert", {"id": s.id, "sku": s.sku, "price": s.price,
                                                               "effective_at": messages.utc_iso(s.effective_at)}))
        for t in MemberTier.select().order_by(MemberTier.rank):
            changes.append(Change("member_tier", "upsert", {"code": t.code, "name": t.name, "rank": t.rank,
                                                            "discount_bp": t.discount_bp, "min_spend": t.min_spend}))
        for m in Member.select().order_by(Member.card_no):
            changes.append(Change("member", "upsert", {"uuid": m.uuid, "card_no": m.card_no, "phone": m.phone,
                                                       "name": m.name, "tier": m.tier, "active": m.active}))
        for p in Promotion.select().order_by(Promotion.code):
            changes.append(Change("promotion", "upsert", json.loads(p.data)))
        for c in StoreCashier.select().where(StoreCashier.store == store_id).order_by(StoreCashier.code):
            changes.append(Change("cashier", "upsert", {"code": c.code, "name": c.name, "role": c.role,
                                                        "pin_hash": c.pin_hash, "locale": c.locale,
                                                        "active": c.active}))
        version = store.catalog_version
    body = ChangeSet(store_id=store_id, version=version, issued_at=messages.utc_iso(now), changes=tuple(changes),
                     type="snapshot").encode()
    return version, key.seal(body, compress=True)


def replay(store_id: str, after_version: int, limit: int) -> list[bytes] | None:
    """The stored change sets after `after_version`, or None when the store needs a
    snapshot instead (nothing synced yet, too far behind, or history missing)."""
    store = Store.get_or_none(Store.id == store_id)
    if store is None:
        raise NotFound(f"no store {store_id}", code="store_not_found")
    if after_version < 1 or store.catalog_version - after_version > limit:
        return None
    rows = list(CatalogChange.select(CatalogChange.version, CatalogChange.payload)
                .where((CatalogChange.store == store_id) & (CatalogChange.version > after_version))
                .order_by(CatalogChange.version))
    if [r.version for r in rows] != list(range(after_version + 1, store.catalog_version + 1)):
        return None
    return [r.payload.encode() for r in rows]


def head_payload(key, store: Store, now=None) -> bytes:
    head = messages.CatalogHead(store_id=store.id, version=store.catalog_version,
                                issued_at=messages.utc_iso(now or utcnow()))
    return key.seal(head.encode())


def catalog_content(store_id: str) -> dict:
    """What a store's till should hold (tests and the console compare against it)."""
    apply_due_schedules(utcnow())
    return {
        "version": Store.get_by_id(store_id).catalog_version,
        "products": {p.sku: {"name": p.name, "price": p.price, "active": p.active, "tax_class": p.tax_class,
                             "barcodes": sorted(json.loads(p.barcodes))} for p in Product.select()},
    }
