"""peewee models of the till's tables (the tables themselves come from schema.py).

The models carry no database of their own: `db.open_database()` binds them to the
store's SQLite file.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from peewee import (AutoField, BooleanField, CharField, CompositeKey, DateTimeField, ForeignKeyField,
                    IntegerField, Model, TextField)


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = None
        legacy_table_names = False


class TaxClass(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    rate_bp = IntegerField()


class Category(BaseModel):
    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")


class Product(BaseModel):
    id = AutoField()
    sku = CharField(unique=True)
    name = CharField()
    category = ForeignKeyField(Category, null=True, backref="products", on_delete="SET NULL")
    unit = CharField(default="each")
    price = IntegerField()
    cost_price = IntegerField(null=True)
    tax_class = ForeignKeyField(TaxClass, backref="products")
    scale_code = CharField(null=True, unique=True)
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)
    low_stock_milli = IntegerField(null=True)


class Barcode(BaseModel):
    code = CharField(primary_key=True)
    product = ForeignKeyField(Product, backref="barcodes", on_delete="CASCADE")


class Cashier(BaseModel):
    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    role = CharField()
    pin_hash = CharField()
    locale = CharField(null=True)
    active = BooleanField(default=True)
    failed_attempts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


class TillSession(BaseModel):
    token = CharField(primary_key=True)
    cashier = ForeignKeyField(Cashier, backref="sessions")
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)


class Counter(BaseModel):
    name = CharField(primary_key=True)
    value = IntegerField()


class Shift(BaseModel):
    uuid = CharField(primary_key=True)
    device_id = CharField()
    number = IntegerField()
    opened_by = ForeignKeyField(Cashier, backref="+")
    opened_at = DateTimeField(default=utcnow)
    opening_float = IntegerField()
    status = CharField(default="open")
    closed_by = ForeignKeyField(Cashier, null=True, backref="+")
    closed_at = DateTimeField(null=True)
    report_json = JSONField(null=True)


class CashMovement(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    shift = ForeignKeyField(Shift, backref="cash_movements")
    kind = CharField()
    amount = IntegerField()
    reason = CharField()
    cashier = ForeignKeyField(Cashier, backref="+")
    approved_by = ForeignKeyField(Cashier, null=True, backref="+")
    created_at = DateTimeField(default=utcnow)


class MemberTier(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    rank = IntegerField(unique=True)
    discount_bp = IntegerField(default=0)
    min_spend = IntegerField(default=0)


class Member(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    card_no = CharField(unique=True)
    phone = CharField(null=True, unique=True)
    name = CharField()
    tier = ForeignKeyField(MemberTier, backref="members")
    points = IntegerField(default=0)
    total_spend = IntegerField(default=0)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class PointsMove(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    member = ForeignKeyField(Member, backref="points_moves")
    delta = IntegerField()
    kind = CharField()
    reference = CharField(null=True)
    created_at = DateTimeField(default=utcnow)


class Promotion(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    kind = CharField()
    params = JSONField()
    member_only = BooleanField(default=False)
    starts_at = DateTimeField(null=True)
    ends_at = DateTimeField(null=True)
    days_of_week = CharField(default="")
    stores = JSONField(default=list)
    combinable = BooleanField(default=True)
    priority = IntegerField(default=100)
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)


class Sale(BaseModel):
    uuid = CharField(primary_key=True)
    device_id = CharField()
    status = CharField(default="open")
    cashier = ForeignKeyField(Cashier, backref="+")
    shift = ForeignKeyField(Shift, null=True, backref="sales")
    receipt_no = CharField(null=True, unique=True)
    currency = CharField()
    tax_mode = CharField()
    order_discount_kind = CharField(null=True)
    order_discount_value = IntegerField(null=True)
    subtotal = IntegerField(default=0)
    discount_total = IntegerField(default=0)
    tax_total = IntegerField(default=0)
    total = IntegerField(default=0)
    rounding = IntegerField(default=0)
    paid = IntegerField(default=0)
    change = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    parked_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    member = ForeignKeyField(Member, null=True, backref="sales")
    promo_discount = IntegerField(default=0)
    member_discount = IntegerField(default=0)
    points_redeemed = IntegerField(default=0)
    points_discount = IntegerField(default=0)
    points_earned = IntegerField(default=0)
    promotions = JSONField(null=True)
    receipt_wanted = BooleanField(default=True)  # False: the customer declined a printed receipt


class SaleLine(BaseModel):
    id = AutoField()
    sale = ForeignKeyField(Sale, backref="lines", on_delete="CASCADE")
    position = IntegerField()
    product = ForeignKeyField(Product, backref="+")
    sku = CharField()
    name = CharField()
    unit = CharField()
    barcode = CharField(null=True)
    qty_milli = IntegerField()
    list_price = IntegerField()
    unit_price = IntegerField()
    price_source = CharField(default="catalog")
    fixed_gross = IntegerField(null=True)
    discount_kind = CharField(null=True)
    discount_value = IntegerField(null=True)
    tax_class = CharField()
    tax_rate_bp = IntegerField()
    cost_price = IntegerField(null=True)
    gross = IntegerField(default=0)
    line_discount = IntegerField(default=0)
    order_discount = IntegerField(default=0)
    net = IntegerField(default=0)
    tax = IntegerField(default=0)
    category_id = IntegerField(null=True)
    promo_discount = IntegerField(default=0)
    promotions = JSONField(null=True)


class Payment(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    sale = ForeignKeyField(Sale, backref="payments", on_delete="CASCADE")
    shift = ForeignKeyField(Shift, backref="payments")
    method = CharField()
    amount = IntegerField()
    tendered = IntegerField()
    reference = CharField(null=True)
    cashier = ForeignKeyField(Cashier, backref="+")
    created_at = DateTimeField(default=utcnow)


class StockMove(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    product = ForeignKeyField(Product, backref="stock_moves")
    qty_milli = IntegerField()
    kind = CharField()
    reference = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    reason = CharField(null=True)
    cost_price = IntegerField(null=True)


class Refund(BaseModel):
    uuid = CharField(primary_key=True)
    device_id = CharField()
    number = CharField(unique=True)
    sale = ForeignKeyField(Sale, null=True, backref="refunds")
    shift = ForeignKeyField(Shift, backref="refunds")
    cashier = ForeignKeyField(Cashier, backref="+")
    approved_by = ForeignKeyField(Cashier, null=True, backref="+")
    member = ForeignKeyField(Member, null=True, backref="refunds")
    reason = CharField()
    total = IntegerField()
    tax_total = IntegerField()
    rounding = IntegerField(default=0)
    payout = IntegerField()
    points_reversed = IntegerField(default=0)
    points_returned = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)


class RefundLine(BaseModel):
    id = AutoField()
    refund = ForeignKeyField(Refund, backref="lines")
    sale_line = ForeignKeyField(SaleLine, null=True, backref="refund_lines")
    product = ForeignKeyField(Product, backref="+")
    sku = CharField()
    name = CharField()
    qty_milli = IntegerField()
    amount = IntegerField()
    tax = IntegerField()
    tax_rate_bp = IntegerField()
    restock = BooleanField(default=True)


class RefundPayment(BaseModel):
    id = AutoField()
    refund = ForeignKeyField(Refund, backref="payments")
    method = CharField()
    amount = IntegerField()
    reference = CharField(null=True)


class StockLevel(BaseModel):
    product = ForeignKeyField(Product, primary_key=True, backref="+", on_delete="CASCADE")
    qty_milli = IntegerField(default=0)


class GoodsReceipt(BaseModel):
    uuid = CharField(primary_key=True)
    number = CharField(unique=True)
    supplier = CharField()
    reference = CharField(null=True)
    cashier = ForeignKeyField(Cashier, backref="+")
    created_at = DateTimeField(default=utcnow)


class StockTake(BaseModel):
    uuid = CharField(primary_key=True)
    status = CharField(default="open")
    note = CharField(null=True)
    created_by = ForeignKeyField(Cashier, backref="+")
    created_at = DateTimeField(default=utcnow)
    finished_by = ForeignKeyField(Cashier, null=True, backref="+")
    finished_at = DateTimeField(null=True)
    report = JSONField(null=True)


class StockTakeLine(BaseModel):
    stock_take = ForeignKeyField(StockTake, backref="lines")
    product = ForeignKeyField(Product, backref="+")
    counted_milli = IntegerField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("stock_take", "product")


class AuditEntry(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    action = CharField()
    cashier = ForeignKeyField(Cashier, null=True, backref="+")
    approved_by = ForeignKeyField(Cashier, null=True, backref="+")
    subject = CharField(null=True)
    details = JSONField(default=dict)


class Outbox(BaseModel):
    seq = AutoField()
    kind = CharField()
    record_uuid = CharField(unique=True)
    payload = JSONField()
    created_at = DateTimeField(default=utcnow)
    acked_at = DateTimeField(null=True)


MODELS = [TaxClass, Category, Product, Barcode, Cashier, TillSession, Counter, Shift,
          CashMovement, MemberTier, Member, PointsMove, Promotion, Sale, SaleLine, Payment, StockMove,
          Refund, RefundLine, RefundPayment, StockLevel, GoodsReceipt, StockTake, StockTakeLine,
          AuditEntry, Outbox]
