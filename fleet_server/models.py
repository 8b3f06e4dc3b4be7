"""Head office's tables (peewee), on SQLite or PostgreSQL by DATABASE_URL.

The models are bound to the database through `database_proxy`; `db.open_database()`
initialises it. Times are naive UTC; money is integer minor units.
"""

from __future__ import annotations

from datetime import datetime, timezone

from peewee import (AutoField, BigIntegerField, BooleanField, CharField, DatabaseProxy, DateTimeField,
                    ForeignKeyField, IntegerField, Model, TextField)

database_proxy = DatabaseProxy()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Store(BaseModel):
    id = CharField(primary_key=True, max_length=64)
    name = CharField(max_length=200)
    #: where the store is (a label for people and for Ansible's inventory groups); added by migration 1
    region = CharField(default="", max_length=64)
    #: the store group: prices per store group, and an Ansible inventory group; added by migration 1
    group = CharField(default="", max_length=64)
    #: the latest change set version issued for this store (1 = the catalog as it was at creation)
    catalog_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    #: the store's IANA time zone, locale and currency as its till reports them (or as set in
    #: the console for a till too old to report them); None: not known, the tills' defaults
    #: (STORE_DEFAULTS) apply. The reports' days and hours are the store's local time. Migration 4.
    timezone = CharField(null=True, max_length=64)
    locale = CharField(null=True, max_length=16)
    currency = CharField(null=True, max_length=3)

    @property
    def effective_timezone(self) -> str:
        return self.timezone or STORE_DEFAULTS["timezone"]

    @property
    def effective_locale(self) -> str:
        return self.locale or STORE_DEFAULTS["locale"]

    @property
    def effective_currency(self) -> str:
        return self.currency or STORE_DEFAULTS["currency"]


#: what a store's till uses when its `[store]` section does not say (appliance/config.py)
STORE_DEFAULTS = {"timezone": "Asia/Shanghai", "locale": "zh-CN", "currency": "CNY"}


class Device(BaseModel):
    id = AutoField()
    store = ForeignKeyField(Store, backref="devices")
    device_id = CharField(max_length=64)
    username = CharField(unique=True, max_length=140)
    #: Mosquitto password-file hash of the device's broker password (the password itself is not kept)
    password_hash = CharField(null=True, max_length=300)
    state = CharField(default="pending", max_length=16)  # pending | active | revoked
    created_at = DateTimeField(default=utcnow)
    enrolled_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    online = BooleanField(default=False)
    last_seen = DateTimeField(null=True)
    last_status = TextField(null=True)
    catalog_version = IntegerField(null=True)
    catalog_error = TextField(null=True)
    #: records waiting in the till's outbox (its latest status); added by migration 2
    outbox_backlog = IntegerField(null=True)
    #: since when the backlog has only grown (None: it shrank or is empty); added by migration 2
    backlog_rising_since = DateTimeField(null=True)

    class Meta:
        indexes = ((("store", "device_id"), True),)


class EnrollmentToken(BaseModel):
    token_hash = CharField(primary_key=True, max_length=64)
    device = ForeignKeyField(Device, backref="tokens", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class TaxClass(BaseModel):
    code = CharField(primary_key=True, max_length=64)
    name = CharField(max_length=200)
    rate_bp = IntegerField()


class Category(BaseModel):
    code = CharField(primary_key=True, max_length=64)
    name = CharField(max_length=200)
    parent = CharField(null=True, max_length=64)


class Product(BaseModel):
    sku = CharField(primary_key=True, max_length=64)
    name = CharField(max_length=200)
    unit = CharField(default="each", max_length=8)
    price = IntegerField()
    cost_price = IntegerField(null=True)
    tax_class = CharField(max_length=64)
    category = CharField(null=True, max_length=64)
    scale_code = CharField(null=True, unique=True, max_length=6)
    active = BooleanField(default=True)
    barcodes = TextField(default="[]")  # JSON list, as sent to the tills
    updated_at = DateTimeField(default=utcnow)


class Barcode(BaseModel):
    """Which product a barcode belongs to (a code belongs to one product at a time)."""
    code = CharField(primary_key=True, max_length=64)
    sku = CharField(max_length=64, index=True)


class PriceSchedule(BaseModel):
    id = CharField(primary_key=True, max_length=64)
    sku = CharField(max_length=64, index=True)
    price = IntegerField()
    effective_at = DateTimeField(index=True)
    state = CharField(default="pending", max_length=16)  # pending | applied | cancelled
    created_at = DateTimeField(default=utcnow)


class MemberTier(BaseModel):
    code = CharField(primary_key=True, max_length=32)
    name = CharField(max_length=200)
    rank = IntegerField()
    discount_bp = IntegerField(default=0)
    min_spend = BigIntegerField(default=0)


class Member(BaseModel):
    """A member as head office manages them (points are kept by the tills' ledgers)."""
    uuid = CharField(primary_key=True, max_length=36)
    card_no = CharField(unique=True, max_length=32)
    phone = CharField(null=True, unique=True, max_length=21)
    name = CharField(max_length=64)
    tier = CharField(max_length=32)
    active = BooleanField(default=True)


class Promotion(BaseModel):
    """An offer; `data` is the promotion exactly as sent to the tills (JSON)."""
    code = CharField(primary_key=True, max_length=64)
    data = TextField()


class StoreCashier(BaseModel):
    id = AutoField()
    store = ForeignKeyField(Store, backref="cashiers")
    code = CharField(max_length=16)
    name = CharField(max_length=64)
    role = CharField(max_length=16)
    pin_hash = CharField(max_length=300)
    locale = CharField(null=True, max_length=16)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("store", "code"), True),)


class CatalogChange(BaseModel):
    """A signed change set as published (the exact MQTT payload), kept for replays."""
    id = AutoField()
    store = ForeignKeyField(Store, backref="changes")
    version = IntegerField()
    payload = TextField()
    change_count = IntegerField()
    created_at = DateTimeField(default=utcnow)
    published_at = DateTimeField(null=True, index=True)

    class Meta:
        indexes = ((("store", "version"), True),)


class ReceivedRecord(BaseModel):
    """A record from a till (sale, refund, shift close, audit entry, ...), stored once by its UUID."""
    id = AutoField()
    uuid = CharField(unique=True, max_length=36)
    kind = CharField(max_length=32)
    store_id = CharField(max_length=64)
    device_id = CharField(max_length=64)
    amount = BigIntegerField(null=True)
    payload = TextField()
    received_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("store_id", "kind"), False),)


class DeadLetter(BaseModel):
    """A message or record that could not be used, kept for a person to look at."""
    id = AutoField()
    topic = CharField(max_length=300)
    store_id = CharField(null=True, max_length=64)
    device_id = CharField(null=True, max_length=64)
    record_uuid = CharField(null=True, max_length=64)
    error = TextField()
    payload = TextField()
    received_at = DateTimeField(default=utcnow)


class SchemaVersion(BaseModel):
    """Which numbered migration steps (fleet_server/db.py MIGRATIONS) this database has had."""
    version = IntegerField(primary_key=True)
    applied_at = DateTimeField(default=utcnow)


class User(BaseModel):
    """A head office console user."""
    id = AutoField()
    username = CharField(unique=True, max_length=64)
    display_name = CharField(default="", max_length=200)
    role = CharField(max_length=32)
    password_hash = CharField(max_length=300)
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    #: the latest failed login (failures older than users.FAILURE_MEMORY are forgotten); migration 5
    last_failed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)


class LoginThrottle(BaseModel):
    """Failed logins for a submitted username that is no active user, counted exactly as a
    user's are, so a lock-out reads the same whether or not the account exists. Rows are
    forgotten after users.FAILURE_MEMORY (once any lock is over) and at most
    users.THROTTLE_ROWS are kept."""
    username = CharField(primary_key=True, max_length=64)
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_failed_at = DateTimeField(index=True)


class ConsoleSession(BaseModel):
    """A server-side console session; the cookie carries the token, the table its hash."""
    token_hash = CharField(primary_key=True, max_length=64)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    csrf_token = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()


class ApiToken(BaseModel):
    """A bearer token for scripts: shown once, stored hashed, with its own role."""
    id = AutoField()
    name = CharField(max_length=100)
    prefix = CharField(max_length=16)
    token_hash = CharField(unique=True, max_length=64)
    role = CharField(max_length=32)
    created_by = ForeignKeyField(User, null=True, backref="api_tokens", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class AuditEntry(BaseModel):
    """Who did what at head office, with the state before and after (JSON)."""
    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    actor = CharField(max_length=140)
    action = CharField(max_length=64, index=True)
    target = CharField(max_length=300)
    before = TextField(null=True)
    after = TextField(null=True)
    remote_addr = CharField(null=True, max_length=64)


MODELS = [Store, Device, EnrollmentToken, TaxClass, Category, Product, Barcode, PriceSchedule, MemberTier, Member,
          Promotion, StoreCashier,
          CatalogChange, ReceivedRecord, DeadLetter, SchemaVersion, User, LoginThrottle, ConsoleSession, ApiToken,
          AuditEntry]


# -- catalog: prices per store group / store, staged imports (fleet_server/catalog.py, imports.py) --------

from peewee import DateField  # noqa: E402  (the report tables below use it)


class PriceOverride(BaseModel):
    """A product's price in one store group or one store. A store's own price wins over
    its group's, which wins over the chain price (`product.price`); only the stores it
    concerns receive it."""
    id = AutoField()
    sku = CharField(max_length=64, index=True)
    scope = CharField(max_length=8)  # group | store
    scope_id = CharField(max_length=64)
    price = IntegerField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("sku", "scope", "scope_id"), True),)


class StorePriceGroup(BaseModel):
    """The group a store's prices were last sent for: a store found in another group is
    sent the prices the move changes (catalog.reprice_moved_stores)."""
    store_id = CharField(primary_key=True, max_length=64)
    group = CharField(default="", max_length=64)


class CatalogImport(BaseModel):
    """A checked catalog file waiting to be published (or published / discarded)."""
    id = AutoField()
    kind = CharField(max_length=16)  # products | prices
    filename = CharField(max_length=300)
    state = CharField(default="staged", max_length=16)  # staged | published | discarded
    total_rows = IntegerField()
    rows = TextField()  # JSON: the valid rows as the catalog services take them
    errors = TextField(default="[]")  # JSON: [{"row", "column", "message"}]
    created_by = CharField(max_length=140)
    created_at = DateTimeField(default=utcnow)
    published_by = CharField(null=True, max_length=140)
    published_at = DateTimeField(null=True)


# -- report tables, filled at ingest in the same transaction as the record (fleet_server/sales.py) --------
# Times are UTC; `day`/`hour` are the day and hour of the sale in the store's own time zone.

class SaleFact(BaseModel):
    uuid = CharField(primary_key=True, max_length=36)
    store_id = CharField(max_length=64)
    device_id = CharField(max_length=64)
    receipt_no = CharField(max_length=64, index=True)
    cashier = CharField(max_length=16)
    sold_at = DateTimeField()
    day = DateField()
    hour = IntegerField()
    currency = CharField(max_length=3)
    line_count = IntegerField()
    subtotal = BigIntegerField()
    discount_total = BigIntegerField()
    tax_total = BigIntegerField()
    total = BigIntegerField()
    #: the sale's takings without tax, and the cost of its goods (null parts count as unknown)
    revenue = BigIntegerField()
    cost = BigIntegerField(null=True)
    member_card = CharField(null=True, max_length=32)

    class Meta:
        indexes = ((("day", "store_id", "hour"), False), (("store_id", "sold_at"), False))


class SaleLineFact(BaseModel):
    id = AutoField()
    sale_uuid = CharField(max_length=36)
    position = IntegerField()
    store_id = CharField(max_length=64)
    day = DateField()
    hour = IntegerField()
    cashier = CharField(max_length=16)
    sku = CharField(max_length=64)
    name = CharField(max_length=200)
    category = CharField(null=True, max_length=64)
    qty_milli = BigIntegerField()
    net = BigIntegerField()
    tax = BigIntegerField()
    revenue = BigIntegerField()
    cost = BigIntegerField(null=True)

    class Meta:
        indexes = ((("sale_uuid", "position"), True), (("day", "sku"), False), (("day", "category"), False),
                   (("day", "store_id"), False))


class PaymentFact(BaseModel):
    """A payment of a sale (positive) or a refund's payout (negative)."""
    id = AutoField()
    record_uuid = CharField(max_length=36)
    seq = IntegerField()
    kind = CharField(max_length=8)  # sale | refund
    store_id = CharField(max_length=64)
    day = DateField()
    hour = IntegerField()
    method = CharField(max_length=32)
    amount = BigIntegerField()

    class Meta:
        indexes = ((("record_uuid", "seq"), True), (("day", "method"), False))


class RefundFact(BaseModel):
    uuid = CharField(primary_key=True, max_length=36)
    store_id = CharField(max_length=64)
    device_id = CharField(max_length=64)
    number = CharField(max_length=64, index=True)
    sale_uuid = CharField(null=True, max_length=36, index=True)
    receipt_no = CharField(null=True, max_length=64)
    cashier = CharField(max_length=16)
    refunded_at = DateTimeField()
    day = DateField()
    hour = IntegerField()
    currency = CharField(max_length=3)
    total = BigIntegerField()
    tax_total = BigIntegerField()
    payout = BigIntegerField()
    revenue = BigIntegerField()
    cost = BigIntegerField(null=True)
    reason = CharField(null=True, max_length=200)

    class Meta:
        indexes = ((("day", "store_id"), False),)


class RefundLineFact(BaseModel):
    id = AutoField()
    refund_uuid = CharField(max_length=36)
    seq = IntegerField()
    store_id = CharField(max_length=64)
    day = DateField()
    cashier = CharField(max_length=16)
    sku = CharField(max_length=64)
    name = CharField(max_length=200)
    category = CharField(null=True, max_length=64)
    qty_milli = BigIntegerField()
    amount = BigIntegerField()
    tax = BigIntegerField()
    revenue = BigIntegerField()
    cost = BigIntegerField(null=True)

    class Meta:
        indexes = ((("refund_uuid", "seq"), True), (("day", "sku"), False))


class StoreProduct(BaseModel):
    """Which SKU a till's own product id stands for (stock moves name only the id)."""
    id = AutoField()
    store_id = CharField(max_length=64)
    till_product_id = IntegerField()
    sku = CharField(max_length=64)

    class Meta:
        indexes = ((("store_id", "till_product_id"), True),)


class StockMoveFact(BaseModel):
    uuid = CharField(primary_key=True, max_length=36)
    store_id = CharField(max_length=64)
    till_product_id = IntegerField()
    qty_milli = BigIntegerField()
    kind = CharField(max_length=32)  # the record's kind: sale, refund, goods_receipt, stock_adjustment, stock_take
    record_uuid = CharField(max_length=36)
    moved_at = DateTimeField()

    class Meta:
        indexes = ((("store_id", "till_product_id"), False),)


class StockTakeLineFact(BaseModel):
    id = AutoField()
    take_uuid = CharField(max_length=36)
    store_id = CharField(max_length=64)
    applied_at = DateTimeField()
    sku = CharField(max_length=64)
    name = CharField(max_length=200)
    unit = CharField(max_length=8)
    expected_milli = BigIntegerField()
    counted_milli = BigIntegerField()
    variance_milli = BigIntegerField()
    variance_value = BigIntegerField(null=True)

    class Meta:
        indexes = ((("take_uuid", "sku"), True), (("store_id", "applied_at"), False))


CATALOG_MODELS = [PriceOverride, StorePriceGroup, CatalogImport]
FACT_MODELS = [SaleFact, SaleLineFact, PaymentFact, RefundFact, RefundLineFact, StoreProduct, StockMoveFact,
               StockTakeLineFact]
MODELS += CATALOG_MODELS + FACT_MODELS
