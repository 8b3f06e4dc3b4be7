"""Till fixtures: a fresh till on a temp SQLite file with a small known catalog."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from appliance.app import create_app, open_till
from appliance.barcodes import gtin_check_digit
from appliance.config import load_config
from appliance.services import auth, catalog, shifts


def ean13(body12: str) -> str:
    return body12 + str(gtin_check_digit(body12))


COLA = ean13("690123456789")  # 3.00, standard 13 %
CHIPS = ean13("690123456790")  # 7.50, standard 13 %
MILK = ean13("690123456791")  # 3.80, reduced 9 %
BREAD_UPC = "036000291452"  # a valid UPC-A; stored as its EAN-13 form
PINS = {"1001": "1234", "1002": "4321", "2001": "2468", "9001": "9999"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


def make_config(tmp_path, **sections):
    overrides = {"data": {"dir": str(tmp_path / "data")}, "security": {"pin_hash_cost": 4}}
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values} if isinstance(values, dict) else values
    return load_config(environ={}, overrides=overrides)


def seed(ctx):
    catalog.upsert_tax_class(ctx, "standard", "VAT 13%", 1300)
    catalog.upsert_tax_class(ctx, "reduced", "VAT 9%", 900)
    catalog.upsert_tax_class(ctx, "zero", "exempt", 0)
    catalog.upsert_category(ctx, "drinks", "饮料")
    catalog.upsert_category(ctx, "produce", "生鲜")
    catalog.upsert_product(ctx, {"sku": "COLA", "name": "可口可乐 330ml", "category": "drinks", "price": 300,
                                 "cost_price": 180, "tax_class": "standard", "barcodes": [COLA, ean13("690000000001")]})
    catalog.upsert_product(ctx, {"sku": "CHIPS", "name": "Lay's chips 70g", "price": 750, "cost_price": 480,
                                 "tax_class": "standard", "barcodes": [CHIPS]})
    catalog.upsert_product(ctx, {"sku": "MILK", "name": "蒙牛纯牛奶", "category": "drinks", "price": 380,
                                 "tax_class": "reduced", "barcodes": [MILK]})
    catalog.upsert_product(ctx, {"sku": "BREAD", "name": "Wholemeal bread", "price": 1200,
                                 "tax_class": "zero", "barcodes": [BREAD_UPC]})
    catalog.upsert_product(ctx, {"sku": "APPLE", "name": "苹果 红富士", "category": "produce", "unit": "kg",
                                 "price": 1280, "tax_class": "reduced", "scale_code": "101"})
    catalog.upsert_product(ctx, {"sku": "SALMON", "name": "三文鱼切片", "category": "produce", "unit": "each",
                                 "price": 4980, "tax_class": "reduced", "scale_code": "301"})
    catalog.upsert_product(ctx, {"sku": "OLD", "name": "Discontinued", "price": 100, "tax_class": "standard",
                                 "active": False, "barcodes": [ean13("690000000002")]})
    for code, name, role in (("1001", "王芳", "cashier"), ("1002", "Bob", "cashier"),
                             ("2001", "李强", "manager"), ("9001", "Admin", "admin")):
        auth.create_cashier(ctx, None, code=code, name=name, role=role, pin=PINS[code])


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def till(config, clock):
    ctx = open_till(config, clock=clock)
    seed(ctx)
    yield ctx
    ctx.db.close()


def login(ctx, code):
    return auth.resolve_session(ctx, auth.login(ctx, code, PINS[code]).token)


@pytest.fixture
def cashier(till):
    return login(till, "1001")


@pytest.fixture
def manager(till):
    return auth.Actor(cashier=auth.Cashier.get(auth.Cashier.code == "2001"))


@pytest.fixture
def shift(till, cashier):
    return shifts.open_shift(till, cashier, 10_000)


MANAGER_OK = auth.Override(cashier_code="2001", pin=PINS["2001"])


@pytest.fixture
def app(till):
    return create_app(ctx=till)


@pytest.fixture
def client(app):
    return app.test_client()


def api_login(client, code):
    response = client.post("/api/auth/login", json={"cashier_code": code, "pin": PINS[code]})
    assert response.status_code == 200, response.json
    return response.json


def sell(till, actor, items, *tenders, member=None):
    """Ring up and pay a sale. items: codes, or (code, qty_milli); tenders: (method, amount)."""
    from appliance.services import members, payments, sales

    sale = sales.start_sale(till, actor)
    for item in items:
        code, qty = (item, None) if isinstance(item, str) else item
        sales.add_item(till, actor, sale.uuid, code=code, qty_milli=qty)
    if member is not None:
        members.attach(till, actor, sale.uuid, member)
    sale = sales.get_sale(till, sale.uuid)
    for method, amount in tenders or (("cash", sales.get_sale(till, sale.uuid).total),):
        sale, _ = payments.add_payment(till, actor, sale.uuid, method, amount,
                                       None if method == "cash" else f"REF-{method}-{amount}")
    return sale
