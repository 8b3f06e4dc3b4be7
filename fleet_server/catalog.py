"""Head office's catalog and the numbered, signed change sets that carry it to the stores.

Every change (tax classes, categories, products and their barcodes and prices, price
schedules, a store's cashier accounts) is written to head office's tables and, in the
same transaction, issued to each store it concerns as the store's next change set:
`store.catalog_version` goes up by one and the signed payload is stored. The publisher
sends stored change sets in order; a store that missed some gets them again
(`replay`) or, if it is too far behind, a `snapshot` of its whole catalog.

A product's price is the chain price (`product.price`) unless its store group or the
store itself has its own (`PriceOverride`; the store's wins over the group's). Each store
receives the product with its own price, and a price change is issued only to the
stores whose price it changes. A price with a future `effective_at` is a schedule: the
tills apply it at that time themselves, even offline; head office applies it to its own
tables at the same time (`apply_due_schedules`), without a change set. Schedules are
chain-wide and are not sent to a store that has its own price for the product (nor to
one in a group with a group price); when such a price is removed the store gets them.
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
from .stores import get_store
from .models import (Barcode, CatalogChange, Category, Member, MemberTier, PriceOverride, PriceSchedule, Product,
                     Promotion, Store, StoreCashier, StorePriceGroup, TaxClass, database_proxy, utcnow)

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
    return _issue_each(key, {store_id: changes for store_id in _store_ids(store_ids)}, now)


def _issue_each(key: messages.SigningKey, changes_by_store: dict[str, list[Change]], now: datetime) -> dict[str, int]:
    """Inside the caller's transaction: each store's own next change set (a store with no
    changes gets none). Returns store -> version."""
    versions = {}
    issued_at = messages.utc_iso(now)
    for store_id in sorted(changes_by_store):
        changes = changes_by_store[store_id]
        if not changes:
            continue
        store = _lock_store(store_id)
        # the group this store's prices are issued for, from its first change set on
        StorePriceGroup.insert(store_id=store_id, group=store.group or "").on_conflict_ignore().execute()
        version = store.catalog_version + 1
        Store.update(catalog_version=version).where(Store.id == store_id).execute()
        body = ChangeSet(store_id=store_id, version=version, issued_at=issued_at, changes=tuple(changes)).encode()
        CatalogChange.create(store=store_id, version=version, payload=key.seal(body).decode(),
                             change_count=len(changes), created_at=now)
        versions[store_id] = version
    return versions


# -- prices per store group and store ---------------------------------------------------------

PRICE_SCOPES = ("chain", "group", "store")


class Prices:
    """Chain prices and overrides of some products, and each store's group: what price a
    store sells a product at."""

    def __init__(self, skus, stores: list[Store] | None = None):
        self.stores = {s.id: s.group or "" for s in (stores if stores is not None else Store.select())}
        self.base: dict[str, int] = {}
        self.overrides: dict[str, dict[tuple[str, str], int]] = {}
        skus = sorted(set(skus))
        for chunk in _chunks(skus):
            for sku, price in Product.select(Product.sku, Product.price).where(Product.sku.in_(chunk)).tuples():
                self.base[sku] = price
            for o in PriceOverride.select().where(PriceOverride.sku.in_(chunk)):
                self.overrides.setdefault(o.sku, {})[(o.scope, o.scope_id)] = o.price

    def copy(self) -> "Prices":
        other = object.__new__(Prices)
        other.stores = self.stores
        other.base = dict(self.base)
        other.overrides = {sku: dict(o) for sku, o in self.overrides.items()}
        return other

    def source(self, store_id: str, sku: str) -> str:
        """Where the store's price of `sku` comes from: store, group or chain."""
        own = self.overrides.get(sku, {})
        if ("store", store_id) in own:
            return "store"
        group = self.stores.get(store_id, "")
        if group and ("group", group) in own:
            return "group"
        return "chain"

    def price(self, store_id: str, sku: str, base: int | None = None) -> int:
        own = self.overrides.get(sku, {})
        source = self.source(store_id, sku)
        if source == "store":
            return own[("store", store_id)]
        if source == "group":
            return own[("group", self.stores[store_id])]
        return self.base[sku] if base is None else base

    def stores_in(self, scope: str, scope_id: str | None) -> list[str]:
        if scope == "chain":
            return sorted(self.stores)
        if scope == "group":
            return sorted(s for s, g in self.stores.items() if g == scope_id)
        return [scope_id] if scope_id in self.stores else []


def price_scope(item: dict) -> tuple[str, str | None]:
    """A price item's scope: {"group": "north"}, {"store": "s1"} or neither (the chain)."""
    group, store = item.get("group"), item.get("store")
    if group not in (None, "") and store not in (None, ""):
        raise CatalogError(f"price of {item.get('sku')!r}: give a group or a store, not both", code="invalid_price")
    for scope, value in (("group", group), ("store", store)):
        if value not in (None, ""):
            if not isinstance(value, str) or len(value) > 64:
                raise CatalogError(f"price of {item.get('sku')!r}: {scope} must be a name of 1-64 characters",
                                   code="invalid_price")
            return scope, value
    return "chain", None


def _product_changes(datas: list[dict], prices: Prices) -> dict[str, list[Change]]:
    """Each store's product changes, each with the store's own price."""
    shared = [_parse("product", d) for d in datas]
    out: dict[str, list[Change]] = {}
    for store_id in prices.stores:
        changes = []
        for data, change in zip(datas, shared):
            price = prices.price(store_id, data["sku"], base=data["price"])
            changes.append(change if price == data["price"] else _parse("product", {**data, "price": price}))
        out[store_id] = changes
    return out


def _override_view(o: PriceOverride) -> dict:
    return {"sku": o.sku, "scope": o.scope, "scope_id": o.scope_id, "price": o.price,
            "updated_at": messages.utc_iso(o.updated_at)}


def price_overrides(sku: str | None = None) -> list[dict]:
    query = PriceOverride.select().order_by(PriceOverride.sku, PriceOverride.scope, PriceOverride.scope_id)
    if sku:
        query = query.where(PriceOverride.sku == sku)
    return [_override_view(o) for o in query]


def overrides_by_sku(skus) -> dict[str, list[dict]]:
    """The group and store prices of these products (a page of them, a price file's), in
    one query per 900 SKUs rather than one per product or the whole table."""
    skus = sorted({sku for sku in skus if isinstance(sku, str)})
    found: dict[str, list[dict]] = {}
    for start in range(0, len(skus), 900):
        for o in (PriceOverride.select().where(PriceOverride.sku.in_(skus[start:start + 900]))
                  .order_by(PriceOverride.sku, PriceOverride.scope, PriceOverride.scope_id)):
            found.setdefault(o.sku, []).append(_override_view(o))
    return found


def store_prices(store_id: str) -> dict[str, dict]:
    """What a store sells each product at, and where that price comes from."""
    store = get_store(store_id)
    skus = [p.sku for p in Product.select(Product.sku)]
    prices = Prices(skus, [store])
    return {sku: {"price": prices.price(store_id, sku), "source": prices.source(store_id, sku)} for sku in skus}


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


def get_product(sku: str) -> Product:
    """The product with `sku`; NotFound (product_not_found) when head office has none."""
    product = Product.get_or_none(Product.sku == sku)
    if product is None:
        raise NotFound(f"no product {sku}", code="product_not_found")
    return product


def products_query(q: str | None = None, category: str | None = None):
    """The products in SKU order: those whose SKU or name contains `q`, in `category`, when given."""
    query = Product.select().order_by(Product.sku)
    if q:
        query = query.where(Product.sku.contains(q) | Product.name.contains(q))
    if category:
        query = query.where(Product.category == category)
    return query


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
        # each store gets the products at its own price (group or store overrides)
        prices = Prices([d["sku"] for d in datas])
        by_store = _product_changes(datas, prices) if any(prices.overrides.values()) else \
            {store_id: changes for store_id in prices.stores}
        return _issue_each(key, by_store, now)


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
    # plain multi-row SQL: building these through the ORM took longer than running them
    # (10,000 products: 2.1 s of a 5.3 s publish)
    database = database_proxy.obj
    columns = [k for k in PRODUCT_FIELDS] + ["updated_at"]
    rows = [tuple(json.dumps(d["barcodes"]) if k == "barcodes" else now if k == "updated_at" else d[k]
                  for k in columns) for d in datas]
    update = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "sku")
    for chunk in _chunks(rows, 500):
        values = ", ".join(["(" + ", ".join([database.param] * len(columns)) + ")"] * len(chunk))
        database.execute_sql(f"INSERT INTO product ({', '.join(columns)}) VALUES {values} "
                             f"ON CONFLICT (sku) DO UPDATE SET {update}", [v for row in chunk for v in row])
    barcode_rows = [(code, d["sku"]) for d in datas for code in d["barcodes"]]
    for chunk in _chunks(barcode_rows, 900):
        values = ", ".join([f"({database.param}, {database.param})"] * len(chunk))
        database.execute_sql(f"INSERT INTO barcode (code, sku) VALUES {values}", [v for row in chunk for v in row])


def _chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _check_price(sku, price) -> int:
    if not isinstance(price, int) or isinstance(price, bool) or price < 0:
        raise CatalogError(f"price of {sku!r} must be a whole number of minor units (fen, cents) of at least 0, "
                           f"not {price!r}", code="invalid_price")
    return price


def set_prices(key, payload, *, now=None) -> dict[str, int]:
    """Price changes: the chain price now, or (with `effective_at` in the future) scheduled;
    or a store group's (`group`) or one store's (`store`) own price, now; `price: null` with
    a group or store removes its own price. Each store whose price of a product changes gets
    the product in one change set for the whole request; other stores get nothing."""
    now = now or utcnow()
    items = _items(payload, "prices")
    with write_transaction(database_proxy.obj):
        apply_due_schedules(now)
        skus = [i.get("sku") for i in items]
        prices = Prices([s for s in skus if isinstance(s, str)])
        before = prices.copy()
        touched: dict[str, set[str]] = {}  # sku -> stores whose price may have changed
        addressed: list[tuple[str, str, str | None]] = []  # (sku, scope, scope id) of each immediate item
        schedules: list[dict] = []
        for item in items:
            sku = item.get("sku")
            if sku not in prices.base:
                raise CatalogError(f"no product {sku!r}")
            scope, scope_id = price_scope(item)
            effective = item.get("effective_at")
            when = messages.parse_utc(effective, "effective_at") if effective is not None else None
            if scope == "chain" and when is not None and when > now:
                data = {"id": item.get("id") or str(uuid.uuid4()), "sku": sku, "price": item.get("price"),
                        "effective_at": messages.utc_iso(when)}
                _parse("price_schedule", data)
                PriceSchedule.create(id=data["id"], sku=sku, price=data["price"], effective_at=when, created_at=now)
                schedules.append(data)
                continue
            if when is not None and when > now:
                raise CatalogError(f"price of {sku!r}: scheduled changes are chain-wide; a {scope} price takes "
                                   "effect now (leave effective_at out)", code="invalid_price")
            stores = prices.stores_in(scope, scope_id)
            if scope == "chain":
                prices.base[sku] = _check_price(sku, item.get("price"))
            elif not stores:
                raise CatalogError(f"price of {sku!r}: " + (f"no store is in group {scope_id!r}" if scope == "group"
                                                            else f"no store {scope_id!r}"), code="invalid_price")
            elif item.get("price") is None:
                prices.overrides.get(sku, {}).pop((scope, scope_id), None)
                PriceOverride.delete().where((PriceOverride.sku == sku) & (PriceOverride.scope == scope)
                                             & (PriceOverride.scope_id == scope_id)).execute()
            else:
                price = _check_price(sku, item.get("price"))
                prices.overrides.setdefault(sku, {})[(scope, scope_id)] = price
                PriceOverride.insert(sku=sku, scope=scope, scope_id=scope_id, price=price, updated_at=now).on_conflict(
                    conflict_target=[PriceOverride.sku, PriceOverride.scope, PriceOverride.scope_id],
                    update={PriceOverride.price: price, PriceOverride.updated_at: now}).execute()
            touched.setdefault(sku, set()).update(stores)
            addressed.append((sku, scope, scope_id))
        chain = [(prices.base[sku], now, sku) for sku in touched if prices.base[sku] != before.base[sku]]
        execute_many(database_proxy.obj, "UPDATE product SET price = {p}, updated_at = {p} WHERE sku = {p}", chain)
        products = {p.sku: p for chunk in _chunks(sorted(touched))
                    for p in Product.select().where(Product.sku.in_(chunk))}
        pending = {}
        for chunk in _chunks(sorted(touched)):
            for schedule in (PriceSchedule.select().where((PriceSchedule.sku.in_(chunk))
                                                          & (PriceSchedule.state == "pending"))
                             .order_by(PriceSchedule.effective_at)):
                pending.setdefault(schedule.sku, []).append(schedule)
        # a store gets the product when its price changed, or when the request named the
        # price it sells at (a chain price sent again reaches the stores selling at it)
        named: set[tuple[str, str]] = set()
        for sku, scope, scope_id in addressed:
            for store_id in prices.stores_in(scope, scope_id):
                source = prices.source(store_id, sku)
                if source == scope or (scope == "group" and source == "chain"):
                    named.add((sku, store_id))
        by_store: dict[str, list[Change]] = {store_id: [] for store_id in prices.stores}
        for sku in sorted(touched):
            for store_id in sorted(touched[sku]):
                old, new = before.price(store_id, sku), prices.price(store_id, sku)
                if old != new or (sku, store_id) in named:
                    by_store[store_id].append(_parse("product", {**product_data(products[sku]), "price": new}))
                had_own, has_own = before.source(store_id, sku) != "chain", prices.source(store_id, sku) != "chain"
                for schedule in pending.get(sku, []):
                    if schedule.id in {d["id"] for d in schedules}:
                        continue  # a new schedule of this request: sent below
                    if has_own and not had_own:  # the store's own price wins over the chain's schedules
                        by_store[store_id].append(_parse("price_schedule", {"id": schedule.id}, op="cancel"))
                    elif had_own and not has_own:
                        by_store[store_id].append(_parse("price_schedule", _schedule_data(schedule)))
        for data in schedules:
            for store_id in prices.stores:
                if prices.source(store_id, data["sku"]) == "chain":
                    by_store[store_id].append(_parse("price_schedule", data))
        return _issue_each(key, by_store, now)


def store_group_changed(key, store_id: str, old_group: str, *, now=None) -> dict[str, int]:
    """After a store moved from `old_group` to its current group: send it the products
    whose price the move changes (the old group's price ends, the new group's begins; its
    own prices stay), and cancel or send again the chain schedules accordingly. Call it
    in (or after) the transaction that changed the group."""
    now = now or utcnow()
    with write_transaction(database_proxy.obj):
        store = _lock_store(store_id)
        old_group, new_group = old_group or "", store.group or ""
        if old_group == new_group:
            return {}
        groups = [g for g in (old_group, new_group) if g]
        skus = sorted({sku for (sku,) in PriceOverride.select(PriceOverride.sku).where(
            (PriceOverride.scope == "group") & PriceOverride.scope_id.in_(groups)).tuples()})
        if not skus:
            return {}
        after = Prices(skus, [store])
        before = after.copy()
        before.stores = {store_id: old_group}
        products = {p.sku: p for chunk in _chunks(skus) for p in Product.select().where(Product.sku.in_(chunk))}
        pending: dict[str, list[PriceSchedule]] = {}
        for chunk in _chunks(skus):
            for schedule in (PriceSchedule.select().where(PriceSchedule.sku.in_(chunk)
                                                          & (PriceSchedule.state == "pending"))
                             .order_by(PriceSchedule.effective_at)):
                pending.setdefault(schedule.sku, []).append(schedule)
        changes: list[Change] = []
        for sku in skus:
            old, new = before.price(store_id, sku), after.price(store_id, sku)
            if old != new:
                changes.append(_parse("product", {**product_data(products[sku]), "price": new}))
            had_own, has_own = before.source(store_id, sku) != "chain", after.source(store_id, sku) != "chain"
            for schedule in pending.get(sku, []):
                if has_own and not had_own:
                    changes.append(_parse("price_schedule", {"id": schedule.id}, op="cancel"))
                elif had_own and not has_own:
                    changes.append(_parse("price_schedule", _schedule_data(schedule)))
        return _issue_each(key, {store_id: changes}, now)


def reprice_moved_stores(key, *, now=None) -> dict[str, int]:
    """Find stores whose group changed since their prices were last sent (by the console,
    the API or by hand) and send each what the move changes. A store seen for the first
    time is taken as priced for its group. The publisher runs this every few seconds."""
    versions: dict[str, int] = {}
    known = dict(StorePriceGroup.select(StorePriceGroup.store_id, StorePriceGroup.group).tuples())
    stores = Store.select(Store.id, Store.group).tuples()
    if all(known.get(store_id) == (group or "") for store_id, group in stores):
        return versions  # the usual case: no write lock taken
    with write_transaction(database_proxy.obj):
        known = dict(StorePriceGroup.select(StorePriceGroup.store_id, StorePriceGroup.group).tuples())
        for store_id, group in Store.select(Store.id, Store.group).tuples():
            group = group or ""
            if store_id not in known:
                StorePriceGroup.insert(store_id=store_id, group=group).on_conflict_ignore().execute()
            elif known[store_id] != group:
                versions.update(store_group_changed(key, store_id, known[store_id], now=now))
                StorePriceGroup.update(group=group).where(StorePriceGroup.store_id == store_id).execute()
    return versions


def _schedule_data(schedule: PriceSchedule) -> dict:
    return {"id": schedule.id, "sku": schedule.sku, "price": schedule.price,
            "effective_at": messages.utc_iso(schedule.effective_at)}


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
        prices = Prices([schedule.sku])
        change = _parse("price_schedule", {"id": schedule_id}, op="cancel")
        # only the stores that were sent the schedule (those selling at the chain price)
        return _issue_each(key, {s: [change] for s in prices.stores if prices.source(s, schedule.sku) == "chain"},
                           now)


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
        own = _own_prices(store)
        cursor = database_proxy.obj.execute_sql(
            "SELECT sku, name, unit, price, cost_price, tax_class, category, scale_code, active, barcodes "
            "FROM product ORDER BY sku")
        for sku, name, unit, price, cost, tax, category, scale, active, barcodes in cursor:
            changes.append(Change("product", "upsert", {
                "sku": sku, "name": name, "unit": unit, "price": own.get(sku, price), "cost_price": cost,
                "tax_class": tax, "category": category, "scale_code": scale, "active": bool(active),
                "barcodes": json.loads(barcodes)}))
        for s in PriceSchedule.select().where(PriceSchedule.state == "pending").order_by(PriceSchedule.effective_at):
            if s.sku in own:
                continue  # the store's own price wins over the chain's schedules
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


def _own_prices(store: Store) -> dict[str, int]:
    """The store's own prices (its group's, replaced by its own where it has one)."""
    own: dict[str, int] = {}
    if store.group:
        own.update(PriceOverride.select(PriceOverride.sku, PriceOverride.price).where(
            (PriceOverride.scope == "group") & (PriceOverride.scope_id == store.group)).tuples())
    own.update(PriceOverride.select(PriceOverride.sku, PriceOverride.price).where(
        (PriceOverride.scope == "store") & (PriceOverride.scope_id == store.id)).tuples())
    return own


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
    store = Store.get_by_id(store_id)
    own = _own_prices(store)
    return {
        "version": store.catalog_version,
        "products": {p.sku: {"name": p.name, "price": own.get(p.sku, p.price), "active": p.active,
                             "tax_class": p.tax_class, "barcodes": sorted(json.loads(p.barcodes))}
                     for p in Product.select()},
    }
