"""The till applying head office's catalog: signatures, order, whole-or-nothing change
sets, snapshots, scheduled prices. No broker: the handler is a plain function."""

import base64
import sqlite3
from datetime import datetime, timedelta

import pytest

from appliance.services.auth import hash_pin, verify_pin
from appliance.sync.applier import BULK_INSERT, catalog_state, receive
from appliance.sync.prices import apply_due_prices
from fleetpos.messages import Change, ChangeSet, SigningKey, utc_iso

from .conftest import COLA, MILK, Till

STORE = "s1"
TAX = Change("tax_class", "upsert", {"code": "standard", "name": "VAT 13%", "rate_bp": 1300})


def product(sku, price, *, barcodes=(), active=True, tax="standard", **extra):
    return Change("product", "upsert", {"sku": sku, "name": f"product {sku}", "unit": "each", "price": price,
                                        "cost_price": None, "tax_class": tax, "category": None, "scale_code": None,
                                        "active": active, "barcodes": list(barcodes), **extra})


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self):
        return self.now


@pytest.fixture
def key():
    return SigningKey.generate()[0]


@pytest.fixture
def till(tmp_path, key):
    till = Till(tmp_path / "till", STORE)
    till.ctx.clock = Clock()
    till.ctx.sql("INSERT INTO catalog_key (key_id, public_key, added_at) VALUES (?, ?, '2026-01-01 00:00:00')",
                 (key.key_id, key.public_key_b64))
    yield till
    till.stop()


def send(till, key, version, *changes, kind="changeset", store=STORE, issued_at=None, compress=False):
    body = ChangeSet(store_id=store, version=version, issued_at=issued_at or utc_iso(till.ctx.clock()),
                     changes=tuple(changes), type=kind).encode()
    return receive(till.ctx, key.seal(body, compress=compress), store_id=STORE)


def test_change_sets_apply_in_order_and_a_gap_or_duplicate_changes_nothing(till, key):
    assert send(till, key, 1, TAX, product("COLA", 300, barcodes=[COLA]), kind="snapshot").action == "applied"
    assert send(till, key, 2, product("COLA", 350, barcodes=[COLA])).action == "applied"
    assert till.products()["COLA"]["price"] == 350
    duplicate = send(till, key, 2, product("COLA", 999, barcodes=[COLA]))
    assert duplicate.action == "duplicate" and till.products()["COLA"]["price"] == 350
    gap = send(till, key, 4, product("COLA", 500, barcodes=[COLA]))
    assert (gap.action, gap.version, gap.head) == ("gap", 2, 4)
    assert till.products()["COLA"]["price"] == 350 and till.catalog_version() == 2
    assert send(till, key, 3, product("COLA", 400, barcodes=[COLA])).action == "applied"
    assert send(till, key, 4, product("COLA", 500, barcodes=[COLA])).action == "applied"
    assert till.products()["COLA"]["price"] == 500
    log = till.ctx.sql("SELECT version, kind FROM catalog_change_log ORDER BY id").fetchall()
    assert log == [(1, "snapshot"), (2, "changeset"), (3, "changeset"), (4, "changeset")]


def test_a_forged_tampered_or_foreign_message_is_refused(till, key):
    send(till, key, 1, TAX, product("COLA", 300), kind="snapshot")
    forger = SigningKey.generate()[0]
    body = ChangeSet(STORE, 2, utc_iso(till.ctx.clock()), (product("COLA", 1),)).encode()
    assert "unknown key" in receive(till.ctx, forger.seal(body), store_id=STORE).detail
    tampered = key.seal(body).replace(b'\\"price\\":1', b'\\"price\\":2')
    assert b'\\"price\\":2' in tampered
    outcome = receive(till.ctx, tampered, store_id=STORE)
    assert (outcome.action, outcome.detail) == ("rejected", "bad signature: not applied")
    assert send(till, key, 2, product("COLA", 1), store="s2").action == "rejected"
    assert receive(till.ctx, b"not json", store_id=STORE).action == "rejected"
    assert till.products()["COLA"]["price"] == 300 and till.catalog_version() == 1


def test_a_change_set_that_cannot_apply_leaves_the_till_as_it_was(till, key):
    send(till, key, 1, TAX, product("COLA", 300, barcodes=[COLA]), kind="snapshot")
    outcome = send(till, key, 2, product("COLA", 1), product("NEW", 100, tax="no-such-tax"))
    assert outcome.action == "rejected" and "unknown tax class 'no-such-tax'" in outcome.detail
    assert till.products()["COLA"]["price"] == 300 and "NEW" not in till.products()
    version, _head, error = catalog_state(till.ctx)
    assert version == 1 and "no-such-tax" in error
    bad_barcode = send(till, key, 2, product("COLA", 1, barcodes=["6901234567890"]))
    assert bad_barcode.action == "rejected" and "check digit" in bad_barcode.detail
    assert till.products()["COLA"]["barcodes"] == [COLA]
    assert send(till, key, 2, product("COLA", 320, barcodes=[COLA])).action == "applied"
    assert catalog_state(till.ctx)[2] is None


def test_a_snapshot_is_the_whole_catalog_and_deactivates_what_it_leaves_out(till, key):
    send(till, key, 1, TAX, product("COLA", 300, barcodes=[COLA]), product("OLD", 100), kind="snapshot")
    schedule = Change("price_schedule", "upsert", {"id": "p1", "sku": "COLA", "price": 1,
                                                   "effective_at": "2027-01-01T00:00:00Z"})
    send(till, key, 2, schedule)
    outcome = send(till, key, 9, TAX, product("COLA", 330, barcodes=[COLA, MILK]), product("NEW", 50),
                   kind="snapshot", compress=True)
    assert outcome.action == "applied" and till.catalog_version() == 9
    products = till.products()
    assert products["COLA"] == {"name": "product COLA", "price": 330, "active": True, "tax_class": "standard",
                                "barcodes": sorted([COLA, MILK])}
    assert products["OLD"]["active"] is False and products["NEW"]["active"] is True
    # the pending schedule was not in the snapshot: head office cancelled it meanwhile
    assert till.ctx.sql("SELECT COUNT(*) FROM scheduled_price").fetchone()[0] == 0
    assert send(till, key, 5, TAX, product("COLA", 1), kind="snapshot").action == "duplicate"


def test_a_barcode_and_a_scale_code_move_to_the_product_that_now_names_them(till, key):
    send(till, key, 1, TAX, product("A", 100, barcodes=[COLA], scale_code="101"), product("B", 200),
         kind="snapshot")
    assert send(till, key, 2, product("B", 200, barcodes=[COLA], scale_code="00101")).action == "applied"
    products = till.products()
    assert products["A"]["barcodes"] == [] and products["B"]["barcodes"] == [COLA]
    scale = dict(till.ctx.sql("SELECT sku, scale_code FROM product").fetchall())
    assert scale == {"A": None, "B": "101"}


def test_head_office_cashiers_keep_their_lockout_unless_the_pin_changes(till, key):
    pin_hash = hash_pin("1234", 4)
    cashier = {"code": "1001", "name": "王芳", "role": "cashier", "pin_hash": pin_hash, "locale": None,
               "active": True}
    send(till, key, 1, TAX, Change("cashier", "upsert", cashier), kind="snapshot")
    till.ctx.sql("UPDATE cashier SET failed_attempts = 3 WHERE code = '1001'")
    send(till, key, 2, Change("cashier", "upsert", {**cashier, "name": "Wang Fang"}))
    assert till.ctx.sql("SELECT name, failed_attempts FROM cashier").fetchone() == ("Wang Fang", 3)
    send(till, key, 3, Change("cashier", "upsert", {**cashier, "pin_hash": hash_pin("4321", 4)}))
    stored, failures = till.ctx.sql("SELECT pin_hash, failed_attempts FROM cashier").fetchone()
    assert failures == 0 and verify_pin("4321", stored) and not verify_pin("1234", stored)
    send(till, key, 4, Change("cashier", "upsert", {**cashier, "active": False}))
    assert till.ctx.sql("SELECT active FROM cashier").fetchone() == (0,)


def test_a_scheduled_price_takes_effect_at_its_time_without_the_network(till, key):
    clock = till.ctx.clock
    send(till, key, 1, TAX, product("COLA", 300), kind="snapshot")
    effective = clock.now + timedelta(hours=1)
    send(till, key, 2, Change("price_schedule", "upsert", {"id": "p1", "sku": "COLA", "price": 250,
                                                           "effective_at": utc_iso(effective)}))
    assert apply_due_prices(till.ctx) == 0 and till.products()["COLA"]["price"] == 300
    clock.now = effective - timedelta(seconds=1)
    assert apply_due_prices(till.ctx) == 0
    clock.now = effective
    assert apply_due_prices(till.ctx) == 1 and till.products()["COLA"]["price"] == 250
    assert apply_due_prices(till.ctx) == 0  # once


def test_a_price_issued_before_an_applied_schedule_does_not_undo_it(till, key):
    """Head office set 320 at 09:30, and a schedule made the price 250 at 10:00; a till that
    was offline and applies the 09:30 change set at 10:30 keeps 250, as head office has."""
    clock = till.ctx.clock
    send(till, key, 1, TAX, product("COLA", 300), kind="snapshot")
    send(till, key, 2, Change("price_schedule", "upsert", {"id": "p1", "sku": "COLA", "price": 250,
                                                           "effective_at": "2026-11-23T10:00:00Z"}))
    clock.now = datetime(2026, 11, 23, 10, 30)
    assert apply_due_prices(till.ctx) == 1
    send(till, key, 3, product("COLA", 320, active=True), issued_at="2026-11-23T09:30:00Z")
    assert till.products()["COLA"]["price"] == 250
    send(till, key, 4, product("COLA", 330), issued_at="2026-11-23T10:20:00Z")
    assert till.products()["COLA"]["price"] == 330


def test_a_due_schedule_in_a_change_set_applies_before_the_next_change_set(till, key):
    clock = till.ctx.clock
    clock.now = datetime(2026, 11, 23, 11, 0)
    send(till, key, 1, TAX, product("COLA", 300), kind="snapshot")
    send(till, key, 2, Change("price_schedule", "upsert", {"id": "p1", "sku": "COLA", "price": 250,
                                                           "effective_at": "2026-11-23T10:00:00Z"}),
         issued_at="2026-11-23T08:00:00Z")
    assert till.products()["COLA"]["price"] == 250
    send(till, key, 3, product("COLA", 270), issued_at="2026-11-23T10:30:00Z")
    assert till.products()["COLA"]["price"] == 270


def test_members_tiers_and_promotions_arrive_with_the_tills_own_ids(till, key):
    send(till, key, 1, TAX, Change("category", "upsert", {"code": "drinks", "name": "饮料", "parent": None}),
         product("COLA", 300), kind="snapshot")
    tier = Change("member_tier", "upsert", {"code": "vip", "name": "VIP", "rank": 9, "discount_bp": 800,
                                            "min_spend": 0})
    member = Change("member", "upsert", {"uuid": "8a1f0c2e-5b1d-4c7e-9a35-0d6a2f4b7c11", "card_no": "M0001",
                                         "phone": None, "name": "张伟", "tier": "vip", "active": True})
    promo = Change("promotion", "upsert", {
        "code": "DRINKS20", "name": "饮料八折", "kind": "percent_off",
        "params": {"percent_bp": 2000, "products": ["COLA"], "categories": ["drinks"]},
        "member_only": False, "starts_at": "2026-11-01T00:00:00", "ends_at": None, "days_of_week": [6, 7],
        "stores": [], "combinable": True, "priority": 10, "active": True})
    assert send(till, key, 2, tier, member, promo).action == "applied"
    cola = till.ctx.sql("SELECT id FROM product WHERE sku = 'COLA'").fetchone()[0]
    drinks = till.ctx.sql("SELECT id FROM category WHERE code = 'drinks'").fetchone()[0]
    row = till.ctx.sql("SELECT kind, params, days_of_week, starts_at, active FROM promotion").fetchone()
    assert row == ("percent_off", f'{{"categories": [{drinks}], "percent_bp": 2000, "products": [{cola}]}}', "67",
                   "2026-11-01 00:00:00", 1)
    # the till's own promotions service reads the row as one of its own
    from appliance.services.promotions import _load

    [offer] = _load(till.use())
    assert (offer.code, offer.products, offer.categories, offer.days_of_week, offer.percent_bp) == \
        ("DRINKS20", frozenset({cola}), frozenset({drinks}), frozenset({6, 7}), 2000)
    assert till.ctx.sql("SELECT name, tier_id, points FROM member").fetchone() == ("张伟", "vip", 0)
    broken = Change("promotion", "upsert", {**promo.data, "code": "BAD", "params": {"percent_bp": 0}})
    outcome = send(till, key, 3, broken)
    assert outcome.action == "rejected" and "percent_bp" in outcome.detail
    # a snapshot without the promotion ends it
    send(till, key, 5, TAX, product("COLA", 300), kind="snapshot")
    assert till.ctx.sql("SELECT active FROM promotion WHERE code = 'DRINKS20'").fetchone() == (0,)


def test_a_large_first_snapshot_is_searchable(till, key):
    changes = [TAX] + [product(f"SKU{i:05d}", 100 + i) for i in range(BULK_INSERT + 10)]
    changes.append(Change("product", "upsert", {**product("TEA", 500).data, "name": "乌龙茶 Oolong tea"}))
    assert send(till, key, 1, *changes, kind="snapshot", compress=True).action == "applied"
    found = till.ctx.sql("SELECT p.sku FROM product_search s JOIN product p ON p.id = s.rowid "
                         "WHERE product_search MATCH '\"乌龙茶\"'").fetchall()
    assert found == [("TEA",)]
    # the per-row trigger is back: a product added later is found too
    send(till, key, 2, Change("product", "upsert", {**product("JUICE", 500).data, "name": "橙汁 orange"}))
    assert till.ctx.sql("SELECT COUNT(*) FROM product_search WHERE product_search MATCH '\"orange\"'").fetchone() \
        == (1,)
    assert till.ctx.sql("PRAGMA integrity_check").fetchone() == ("ok",)


def test_head_is_recorded_and_says_whether_the_till_is_behind(till, key):
    from fleetpos.messages import CatalogHead

    send(till, key, 1, TAX, kind="snapshot")
    behind = receive(till.ctx, key.seal(CatalogHead(STORE, 5, utc_iso(till.ctx.clock())).encode()), store_id=STORE)
    assert (behind.action, behind.version, behind.head) == ("behind", 1, 5)
    assert catalog_state(till.ctx)[:2] == (1, 5)
    older = receive(till.ctx, key.seal(CatalogHead(STORE, 1, utc_iso(till.ctx.clock())).encode()), store_id=STORE)
    assert older.head == 5  # a stale head never lowers what is known


def test_sync_models_match_the_tables_migration_4_builds(till):
    from appliance.sync.models import SYNC_MODELS

    for model in SYNC_MODELS:
        table = model._meta.table_name
        columns = {row[1] for row in till.ctx.sql(f"PRAGMA table_info({table})")}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, table


def test_the_trusted_key_is_kept_and_catalog_state_is_one_row(till, key):
    keys = till.ctx.sql("SELECT key_id, public_key FROM catalog_key").fetchall()
    assert keys == [(key.key_id, key.public_key_b64)] and len(base64.b64decode(keys[0][1])) == 32
    with pytest.raises(sqlite3.IntegrityError):
        till.ctx.sql("INSERT INTO catalog_state (id, version, head_version) VALUES (2, 0, 0)")
