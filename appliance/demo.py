"""Demo data: a small bilingual catalog, demo cashiers, and a generated large catalog
for benchmarks. The demo PINs are throwaway values for the demo only."""

from __future__ import annotations

import random

from .barcodes import gtin_check_digit
from .context import TillContext
from .models import Barcode, Cashier, Category, Product
from .services import auth, catalog

DEMO_CASHIERS = (  # throwaway demo credentials, printed by `fleetpos demo`
    ("1001", "王芳 Wang Fang", "cashier", "1234"),
    ("2001", "李强 Li Qiang", "manager", "2468"),
    ("9001", "Admin", "admin", "9999"),
)

TAX_CLASSES = (("standard", "增值税 13%", 1300), ("reduced", "增值税 9%", 900), ("zero", "免税 0%", 0))

CATEGORIES = (("drinks", "饮料 Drinks"), ("snacks", "零食 Snacks"), ("produce", "生鲜 Fresh produce"),
              ("bakery", "面包 Bakery"), ("household", "日用品 Household"))

# sku, name, category, unit, price (fen), cost, tax class, scale code
PRODUCTS = (
    ("DR-001", "可口可乐 330ml", "drinks", "each", 300, 180, "standard", None),
    ("DR-002", "农夫山泉 550ml", "drinks", "each", 200, 110, "standard", None),
    ("DR-003", "康师傅冰红茶 500ml", "drinks", "each", 350, 200, "standard", None),
    ("DR-004", "蒙牛纯牛奶 250ml", "drinks", "each", 380, 250, "reduced", None),
    ("DR-005", "青岛啤酒 500ml", "drinks", "each", 650, 420, "standard", None),
    ("DR-006", "Nescafe Gold 200g", "drinks", "each", 8900, 6100, "standard", None),
    ("SN-001", "乐事薯片 原味 70g", "snacks", "each", 750, 480, "standard", None),
    ("SN-002", "奥利奥饼干 116g", "snacks", "each", 890, 560, "standard", None),
    ("SN-003", "德芙巧克力 43g", "snacks", "each", 990, 620, "standard", None),
    ("SN-004", "旺旺雪饼 84g", "snacks", "each", 680, 400, "standard", None),
    ("SN-005", "Pringles Original 110g", "snacks", "each", 1290, 800, "standard", None),
    ("PR-001", "苹果 红富士", "produce", "kg", 1280, 800, "reduced", "101"),
    ("PR-002", "香蕉", "produce", "kg", 698, 420, "reduced", "102"),
    ("PR-003", "西红柿", "produce", "kg", 598, 350, "reduced", "103"),
    ("PR-004", "土豆", "produce", "kg", 398, 200, "reduced", "104"),
    ("PR-005", "猪肉 五花肉", "produce", "kg", 3280, 2500, "reduced", "201"),
    ("PR-006", "三文鱼切片 盒装", "produce", "each", 4980, 3500, "reduced", "301"),
    ("BK-001", "全麦面包", "bakery", "each", 1200, 600, "standard", None),
    ("BK-002", "牛角包", "bakery", "each", 650, 300, "standard", None),
    ("BK-003", "蛋挞", "bakery", "each", 500, 220, "standard", None),
    ("HH-001", "维达抽纸 3包", "household", "each", 1590, 1000, "standard", None),
    ("HH-002", "蓝月亮洗衣液 1kg", "household", "each", 2990, 1900, "standard", None),
    ("HH-003", "高露洁牙膏 140g", "household", "each", 1290, 750, "standard", None),
    ("HH-004", "Plastic bag 购物袋", "household", "each", 20, 8, "standard", None),
)


def ean13(body12: str) -> str:
    return body12 + str(gtin_check_digit(body12))


def seed_demo(ctx: TillContext) -> bool:
    """Load the demo catalog and cashiers into an empty till. Returns False if not empty."""
    if Product.select().exists() or Cashier.select().exists():
        return False
    for code, name, rate in TAX_CLASSES:
        catalog.upsert_tax_class(ctx, code, name, rate)
    for code, name in CATEGORIES:
        catalog.upsert_category(ctx, code, name)
    for index, (sku, name, category, unit, price, cost, tax, scale) in enumerate(PRODUCTS):
        barcodes = [] if unit == "kg" or scale else [ean13(f"69{index:010d}")]
        catalog.upsert_product(ctx, {"sku": sku, "name": name, "category": category, "unit": unit, "price": price,
                                     "cost_price": cost, "tax_class": tax, "scale_code": scale,
                                     "barcodes": barcodes})
    for code, name, role, pin in DEMO_CASHIERS:
        auth.create_cashier(ctx, None, code=code, name=name, role=role, pin=pin)
    return True


WORDS_ZH = "苹果 香蕉 牛奶 面包 饼干 薯片 可乐 果汁 茶 咖啡 巧克力 大米 面条 酱油 醋 鸡蛋 猪肉 牛肉 鱼 虾 洗发水 牙膏 纸巾 洗衣液".split()
WORDS_EN = "apple banana milk bread cookie chips cola juice tea coffee chocolate rice noodle soy vinegar egg".split()


def generate_catalog(ctx: TillContext, count: int, seed: int = 7) -> list[str]:
    """Bulk-load `count` products with one EAN-13 each (benchmarks). Returns the barcodes."""
    rng = random.Random(seed)
    for code, name, rate in TAX_CLASSES:
        catalog.upsert_tax_class(ctx, code, name, rate)
    for code, name in CATEGORIES:
        catalog.upsert_category(ctx, code, name)
    category_ids = [c.id for c in Category.select()]
    codes = []
    now = ctx.clock()
    with ctx.transaction():
        start = Product.select().count()
        batch_products, batch_codes = [], []
        for i in range(start, start + count):
            name = f"{rng.choice(WORDS_ZH)}{rng.choice(WORDS_ZH)} {rng.choice(WORDS_EN)} {i}"
            batch_products.append({"id": i + 1, "sku": f"SKU{i:07d}", "name": name, "unit": "each",
                                   "price": rng.randint(100, 50_000), "cost_price": rng.randint(50, 30_000),
                                   "tax_class": rng.choice(("standard", "reduced")), "active": True,
                                   "category": rng.choice(category_ids), "updated_at": now})
            code = ean13(f"59{i:010d}")
            codes.append(code)
            batch_codes.append({"code": code, "product": i + 1})
            if len(batch_products) == 2000:
                Product.insert_many(batch_products).execute()
                Barcode.insert_many(batch_codes).execute()
                batch_products, batch_codes = [], []
        if batch_products:
            Product.insert_many(batch_products).execute()
            Barcode.insert_many(batch_codes).execute()
    return codes
