"""The till's schema, as numbered migrations.

Each migration is plain SQL and never changes once released: a later release adds a
migration, it does not edit an old one (tests/test_migrations.py checks that the
models match what the migrations build). Timestamps are UTC text as peewee writes
them ('YYYY-MM-DD HH:MM:SS.ffffff'); money is INTEGER minor units; quantities INTEGER
milli-units.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    statements: tuple[str, ...]


INITIAL = (
    """CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        applied_at TEXT NOT NULL)""",
    """CREATE TABLE tax_class (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000))""",
    """CREATE TABLE category (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        parent_id INTEGER REFERENCES category (id) ON DELETE SET NULL)""",
    """CREATE TABLE product (
        id INTEGER PRIMARY KEY,
        sku TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        category_id INTEGER REFERENCES category (id) ON DELETE SET NULL,
        unit TEXT NOT NULL CHECK (unit IN ('each', 'kg')),
        price INTEGER NOT NULL CHECK (price >= 0),
        cost_price INTEGER CHECK (cost_price >= 0),
        tax_class_id TEXT NOT NULL REFERENCES tax_class (code),
        scale_code TEXT UNIQUE,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX product_category ON product (category_id)",
    """CREATE TABLE barcode (
        code TEXT PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES product (id) ON DELETE CASCADE)""",
    "CREATE INDEX barcode_product ON barcode (product_id)",
    """CREATE TABLE cashier (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'admin')),
        pin_hash TEXT NOT NULL,
        locale TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE till_session (
        token TEXT PRIMARY KEY,
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        ended_at TEXT)""",
    """CREATE TABLE counter (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL)""",
    """CREATE TABLE shift (
        uuid TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        opened_by_id INTEGER NOT NULL REFERENCES cashier (id),
        opened_at TEXT NOT NULL,
        opening_float INTEGER NOT NULL CHECK (opening_float >= 0),
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        closed_by_id INTEGER REFERENCES cashier (id),
        closed_at TEXT,
        report_json TEXT,
        UNIQUE (device_id, number))""",
    "CREATE UNIQUE INDEX shift_one_open_per_device ON shift (device_id) WHERE status = 'open'",
    """CREATE TRIGGER shift_closed_is_immutable BEFORE UPDATE ON shift
        WHEN OLD.status = 'closed'
        BEGIN SELECT RAISE(ABORT, 'shift is closed and cannot change'); END""",
    """CREATE TRIGGER shift_closed_not_deleted BEFORE DELETE ON shift
        WHEN OLD.status = 'closed'
        BEGIN SELECT RAISE(ABORT, 'shift is closed and cannot change'); END""",
    """CREATE TABLE cash_movement (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        shift_id TEXT NOT NULL REFERENCES shift (uuid),
        kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
        amount INTEGER NOT NULL CHECK (amount > 0),
        reason TEXT NOT NULL,
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        approved_by_id INTEGER REFERENCES cashier (id),
        created_at TEXT NOT NULL)""",
    """CREATE TRIGGER cash_movement_needs_open_shift BEFORE INSERT ON cash_movement
        WHEN (SELECT status FROM shift WHERE uuid = NEW.shift_id) <> 'open'
        BEGIN SELECT RAISE(ABORT, 'shift is closed and cannot change'); END""",
    """CREATE TRIGGER cash_movement_is_immutable BEFORE UPDATE ON cash_movement
        BEGIN SELECT RAISE(ABORT, 'cash movements cannot change'); END""",
    """CREATE TABLE sale (
        uuid TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'parked', 'completed', 'voided')),
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        shift_id TEXT REFERENCES shift (uuid),
        receipt_no TEXT UNIQUE,
        currency TEXT NOT NULL,
        tax_mode TEXT NOT NULL,
        order_discount_kind TEXT CHECK (order_discount_kind IN ('percent', 'amount')),
        order_discount_value INTEGER,
        subtotal INTEGER NOT NULL DEFAULT 0,
        discount_total INTEGER NOT NULL DEFAULT 0,
        tax_total INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        rounding INTEGER NOT NULL DEFAULT 0,
        paid INTEGER NOT NULL DEFAULT 0,
        change INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        parked_at TEXT,
        completed_at TEXT)""",
    "CREATE UNIQUE INDEX sale_one_open_per_device ON sale (device_id) WHERE status = 'open'",
    "CREATE INDEX sale_status ON sale (status, completed_at)",
    "CREATE INDEX sale_shift ON sale (shift_id)",
    """CREATE TRIGGER sale_finished_is_immutable BEFORE UPDATE ON sale
        WHEN OLD.status IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TRIGGER sale_finished_not_deleted BEFORE DELETE ON sale
        WHEN OLD.status IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TABLE sale_line (
        id INTEGER PRIMARY KEY,
        sale_id TEXT NOT NULL REFERENCES sale (uuid) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        product_id INTEGER NOT NULL REFERENCES product (id),
        sku TEXT NOT NULL,
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        barcode TEXT,
        qty_milli INTEGER NOT NULL CHECK (qty_milli > 0),
        list_price INTEGER NOT NULL,
        unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
        price_source TEXT NOT NULL CHECK (price_source IN ('catalog', 'override', 'barcode')),
        fixed_gross INTEGER,
        discount_kind TEXT CHECK (discount_kind IN ('percent', 'amount')),
        discount_value INTEGER,
        tax_class TEXT NOT NULL,
        tax_rate_bp INTEGER NOT NULL,
        cost_price INTEGER,
        gross INTEGER NOT NULL DEFAULT 0,
        line_discount INTEGER NOT NULL DEFAULT 0,
        order_discount INTEGER NOT NULL DEFAULT 0,
        net INTEGER NOT NULL DEFAULT 0,
        tax INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX sale_line_sale ON sale_line (sale_id, position)",
    "CREATE INDEX sale_line_product ON sale_line (product_id)",
    """CREATE TRIGGER sale_line_frozen_insert BEFORE INSERT ON sale_line
        WHEN (SELECT status FROM sale WHERE uuid = NEW.sale_id) IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TRIGGER sale_line_frozen_update BEFORE UPDATE ON sale_line
        WHEN (SELECT status FROM sale WHERE uuid = OLD.sale_id) IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TRIGGER sale_line_frozen_delete BEFORE DELETE ON sale_line
        WHEN (SELECT status FROM sale WHERE uuid = OLD.sale_id) IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TABLE payment (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        sale_id TEXT NOT NULL REFERENCES sale (uuid) ON DELETE CASCADE,
        shift_id TEXT NOT NULL REFERENCES shift (uuid),
        method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'wechat', 'alipay')),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        tendered INTEGER NOT NULL CHECK (tendered >= amount),
        reference TEXT,
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        created_at TEXT NOT NULL)""",
    "CREATE INDEX payment_sale ON payment (sale_id)",
    "CREATE INDEX payment_shift ON payment (shift_id)",
    """CREATE TRIGGER payment_needs_open_shift BEFORE INSERT ON payment
        WHEN (SELECT status FROM shift WHERE uuid = NEW.shift_id) <> 'open'
        BEGIN SELECT RAISE(ABORT, 'shift is closed and cannot change'); END""",
    """CREATE TRIGGER payment_frozen_insert BEFORE INSERT ON payment
        WHEN (SELECT status FROM sale WHERE uuid = NEW.sale_id) IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TRIGGER payment_is_immutable BEFORE UPDATE ON payment
        BEGIN SELECT RAISE(ABORT, 'payments cannot change'); END""",
    """CREATE TRIGGER payment_frozen_delete BEFORE DELETE ON payment
        WHEN (SELECT status FROM sale WHERE uuid = OLD.sale_id) IN ('completed', 'voided')
        BEGIN SELECT RAISE(ABORT, 'a completed or voided sale cannot change'); END""",
    """CREATE TABLE stock_move (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        product_id INTEGER NOT NULL REFERENCES product (id),
        qty_milli INTEGER NOT NULL,
        kind TEXT NOT NULL,
        reference TEXT,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX stock_move_product ON stock_move (product_id)",
    """CREATE TABLE audit_entry (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL,
        cashier_id INTEGER REFERENCES cashier (id),
        approved_by_id INTEGER REFERENCES cashier (id),
        subject TEXT,
        details TEXT NOT NULL DEFAULT '{}')""",
    "CREATE INDEX audit_entry_time ON audit_entry (created_at)",
    """CREATE TRIGGER audit_entry_append_only_update BEFORE UPDATE ON audit_entry
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_entry_append_only_delete BEFORE DELETE ON audit_entry
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        record_uuid TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        acked_at TEXT)""",
    "CREATE INDEX outbox_pending ON outbox (seq) WHERE acked_at IS NULL",
)

# Substring search over product names and SKUs that stays fast at 100,000 products,
# for Latin and Chinese text alike (trigram tokens; shorter queries use a bounded scan).
PRODUCT_SEARCH = (
    """CREATE VIRTUAL TABLE product_search USING fts5(
        sku, name, content='product', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN
        INSERT INTO product_search (rowid, sku, name) VALUES (NEW.id, NEW.sku, NEW.name);
    END""",
    """CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN
        INSERT INTO product_search (product_search, rowid, sku, name)
            VALUES ('delete', OLD.id, OLD.sku, OLD.name);
    END""",
    """CREATE TRIGGER product_search_update AFTER UPDATE OF sku, name ON product BEGIN
        INSERT INTO product_search (product_search, rowid, sku, name)
            VALUES ('delete', OLD.id, OLD.sku, OLD.name);
        INSERT INTO product_search (rowid, sku, name) VALUES (NEW.id, NEW.sku, NEW.name);
    END""",
    "INSERT INTO product_search (product_search) VALUES ('rebuild')",
)


# Promotions, members and points, refunds, stock levels, goods receipts and stock takes.
STORE_OPERATIONS = (
    "ALTER TABLE product ADD COLUMN low_stock_milli INTEGER",
    """CREATE TABLE member_tier (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        rank INTEGER NOT NULL UNIQUE,
        discount_bp INTEGER NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
        min_spend INTEGER NOT NULL DEFAULT 0 CHECK (min_spend >= 0))""",
    "INSERT INTO member_tier VALUES ('normal', '普通会员 Normal', 0, 0, 0)",
    "INSERT INTO member_tier VALUES ('silver', '银卡会员 Silver', 1, 200, 200000)",
    "INSERT INTO member_tier VALUES ('gold', '金卡会员 Gold', 2, 500, 1000000)",
    """CREATE TABLE member (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        card_no TEXT NOT NULL UNIQUE,
        phone TEXT UNIQUE,
        name TEXT NOT NULL,
        tier_id TEXT NOT NULL REFERENCES member_tier (code),
        points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
        total_spend INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE points_move (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        member_id INTEGER NOT NULL REFERENCES member (id),
        delta INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'refund_earned', 'refund_redeemed', 'adjust')),
        reference TEXT,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX points_move_member ON points_move (member_id, id)",
    """CREATE TRIGGER points_move_balance AFTER INSERT ON points_move BEGIN
        UPDATE member SET points = points + NEW.delta WHERE id = NEW.member_id;
    END""",
    """CREATE TRIGGER points_move_append_only BEFORE UPDATE ON points_move
        BEGIN SELECT RAISE(ABORT, 'points history is append-only'); END""",
    "ALTER TABLE sale ADD COLUMN member_id INTEGER REFERENCES member (id)",
    "ALTER TABLE sale ADD COLUMN promo_discount INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale ADD COLUMN member_discount INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale ADD COLUMN points_redeemed INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale ADD COLUMN points_discount INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale ADD COLUMN points_earned INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale ADD COLUMN promotions TEXT",
    "ALTER TABLE sale_line ADD COLUMN category_id INTEGER",
    "ALTER TABLE sale_line ADD COLUMN promo_discount INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sale_line ADD COLUMN promotions TEXT",
    """CREATE TABLE promotion (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('percent_off', 'amount_off', 'buy_x_get_y', 'n_for_price', 'spend_save')),
        params TEXT NOT NULL,
        member_only INTEGER NOT NULL DEFAULT 0,
        starts_at TEXT,
        ends_at TEXT,
        days_of_week TEXT NOT NULL DEFAULT '',
        stores TEXT NOT NULL DEFAULT '[]',
        combinable INTEGER NOT NULL DEFAULT 1,
        priority INTEGER NOT NULL DEFAULT 100,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE refund (
        uuid TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        number TEXT NOT NULL UNIQUE,
        sale_id TEXT REFERENCES sale (uuid),
        shift_id TEXT NOT NULL REFERENCES shift (uuid),
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        approved_by_id INTEGER REFERENCES cashier (id),
        member_id INTEGER REFERENCES member (id),
        reason TEXT NOT NULL,
        total INTEGER NOT NULL CHECK (total >= 0),
        tax_total INTEGER NOT NULL,
        rounding INTEGER NOT NULL DEFAULT 0,
        payout INTEGER NOT NULL CHECK (payout >= 0),
        points_reversed INTEGER NOT NULL DEFAULT 0,
        points_returned INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX refund_sale ON refund (sale_id)",
    "CREATE INDEX refund_time ON refund (created_at)",
    "CREATE INDEX refund_shift ON refund (shift_id)",
    """CREATE TRIGGER refund_needs_open_shift BEFORE INSERT ON refund
        WHEN (SELECT status FROM shift WHERE uuid = NEW.shift_id) <> 'open'
        BEGIN SELECT RAISE(ABORT, 'shift is closed and cannot change'); END""",
    """CREATE TRIGGER refund_is_immutable BEFORE UPDATE ON refund
        BEGIN SELECT RAISE(ABORT, 'a refund cannot change'); END""",
    """CREATE TRIGGER refund_not_deleted BEFORE DELETE ON refund
        BEGIN SELECT RAISE(ABORT, 'a refund cannot change'); END""",
    """CREATE TABLE refund_line (
        id INTEGER PRIMARY KEY,
        refund_id TEXT NOT NULL REFERENCES refund (uuid),
        sale_line_id INTEGER REFERENCES sale_line (id),
        product_id INTEGER NOT NULL REFERENCES product (id),
        sku TEXT NOT NULL,
        name TEXT NOT NULL,
        qty_milli INTEGER NOT NULL CHECK (qty_milli > 0),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        tax INTEGER NOT NULL,
        tax_rate_bp INTEGER NOT NULL,
        restock INTEGER NOT NULL DEFAULT 1)""",
    "CREATE INDEX refund_line_refund ON refund_line (refund_id)",
    "CREATE INDEX refund_line_sale_line ON refund_line (sale_line_id)",
    """CREATE TRIGGER refund_line_never_more_than_sold BEFORE INSERT ON refund_line
        WHEN NEW.sale_line_id IS NOT NULL AND
             (SELECT COALESCE(SUM(qty_milli), 0) FROM refund_line WHERE sale_line_id = NEW.sale_line_id)
             + NEW.qty_milli > (SELECT qty_milli FROM sale_line WHERE id = NEW.sale_line_id)
        BEGIN SELECT RAISE(ABORT, 'refund is more than was sold'); END""",
    """CREATE TRIGGER refund_line_is_immutable BEFORE UPDATE ON refund_line
        BEGIN SELECT RAISE(ABORT, 'a refund cannot change'); END""",
    """CREATE TABLE refund_payment (
        id INTEGER PRIMARY KEY,
        refund_id TEXT NOT NULL REFERENCES refund (uuid),
        method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'wechat', 'alipay')),
        amount INTEGER NOT NULL CHECK (amount > 0),
        reference TEXT)""",
    "CREATE INDEX refund_payment_refund ON refund_payment (refund_id)",
    """CREATE TRIGGER refund_payment_is_immutable BEFORE UPDATE ON refund_payment
        BEGIN SELECT RAISE(ABORT, 'a refund cannot change'); END""",
    "ALTER TABLE stock_move ADD COLUMN reason TEXT",
    "ALTER TABLE stock_move ADD COLUMN cost_price INTEGER",
    """CREATE TRIGGER stock_move_is_immutable BEFORE UPDATE ON stock_move
        BEGIN SELECT RAISE(ABORT, 'stock moves cannot change: add a correcting move'); END""",
    """CREATE TABLE stock_level (
        product_id INTEGER PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
        qty_milli INTEGER NOT NULL DEFAULT 0)""",
    "INSERT INTO stock_level (product_id, qty_milli) SELECT product_id, SUM(qty_milli) FROM stock_move GROUP BY product_id",
    """CREATE TRIGGER stock_move_level AFTER INSERT ON stock_move BEGIN
        INSERT INTO stock_level (product_id, qty_milli) VALUES (NEW.product_id, NEW.qty_milli)
            ON CONFLICT (product_id) DO UPDATE SET qty_milli = qty_milli + NEW.qty_milli;
    END""",
    """CREATE TABLE goods_receipt (
        uuid TEXT PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        supplier TEXT NOT NULL,
        reference TEXT,
        cashier_id INTEGER NOT NULL REFERENCES cashier (id),
        created_at TEXT NOT NULL)""",
    """CREATE TABLE stock_take (
        uuid TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('open', 'applied', 'cancelled')),
        note TEXT,
        created_by_id INTEGER NOT NULL REFERENCES cashier (id),
        created_at TEXT NOT NULL,
        finished_by_id INTEGER REFERENCES cashier (id),
        finished_at TEXT,
        report TEXT)""",
    "CREATE UNIQUE INDEX stock_take_one_open ON stock_take (status) WHERE status = 'open'",
    """CREATE TRIGGER stock_take_finished_is_immutable BEFORE UPDATE ON stock_take
        WHEN OLD.status <> 'open'
        BEGIN SELECT RAISE(ABORT, 'a finished stock take cannot change'); END""",
    """CREATE TABLE stock_take_line (
        stock_take_id TEXT NOT NULL REFERENCES stock_take (uuid),
        product_id INTEGER NOT NULL REFERENCES product (id),
        counted_milli INTEGER NOT NULL CHECK (counted_milli >= 0),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (stock_take_id, product_id))""",
    """CREATE TRIGGER stock_take_line_needs_open BEFORE INSERT ON stock_take_line
        WHEN (SELECT status FROM stock_take WHERE uuid = NEW.stock_take_id) <> 'open'
        BEGIN SELECT RAISE(ABORT, 'a finished stock take cannot change'); END""",
    """CREATE TRIGGER stock_take_line_update_needs_open BEFORE UPDATE ON stock_take_line
        WHEN (SELECT status FROM stock_take WHERE uuid = OLD.stock_take_id) <> 'open'
        BEGIN SELECT RAISE(ABORT, 'a finished stock take cannot change'); END""",
    "CREATE INDEX sale_member ON sale (member_id)",
    # Report aggregates per UTC hour, kept by triggers in the transaction that completes the
    # sale or writes the refund, so a day report reads a few thousand rows, not every line.
    """CREATE TABLE report_sales (
        bucket TEXT NOT NULL, cashier_id INTEGER NOT NULL, count INTEGER NOT NULL, subtotal INTEGER NOT NULL,
        discount_total INTEGER NOT NULL, tax_total INTEGER NOT NULL, total INTEGER NOT NULL,
        rounding INTEGER NOT NULL, member_discount INTEGER NOT NULL, points_discount INTEGER NOT NULL,
        promo_discount INTEGER NOT NULL, PRIMARY KEY (bucket, cashier_id)) WITHOUT ROWID""",
    """CREATE TABLE report_lines (
        bucket TEXT NOT NULL, product_id INTEGER NOT NULL, category_id INTEGER NOT NULL, sku TEXT NOT NULL,
        name TEXT NOT NULL, qty_milli INTEGER NOT NULL, net INTEGER NOT NULL, tax INTEGER NOT NULL,
        cost_milli INTEGER NOT NULL, costed_net INTEGER NOT NULL, costed_tax INTEGER NOT NULL,
        uncosted INTEGER NOT NULL, promo INTEGER NOT NULL, line_disc INTEGER NOT NULL,
        PRIMARY KEY (bucket, product_id, category_id)) WITHOUT ROWID""",
    """CREATE TABLE report_payments (
        bucket TEXT NOT NULL, method TEXT NOT NULL, count INTEGER NOT NULL, amount INTEGER NOT NULL,
        PRIMARY KEY (bucket, method)) WITHOUT ROWID""",
    """CREATE TABLE report_refunds (
        bucket TEXT NOT NULL, cashier_id INTEGER NOT NULL, count INTEGER NOT NULL, total INTEGER NOT NULL,
        tax_total INTEGER NOT NULL, payout INTEGER NOT NULL, PRIMARY KEY (bucket, cashier_id)) WITHOUT ROWID""",
    """CREATE TABLE report_refund_lines (
        bucket TEXT NOT NULL, product_id INTEGER NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL,
        qty_milli INTEGER NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (bucket, product_id)) WITHOUT ROWID""",
    """CREATE TABLE report_refund_payments (
        bucket TEXT NOT NULL, method TEXT NOT NULL, amount INTEGER NOT NULL,
        PRIMARY KEY (bucket, method)) WITHOUT ROWID""",
    """CREATE TRIGGER report_sale_completed AFTER UPDATE OF status ON sale
        WHEN NEW.status = 'completed' AND OLD.status <> 'completed' BEGIN
        INSERT INTO report_sales VALUES (substr(NEW.completed_at, 1, 13), NEW.cashier_id, 1, NEW.subtotal,
            NEW.discount_total, NEW.tax_total, NEW.total, NEW.rounding, NEW.member_discount, NEW.points_discount,
            NEW.promo_discount)
            ON CONFLICT DO UPDATE SET count = count + 1, subtotal = subtotal + excluded.subtotal,
            discount_total = discount_total + excluded.discount_total, tax_total = tax_total + excluded.tax_total,
            total = total + excluded.total, rounding = rounding + excluded.rounding,
            member_discount = member_discount + excluded.member_discount,
            points_discount = points_discount + excluded.points_discount,
            promo_discount = promo_discount + excluded.promo_discount;
        INSERT INTO report_lines SELECT substr(NEW.completed_at, 1, 13), product_id, COALESCE(category_id, 0),
            MAX(sku), MAX(name), SUM(qty_milli), SUM(net), SUM(tax), COALESCE(SUM(cost_price * qty_milli), 0),
            SUM(CASE WHEN cost_price IS NULL THEN 0 ELSE net END), SUM(CASE WHEN cost_price IS NULL THEN 0 ELSE tax END),
            SUM(cost_price IS NULL), SUM(promo_discount), SUM(line_discount)
            FROM sale_line WHERE sale_id = NEW.uuid GROUP BY product_id, category_id
            ON CONFLICT DO UPDATE SET qty_milli = qty_milli + excluded.qty_milli, net = net + excluded.net,
            tax = tax + excluded.tax, cost_milli = cost_milli + excluded.cost_milli,
            costed_net = costed_net + excluded.costed_net, costed_tax = costed_tax + excluded.costed_tax,
            uncosted = uncosted + excluded.uncosted, promo = promo + excluded.promo,
            line_disc = line_disc + excluded.line_disc;
        INSERT INTO report_payments SELECT substr(NEW.completed_at, 1, 13), method, COUNT(*), SUM(amount)
            FROM payment WHERE sale_id = NEW.uuid GROUP BY method
            ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
    END""",
    """CREATE TRIGGER report_refund AFTER INSERT ON refund BEGIN
        INSERT INTO report_refunds VALUES (substr(NEW.created_at, 1, 13), NEW.cashier_id, 1, NEW.total,
            NEW.tax_total, NEW.payout)
            ON CONFLICT DO UPDATE SET count = count + 1, total = total + excluded.total,
            tax_total = tax_total + excluded.tax_total, payout = payout + excluded.payout;
    END""",
    """CREATE TRIGGER report_refund_line AFTER INSERT ON refund_line BEGIN
        INSERT INTO report_refund_lines VALUES ((SELECT substr(created_at, 1, 13) FROM refund WHERE uuid = NEW.refund_id),
            NEW.product_id, NEW.sku, NEW.name, NEW.qty_milli, NEW.amount)
            ON CONFLICT DO UPDATE SET qty_milli = qty_milli + excluded.qty_milli, amount = amount + excluded.amount;
    END""",
    """CREATE TRIGGER report_refund_payment AFTER INSERT ON refund_payment BEGIN
        INSERT INTO report_refund_payments VALUES ((SELECT substr(created_at, 1, 13) FROM refund WHERE uuid = NEW.refund_id),
            NEW.method, NEW.amount)
            ON CONFLICT DO UPDATE SET amount = amount + excluded.amount;
    END""",
    # figures of sales completed before this migration
    """INSERT INTO report_sales SELECT substr(completed_at, 1, 13), cashier_id, COUNT(*), SUM(subtotal),
        SUM(discount_total), SUM(tax_total), SUM(total), SUM(rounding), 0, 0, 0
        FROM sale WHERE status = 'completed' GROUP BY 1, 2""",
    """INSERT INTO report_lines SELECT substr(s.completed_at, 1, 13), l.product_id, COALESCE(l.category_id, 0),
        MAX(l.sku), MAX(l.name), SUM(l.qty_milli), SUM(l.net), SUM(l.tax), COALESCE(SUM(l.cost_price * l.qty_milli), 0),
        SUM(CASE WHEN l.cost_price IS NULL THEN 0 ELSE l.net END), SUM(CASE WHEN l.cost_price IS NULL THEN 0 ELSE l.tax END),
        SUM(l.cost_price IS NULL), 0, SUM(l.line_discount)
        FROM sale_line l JOIN sale s ON s.uuid = l.sale_id WHERE s.status = 'completed' GROUP BY 1, 2, 3""",
    """INSERT INTO report_payments SELECT substr(s.completed_at, 1, 13), p.method, COUNT(*), SUM(p.amount)
        FROM payment p JOIN sale s ON s.uuid = p.sale_id WHERE s.status = 'completed' GROUP BY 1, 2""",
)

# Sync with head office (appliance/sync, docs/protocol.md): the till's identity and broker
# credentials from enrollment, the keys that sign its catalog, the catalog version it
# has applied, scheduled prices, device states for the status report, and records head
# office refused (kept there as dead letters).
SYNC = (
    """CREATE TABLE sync_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        broker_host TEXT NOT NULL,
        broker_port INTEGER NOT NULL,
        broker_tls INTEGER NOT NULL DEFAULT 0,
        ca_pem TEXT,
        username TEXT NOT NULL,
        password TEXT NOT NULL,
        heartbeat_seconds INTEGER NOT NULL,
        enrolled_at TEXT NOT NULL)""",
    """CREATE TABLE catalog_key (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        added_at TEXT NOT NULL)""",
    """CREATE TABLE catalog_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        head_version INTEGER NOT NULL,
        updated_at TEXT,
        last_error TEXT)""",
    "INSERT INTO catalog_state (id, version, head_version) VALUES (1, 0, 0)",
    """CREATE TABLE catalog_change_log (
        id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('changeset', 'snapshot')),
        change_count INTEGER NOT NULL,
        issued_at TEXT NOT NULL,
        applied_at TEXT NOT NULL)""",
    """CREATE TABLE scheduled_price (
        id TEXT PRIMARY KEY,
        sku TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price >= 0),
        effective_at TEXT NOT NULL,
        applied_at TEXT)""",
    "CREATE INDEX scheduled_price_due ON scheduled_price (effective_at) WHERE applied_at IS NULL",
    "CREATE INDEX scheduled_price_sku ON scheduled_price (sku, effective_at)",
    """CREATE TABLE device_state (
        name TEXT PRIMARY KEY,
        available INTEGER NOT NULL,
        backend TEXT,
        message TEXT,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE outbox_rejection (
        record_uuid TEXT PRIMARY KEY,
        error TEXT NOT NULL,
        rejected_at TEXT NOT NULL)""",
)

# The kiosk's status bar asks every few seconds when head office last acknowledged a
# record; the outbox is never pruned, so without this that is a scan of every sale ever made.
# Partial: a new (unacknowledged) row adds nothing to it on the sale path.
OUTBOX_ACKED = (
    "CREATE INDEX outbox_acked ON outbox (acked_at) WHERE acked_at IS NOT NULL",
)

# Whether the customer wants the sale's receipt printed ("No receipt" at payment). It is
# kept with the sale so a till restart or another browser between the choice and the
# payment keeps it; set only while the sale is not finished (sale_finished_is_immutable).
RECEIPT_CHOICE = (
    "ALTER TABLE sale ADD COLUMN receipt_wanted INTEGER NOT NULL DEFAULT 1 CHECK (receipt_wanted IN (0, 1))",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial till schema", INITIAL),
    Migration(2, "product name and SKU search index", PRODUCT_SEARCH),
    Migration(3, "promotions, members, refunds and stock control", STORE_OPERATIONS),
    Migration(4, "sync with head office: identity, catalog version, scheduled prices", SYNC),
    Migration(5, "index of acknowledged outbox rows (the status bar's last acknowledgement)", OUTBOX_ACKED),
    Migration(6, "the customer's receipt choice kept with the sale", RECEIPT_CHOICE),
)
