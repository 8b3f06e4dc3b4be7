"""Products, barcodes, categories and tax classes; resolving what was scanned or typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import SQL

from .. import rows
from ..barcodes import normalize, parse_weighted
from ..context import TillContext
from ..errors import NotFound, ValidationError
from ..models import Barcode, Category, Product, TaxClass
from ..money import MAX_UNIT_PRICE, check_amount

UNITS = ("each", "kg")
SEARCH_LIMIT_MAX = 100


@dataclass(frozen=True)
class Resolved:
    """What a scanned/typed code stands for: a product, and what the code carried."""
    product: Product
    barcode: str | None = None
    qty_milli: int | None = None  # weight from a weighted barcode (grams)
    fixed_gross: int | None = None  # price from a priced barcode (minor units)


def upsert_tax_class(ctx: TillContext, code: str, name: str, rate_bp: int) -> TaxClass:
    if not isinstance(rate_bp, int) or isinstance(rate_bp, bool) or not 0 <= rate_bp <= 10000:
        raise ValidationError(f"tax rate for {code} must be 0-10000 basis points, not {rate_bp!r}",
                              code="invalid_tax_rate")
    with ctx.transaction():
        TaxClass.insert(code=code, name=name, rate_bp=rate_bp).on_conflict(
            conflict_target=[TaxClass.code], update={TaxClass.name: name, TaxClass.rate_bp: rate_bp}).execute()
    return TaxClass.get_by_id(code)


def upsert_category(ctx: TillContext, code: str, name: str, parent_code: str | None = None) -> Category:
    parent = None
    if parent_code:
        parent = Category.get_or_none(Category.code == parent_code)
        if parent is None:
            raise NotFound(f"no category {parent_code}", code="category_not_found")
    with ctx.transaction():
        category = Category.get_or_none(Category.code == code)
        if category is None:
            category = Category.create(code=code, name=name, parent=parent)
        else:
            category.name, category.parent = name, parent
            category.save()
    return category


def _normalize_scale_code(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 6:
        raise ValidationError(f"a scale item code is up to 6 digits, not {value!r}", code="invalid_scale_code")
    return value.lstrip("0") or "0"


def validate_product(fields: dict) -> dict:
    """Check a product's fields as given by a person or head office; return them cleaned."""
    clean = {}
    sku = fields.get("sku")
    if not isinstance(sku, str) or not re.fullmatch(r"\S{1,64}", sku):
        raise ValidationError(f"SKU must be 1-64 characters without spaces, not {sku!r}", code="invalid_sku")
    clean["sku"] = sku
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValidationError(f"product {sku}: a name of 1-200 characters is required", code="invalid_name")
    clean["name"] = name.strip()
    unit = fields.get("unit", "each")
    if unit not in UNITS:
        raise ValidationError(f"product {sku}: unit must be 'each' or 'kg', not {unit!r}", code="invalid_unit")
    clean["unit"] = unit
    clean["price"] = check_amount(fields.get("price"), f"product {sku}: price", maximum=MAX_UNIT_PRICE)
    cost = fields.get("cost_price")
    clean["cost_price"] = None if cost is None else check_amount(cost, f"product {sku}: cost price",
                                                                 maximum=MAX_UNIT_PRICE)
    tax_code = fields.get("tax_class")
    if TaxClass.get_or_none(TaxClass.code == tax_code) is None:
        raise ValidationError(f"product {sku}: unknown tax class {tax_code!r}", code="unknown_tax_class")
    clean["tax_class"] = tax_code
    category_code = fields.get("category")
    clean["category"] = None
    if category_code:
        category = Category.get_or_none(Category.code == category_code)
        if category is None:
            raise ValidationError(f"product {sku}: unknown category {category_code!r}", code="unknown_category")
        clean["category"] = category.id
    clean["scale_code"] = _normalize_scale_code(fields.get("scale_code"))
    active = fields.get("active", True)
    if not isinstance(active, bool):
        raise ValidationError(f"product {sku}: active must be true or false", code="invalid")
    clean["active"] = active
    barcodes = fields.get("barcodes", [])
    if not isinstance(barcodes, list):
        raise ValidationError(f"product {sku}: barcodes must be a list", code="invalid_barcode")
    clean["barcodes"] = list(dict.fromkeys(normalize(code) for code in barcodes))
    return clean


def upsert_product(ctx: TillContext, fields: dict) -> Product:
    """Create or replace a product (by SKU) with its barcodes, in one transaction."""
    clean = validate_product(fields)
    barcodes = clean.pop("barcodes")
    with ctx.transaction():
        product = Product.get_or_none(Product.sku == clean["sku"])
        taken = (Barcode.select(Barcode.code, Product.sku).join(Product)
                 .where(Barcode.code.in_(barcodes) & (Product.sku != clean["sku"])).first() if barcodes else None)
        if taken:
            raise ValidationError(f"barcode {taken.code} already belongs to product {taken.product.sku}",
                                  code="barcode_taken")
        if clean["scale_code"]:
            other = Product.get_or_none((Product.scale_code == clean["scale_code"]) & (Product.sku != clean["sku"]))
            if other:
                raise ValidationError(f"scale code {clean['scale_code']} already belongs to product {other.sku}",
                                      code="scale_code_taken")
        clean["updated_at"] = ctx.clock()
        if product is None:
            product = Product.create(**clean)
        else:
            Product.update(**clean).where(Product.id == product.id).execute()
            product = Product.get_by_id(product.id)
        Barcode.delete().where((Barcode.product == product) & Barcode.code.not_in(barcodes)).execute()
        if barcodes:
            Barcode.insert_many([{"code": c, "product": product.id} for c in barcodes]).on_conflict_ignore().execute()
    return product


def _product(where: str, *params) -> Product | None:
    """A product with its tax rate (as .tax_rate_bp), by plain SQL: this is the scan path."""
    return rows.select_one(Product._meta.database, Product, where, params, alias="p",
                           join="JOIN tax_class t ON t.code = p.tax_class_id", extra=(("t.rate_bp", "tax_rate_bp"),))


def get_product(product_id: int) -> Product:
    product = _product("WHERE p.id = ?", product_id) if isinstance(product_id, int) else None
    if product is None:
        raise NotFound(f"no product with id {product_id}", code="product_not_found")
    return product


def resolve_code(ctx: TillContext, raw_code: str) -> Resolved:
    """Find the product for a scanned or typed code.

    In order: a registered barcode; an in-store weighted/priced EAN-13 (its item code
    is the product's scale code); a SKU. A GTIN with a bad check digit is refused
    before any lookup, so a misread never sells the wrong product.
    """
    if not isinstance(raw_code, str):
        raise ValidationError("the code must be text", code="invalid_barcode")
    code = normalize(raw_code)
    product = _product("WHERE p.id = (SELECT product_id FROM barcode WHERE code = ?)", code)
    if product is not None:
        return _sellable(Resolved(product=product, barcode=code))
    weighted = parse_weighted(code, ctx.config.weighted_barcodes)
    if weighted is not None:
        product = _product("WHERE p.scale_code = ?", weighted.item_code)
        if product is None:
            raise NotFound(f"no product has scale item code {weighted.item_code} (from barcode {code})",
                           code="unknown_barcode")
        if weighted.kind == "weight":
            if weighted.value <= 0:
                raise ValidationError(f"barcode {code} carries a zero weight", code="invalid_barcode")
            qty = weighted.value if product.unit == "kg" else 1000
            return _sellable(Resolved(product=product, barcode=code, qty_milli=qty))
        return _sellable(Resolved(product=product, barcode=code, fixed_gross=weighted.value))
    product = _product("WHERE p.sku = ?", code)
    if product is not None:
        return _sellable(Resolved(product=product))
    raise NotFound(f"unknown barcode or SKU {code}: check the code or add the product",
                   code="unknown_barcode", code_scanned=code)


def _sellable(resolved: Resolved) -> Resolved:
    if not resolved.product.active:
        raise ValidationError(f"product {resolved.product.sku} ({resolved.product.name}) is not for sale "
                              f"(inactive)", code="product_inactive")
    return resolved


def search(ctx: TillContext, query: str, limit: int = 20) -> list[Product]:
    """Active products whose name or SKU contains `query` (or whose barcode is it).

    Exact barcode and SKU hits come first. Queries of 3+ characters use the trigram
    index; shorter ones (two Chinese characters are a common query) a bounded scan.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("type something to search for", code="invalid_query")
    query = query.strip()[:64]
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    found: dict[int, Product] = {}
    exact = (Product.select().join(Barcode, on=(Barcode.product == Product.id))
             .where(Barcode.code == query)) if query.isalnum() else []
    for product in [*exact, *Product.select().where(Product.sku == query)]:
        if product.active:
            found[product.id] = product
    if len(query) >= 3:
        phrase = '"' + query.replace('"', '""') + '"'
        ids = [row[0] for row in ctx.db.execute_sql(
            "SELECT rowid FROM product_search WHERE product_search MATCH ? ORDER BY rank LIMIT ?",
            (phrase, limit * 2))]
        rows = Product.select().where(Product.id.in_(ids) & (Product.active == True)) if ids else []  # noqa: E712
        by_id = {p.id: p for p in rows}
        matches = [by_id[i] for i in ids if i in by_id]
    else:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = list(Product.select().where(
            (Product.active == True)  # noqa: E712
            & SQL("(name LIKE ? ESCAPE '\\' OR sku LIKE ? ESCAPE '\\')", (pattern, pattern)))
            .order_by(Product.name).limit(limit))
    for product in matches:
        found.setdefault(product.id, product)
    return list(found.values())[:limit]


def product_view(product: Product, currency: str) -> dict:
    return {
        "id": product.id, "sku": product.sku, "name": product.name, "unit": product.unit,
        "price": product.price, "cost_price": product.cost_price, "currency": currency,
        "tax_class": product.tax_class_id,
        "category": product.category.code if product.category_id else None,
        "scale_code": product.scale_code, "active": product.active,
        "barcodes": [b.code for b in product.barcodes],
    }
