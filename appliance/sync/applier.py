"""Head office's catalog, applied on the till.

A catalog message is first checked against the keys head office gave at enrollment
(ed25519), then parsed (fleetpos.messages). A change set is applied only if it is the
next version; it is applied whole, in one transaction, or not at all. A snapshot is the
store's whole catalog at a version: it is applied as the difference to what the till
has, so a till that missed a few changes writes only those. The outcome tells the agent
what to do next (report the version, ask for what is missing, or nothing).

Products are never deleted (sales refer to them): a product left out of a snapshot
becomes inactive. Head office owns a barcode or scale code it gives a product: whoever
had it on the till loses it. Cashier accounts from head office keep their lock-out
state unless head office changed the PIN; members keep their points (the till's own
ledger); a promotion is checked by the till's promotions engine before it is stored.
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from fleetpos import messages
from fleetpos.messages import CatalogHead, Change, ChangeSet, MessageError

from ..barcodes import normalize
from ..context import TillContext
from ..errors import TillError
from ..money import MAX_UNIT_PRICE
from ..services.records import db_time
from .prices import apply_due_prices

log = logging.getLogger(__name__)

#: this many new products at once are inserted without the per-row search-index trigger,
#: and the index is rebuilt after (10x faster for a first snapshot)
BULK_INSERT = 2000


class ApplyError(Exception):
    """A change set that this till cannot apply as sent (it names an unknown tax class...)."""


@dataclass(frozen=True)
class Outcome:
    #: applied | duplicate | gap | behind | current | rejected
    action: str
    version: int
    head: int = 0
    detail: str = ""


def catalog_state(ctx: TillContext) -> tuple[int, int, str | None]:
    """(version applied, latest version head office announced, last error)."""
    return tuple(ctx.sql("SELECT version, head_version, last_error FROM catalog_state WHERE id = 1").fetchone())


def trusted_keys(ctx: TillContext) -> dict[str, bytes]:
    return {kid: base64.b64decode(key) for kid, key in ctx.sql("SELECT key_id, public_key FROM catalog_key")}


def receive(ctx: TillContext, payload: bytes, *, store_id: str, keys: dict[str, bytes] | None = None) -> Outcome:
    """Handle one message from a catalog topic (change set, snapshot or head)."""
    version, head, _ = catalog_state(ctx)
    try:
        body = messages.open_sealed(payload, trusted_keys(ctx) if keys is None else keys)
        message = messages.parse_catalog_message(body)
        if message.store_id != store_id:
            raise MessageError(f"catalog message for store {message.store_id}, but this till is {store_id}")
    except MessageError as exc:
        return Outcome("rejected", version, head, str(exc))
    if isinstance(message, CatalogHead):
        if message.version > head:
            with ctx.transaction():
                ctx.sql("UPDATE catalog_state SET head_version = MAX(head_version, ?) WHERE id = 1", (message.version,))
            head = message.version
        return Outcome("behind" if head > version else "current", version, head)
    return apply(ctx, message)


def apply(ctx: TillContext, changeset: ChangeSet) -> Outcome:
    version, head, _ = catalog_state(ctx)
    if changeset.version <= version:
        return Outcome("duplicate", version, head)
    if not changeset.is_snapshot and changeset.version != version + 1:
        return Outcome("gap", version, max(head, changeset.version), f"got {changeset.version} after {version}")
    now = ctx.clock()
    try:
        with ctx.transaction():
            if catalog_state(ctx)[0] != version:  # another process applied meanwhile
                return apply(ctx, changeset)
            _Apply(ctx, changeset, now).run()
            apply_due_prices(ctx, now)
            ctx.sql("UPDATE catalog_state SET version = ?, head_version = MAX(head_version, ?), updated_at = ?, "
                    "last_error = NULL WHERE id = 1", (changeset.version, changeset.version, db_time(now)))
            ctx.sql("INSERT INTO catalog_change_log (version, kind, change_count, issued_at, applied_at) "
                    "VALUES (?, ?, ?, ?, ?)", (changeset.version, changeset.type, len(changeset.changes),
                                               db_time(messages.parse_utc(changeset.issued_at, "issued_at")),
                                               db_time(now)))
    except (ApplyError, TillError, sqlite3.IntegrityError) as exc:
        error = f"{changeset.type} {changeset.version}: {getattr(exc, 'message', None) or exc}"
        log.error("catalog not applied: %s", error)
        with ctx.transaction():
            ctx.sql("UPDATE catalog_state SET last_error = ? WHERE id = 1", (error[:2000],))
        return Outcome("rejected", version, head, error)
    log.info("catalog %s %d applied (%d changes)", changeset.type, changeset.version, len(changeset.changes))
    return Outcome("applied", changeset.version, max(head, changeset.version))


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _Apply:
    """One change set or snapshot, inside the caller's transaction."""

    def __init__(self, ctx: TillContext, changeset: ChangeSet, now: datetime):
        self.ctx = ctx
        self.conn = ctx.db.connection()
        self.changeset = changeset
        self.snapshot = changeset.is_snapshot
        self.issued_at = db_time(messages.parse_utc(changeset.issued_at, "issued_at"))
        self.stamp = db_time(now)

    def run(self) -> None:
        if self.snapshot:
            # the snapshot lists every pending schedule; ones it leaves out were cancelled
            self.conn.execute("DELETE FROM scheduled_price WHERE applied_at IS NULL")
        run: list[Change] = []
        for change in self.changeset.changes:
            if run and (change.entity != run[0].entity or change.op != run[0].op):
                self._apply_run(run)
                run = []
            run.append(change)
        if run:
            self._apply_run(run)
        if self.snapshot:
            listed = {c.data["sku"] for c in self.changeset.changes if c.entity == "product"}
            stale = [(self.stamp, pid) for pid, sku in self.conn.execute("SELECT id, sku FROM product WHERE active = 1")
                     if sku not in listed]
            self.conn.executemany("UPDATE product SET active = 0, updated_at = ? WHERE id = ?", stale)
            offers = {c.data["code"] for c in self.changeset.changes if c.entity == "promotion"}
            ended = [(self.stamp, code) for (code,) in self.conn.execute("SELECT code FROM promotion WHERE active = 1")
                     if code not in offers]
            self.conn.executemany("UPDATE promotion SET active = 0, updated_at = ? WHERE code = ?", ended)

    def _apply_run(self, changes: list[Change]) -> None:
        entity, op = changes[0].entity, changes[0].op
        if entity == "product":
            self._products([c.data for c in changes])
        elif entity == "price_schedule" and op == "cancel":
            self.conn.executemany("DELETE FROM scheduled_price WHERE id = ? AND applied_at IS NULL",
                                  [(c.data["id"],) for c in changes])
        else:
            method = getattr(self, f"_{entity}")
            for change in changes:
                method(change.data)

    def _tax_class(self, d: dict) -> None:
        self.conn.execute("INSERT INTO tax_class (code, name, rate_bp) VALUES (?, ?, ?) ON CONFLICT (code) "
                          "DO UPDATE SET name = excluded.name, rate_bp = excluded.rate_bp",
                          (d["code"], d["name"], d["rate_bp"]))

    def _category(self, d: dict) -> None:
        parent_id = None
        if d.get("parent"):
            row = self.conn.execute("SELECT id FROM category WHERE code = ?", (d["parent"],)).fetchone()
            if row is None:
                raise ApplyError(f"category {d['code']}: unknown parent {d['parent']!r}")
            parent_id = row[0]
        self.conn.execute("INSERT INTO category (code, name, parent_id) VALUES (?, ?, ?) ON CONFLICT (code) "
                          "DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id",
                          (d["code"], d["name"], parent_id))

    def _price_schedule(self, d: dict) -> None:
        effective = db_time(messages.parse_utc(d["effective_at"], "effective_at"))
        self.conn.execute("INSERT INTO scheduled_price (id, sku, price, effective_at) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, price = excluded.price, "
                          "effective_at = excluded.effective_at WHERE scheduled_price.applied_at IS NULL",
                          (d["id"], d["sku"], d["price"], effective))

    def _member_tier(self, d: dict) -> None:
        self.conn.execute("INSERT INTO member_tier (code, name, rank, discount_bp, min_spend) VALUES (?, ?, ?, ?, ?) "
                          "ON CONFLICT (code) DO UPDATE SET name = excluded.name, rank = excluded.rank, "
                          "discount_bp = excluded.discount_bp, min_spend = excluded.min_spend",
                          (d["code"], d["name"], d["rank"], d["discount_bp"], d["min_spend"]))

    def _member(self, d: dict) -> None:
        """A member's identity and tier; points and spend stay the till's own ledger."""
        if self.conn.execute("SELECT 1 FROM member_tier WHERE code = ?", (d["tier"],)).fetchone() is None:
            raise ApplyError(f"member {d['card_no']}: unknown tier {d['tier']!r}")
        self.conn.execute(
            "INSERT INTO member (uuid, card_no, phone, name, tier_id, active, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET card_no = excluded.card_no, "
            "phone = excluded.phone, name = excluded.name, tier_id = excluded.tier_id, active = excluded.active, "
            "updated_at = excluded.updated_at",
            (d["uuid"], d["card_no"], d.get("phone"), d["name"].strip(), d["tier"], int(d["active"]), self.stamp,
             self.stamp))

    def _promotion(self, d: dict) -> None:
        """Checked by the till's promotions engine; SKUs and category codes become the till's ids.
        The row is written as appliance.services.promotions.upsert_promotion writes it (and
        its loader reads it)."""
        from .. import promotions

        params = dict(d["params"])
        products = self._ids("product", "sku", params.pop("products", []), d["code"])
        categories = self._ids("category", "code", params.pop("categories", []), d["code"])
        try:
            offer = promotions.Promotion(
                code=d["code"], name=d["name"], kind=d["kind"], products=products, categories=categories,
                member_only=d.get("member_only", False), combinable=d.get("combinable", True),
                priority=d["priority"], days_of_week=d.get("days_of_week", []), stores=d.get("stores", []),
                starts_at=datetime.fromisoformat(d["starts_at"]) if d.get("starts_at") else None,
                ends_at=datetime.fromisoformat(d["ends_at"]) if d.get("ends_at") else None, **params)
        except (TypeError, ValueError) as exc:
            raise ApplyError(f"promotion {d['code']}: {exc}") from None
        stored = {**params, "products": sorted(offer.products), "categories": sorted(offer.categories)}
        self.conn.execute(
            "INSERT INTO promotion (code, name, kind, params, member_only, starts_at, ends_at, days_of_week, stores, "
            "combinable, priority, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, params = excluded.params, "
            "member_only = excluded.member_only, starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
            "days_of_week = excluded.days_of_week, stores = excluded.stores, combinable = excluded.combinable, "
            "priority = excluded.priority, active = excluded.active, updated_at = excluded.updated_at",
            (offer.code, offer.name, offer.kind, json.dumps(stored, sort_keys=True), int(offer.member_only),
             db_time(offer.starts_at) if offer.starts_at else None, db_time(offer.ends_at) if offer.ends_at else None,
             "".join(str(day) for day in sorted(offer.days_of_week)), json.dumps(sorted(offer.stores)),
             int(offer.combinable), offer.priority, int(d["active"]), self.stamp))

    def _ids(self, table: str, key: str, codes: list[str], promotion: str) -> list[int]:
        found = {}
        for chunk in _chunks(list(codes)):
            found.update(self.conn.execute(f"SELECT {key}, id FROM {table} WHERE {key} IN "
                                           f"({','.join('?' * len(chunk))})", chunk).fetchall())
        missing = sorted(set(codes) - set(found))
        if missing:
            raise ApplyError(f"promotion {promotion}: unknown {table} {', '.join(missing)}")
        return [found[code] for code in codes]

    def _cashier(self, d: dict) -> None:
        if not d["code"].isalnum() or not d["code"].isascii():
            raise ApplyError(f"cashier number {d['code']!r} must be letters or digits")
        self.conn.execute(
            "INSERT INTO cashier (code, name, role, pin_hash, locale, active, failed_attempts, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
            "role = excluded.role, locale = excluded.locale, active = excluded.active, "
            "failed_attempts = CASE WHEN cashier.pin_hash = excluded.pin_hash THEN cashier.failed_attempts ELSE 0 END, "
            "locked_until = CASE WHEN cashier.pin_hash = excluded.pin_hash THEN cashier.locked_until ELSE NULL END, "
            "pin_hash = excluded.pin_hash",
            (d["code"], d["name"].strip(), d["role"], d["pin_hash"], d.get("locale"), int(d["active"]), self.stamp))
        if not d["active"]:
            self.conn.execute("UPDATE till_session SET ended_at = ? WHERE ended_at IS NULL AND cashier_id = "
                              "(SELECT id FROM cashier WHERE code = ?)", (self.stamp, d["code"]))

    # -- products, in bulk ------------------------------------------------------------------

    _COLUMNS = "id, sku, name, unit, price, cost_price, tax_class_id, category_id, scale_code, active"

    def _existing(self, skus: list[str]) -> dict[str, tuple]:
        if self.snapshot:
            rows = self.conn.execute(f"SELECT {self._COLUMNS} FROM product").fetchall()
        else:
            rows = [row for chunk in _chunks(skus) for row in self.conn.execute(
                f"SELECT {self._COLUMNS} FROM product WHERE sku IN ({','.join('?' * len(chunk))})", chunk)]
        return {row[1]: row for row in rows}

    def _barcodes_of(self, ids: list[int]) -> dict[int, set[str]]:
        result: dict[int, set[str]] = {}
        if self.snapshot:
            rows = self.conn.execute("SELECT product_id, code FROM barcode")
        else:
            rows = [row for chunk in _chunks(ids) for row in self.conn.execute(
                f"SELECT product_id, code FROM barcode WHERE product_id IN ({','.join('?' * len(chunk))})", chunk)]
        for product_id, code in rows:
            result.setdefault(product_id, set()).add(code)
        return result

    def _superseded(self, skus: list[str]) -> set[str]:
        """Products whose price a schedule set at a time after this change set was issued:
        the change set's price is older than what the till already has."""
        if self.snapshot:
            return set()
        found = set()
        for chunk in _chunks(skus):
            found.update(sku for (sku,) in self.conn.execute(
                f"SELECT DISTINCT sku FROM scheduled_price WHERE applied_at IS NOT NULL AND effective_at > ? "
                f"AND sku IN ({','.join('?' * len(chunk))})", (self.issued_at, *chunk)))
        return found

    def _products(self, datas: list[dict]) -> None:
        tax_classes = {code for (code,) in self.conn.execute("SELECT code FROM tax_class")}
        categories = dict(self.conn.execute("SELECT code, id FROM category").fetchall())
        skus = [d["sku"] for d in datas]
        existing = self._existing(skus)
        barcodes = self._barcodes_of([existing[s][0] for s in skus if s in existing])
        superseded = self._superseded(skus)
        inserts, updates, wanted_codes, claimed_scale = [], [], {}, []
        for d in datas:
            sku = d["sku"]
            if d["tax_class"] not in tax_classes:
                raise ApplyError(f"product {sku}: unknown tax class {d['tax_class']!r}")
            category_id = None
            if d.get("category"):
                category_id = categories.get(d["category"])
                if category_id is None:
                    raise ApplyError(f"product {sku}: unknown category {d['category']!r}")
            if d["price"] > MAX_UNIT_PRICE or (d.get("cost_price") or 0) > MAX_UNIT_PRICE:
                raise ApplyError(f"product {sku}: price larger than the till accepts")
            scale = d.get("scale_code")
            if scale is not None:
                if not scale.isdigit():
                    raise ApplyError(f"product {sku}: scale code {scale!r} must be digits")
                scale = scale.lstrip("0") or "0"
            old = existing.get(sku)
            price = old[4] if old is not None and sku in superseded else d["price"]
            row = (d["name"].strip(), d["unit"], price, d.get("cost_price"), d["tax_class"], category_id, scale,
                   int(d["active"]))
            if old is None:
                inserts.append((sku, *row, self.stamp))
            elif row != tuple(old[2:]):
                updates.append((*row, self.stamp, old[0]))
            if scale is not None and (old is None or old[8] != scale):
                claimed_scale.append((scale,))
            wanted_codes[sku] = {normalize(code) for code in d["barcodes"]}
        # scale codes go to the products that now claim them (cleared first: swaps work)
        self.conn.executemany("UPDATE product SET scale_code = NULL WHERE scale_code = ?", claimed_scale)
        self.conn.executemany(
            "UPDATE product SET name = ?, unit = ?, price = ?, cost_price = ?, tax_class_id = ?, category_id = ?, "
            "scale_code = ?, active = ?, updated_at = ? WHERE id = ?", updates)
        self._insert(inserts)
        ids = {sku: row[0] for sku, row in existing.items()}
        if inserts:
            ids.update((sku, pid) for chunk in _chunks([row[0] for row in inserts]) for pid, sku in self.conn.execute(
                f"SELECT id, sku FROM product WHERE sku IN ({','.join('?' * len(chunk))})", chunk))
        removals, additions = [], []
        for sku, codes in wanted_codes.items():
            have = barcodes.get(ids[sku], set())
            removals.extend((code, ids[sku]) for code in have - codes)
            additions.extend((code, ids[sku]) for code in codes - have)
        self.conn.executemany("DELETE FROM barcode WHERE code = ? AND product_id = ?", removals)
        self.conn.executemany("INSERT INTO barcode (code, product_id) VALUES (?, ?) ON CONFLICT (code) "
                              "DO UPDATE SET product_id = excluded.product_id", additions)

    def _insert(self, rows: list[tuple]) -> None:
        statement = ("INSERT INTO product (sku, name, unit, price, cost_price, tax_class_id, category_id, scale_code, "
                     "active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        trigger = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name = 'product_search_insert'").fetchone()
        if len(rows) < BULK_INSERT or trigger is None:
            self.conn.executemany(statement, rows)
            return
        # same transaction: the index is never seen without these products
        self.conn.execute("DROP TRIGGER product_search_insert")
        self.conn.executemany(statement, rows)
        self.conn.execute(trigger[0])
        self.conn.execute("INSERT INTO product_search (product_search) VALUES ('rebuild')")
