"""/api/v1/catalog: products, prices per group/store, imports with preview and publish,
export, tax classes, categories, promotions, member tiers, members and cashier accounts.

Two ways to change the catalog: stage an import (a file or rows; `catalog.write`),
look at its preview, and publish it (`catalog.publish`); or write directly, which is
issued to the stores at once and so needs both `catalog.write` and `catalog.publish`.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from fleetpos.messages import utc_iso

from ... import audit, catalog, imports
from ...auth import current_user, require
from ...db import write_transaction
from ...errors import FleetError
from ...models import (Category, CatalogImport, Member, MemberTier, PriceSchedule, Product, Promotion,
                       StoreCashier, TaxClass, database_proxy)
from ...stores import get_store
from ..common import body, fleet
from .common import PAGE_PARAMETERS, operation, page_of, paginate, paginate_list, path_param, query_param, ref, text_arg

bp = Blueprint("api_v1_catalog", __name__, url_prefix="/api/v1")


def actor() -> str:
    principal = current_user()
    return principal.label if principal else "system"


def product_view(p: Product, overrides: list[dict] | None = None) -> dict:
    view = {**catalog.product_data(p), "updated_at": utc_iso(p.updated_at)}
    if overrides is not None:
        view["overrides"] = overrides
    return view


def _issued(versions: dict) -> Response:
    fleet().catalog_changed()
    return jsonify({"versions": versions})


def _write(action: str, target: str, before, after, run):
    """Run a catalog service and its audit row in one transaction."""
    with write_transaction(database_proxy.obj):
        versions = run()
        audit.record(action, target, before, after)
    return _issued(versions)


# -- products and prices -----------------------------------------------------------------------

@bp.get("/catalog/products")
@require("catalog.read")
def list_products():
    return paginate(catalog.products_query(text_arg("q", 64), text_arg("category", 64)), product_view)


@bp.get("/catalog/products/<sku>")
@require("catalog.read")
def get_product(sku):
    product = catalog.get_product(sku)
    view = product_view(product, catalog.price_overrides(sku))
    view["schedules"] = [{"id": s.id, "price": s.price, "effective_at": utc_iso(s.effective_at), "state": s.state}
                         for s in PriceSchedule.select().where(PriceSchedule.sku == sku)
                         .order_by(PriceSchedule.effective_at)]
    prices = catalog.Prices([sku])
    view["store_prices"] = {s: {"price": prices.price(s, sku), "source": prices.source(s, sku)}
                            for s in sorted(prices.stores)}
    return jsonify(view)


@bp.put("/catalog/products")
@require("catalog.write", "catalog.publish")
def put_products():
    data = body()
    skus = [i.get("sku") for i in data.get("products") or [] if isinstance(i, dict)]
    before = {p.sku: catalog.product_data(p) for p in Product.select().where(Product.sku.in_(skus))}
    return _write("catalog.products", f"products:{len(skus)}", before, data.get("products"),
                  lambda: catalog.upsert_products(fleet().key, data))


@bp.post("/catalog/prices")
@require("catalog.write", "catalog.publish")
def post_prices():
    data = body()
    skus = [i.get("sku") for i in data.get("prices") or [] if isinstance(i, dict)]
    overrides = catalog.overrides_by_sku(skus)
    before = {p.sku: {"price": p.price, "overrides": overrides.get(p.sku, [])}
              for p in Product.select().where(Product.sku.in_(skus))}
    return _write("catalog.prices", f"prices:{','.join(map(str, skus))[:280]}", before, data.get("prices"),
                  lambda: catalog.set_prices(fleet().key, data))


@bp.get("/catalog/price-overrides")
@require("catalog.read")
def list_overrides():
    return paginate_list(catalog.price_overrides(text_arg("sku", 64)))


@bp.get("/catalog/store-prices/<store_id>")
@require("catalog.read")
def store_prices(store_id):
    prices = catalog.store_prices(store_id)
    return paginate_list([{"sku": sku, **v} for sku, v in sorted(prices.items())])


@bp.delete("/catalog/price-schedules/<schedule_id>")
@require("catalog.write", "catalog.publish")
def cancel_schedule(schedule_id):
    schedule = PriceSchedule.get_or_none(PriceSchedule.id == schedule_id)
    before = {"sku": schedule.sku, "price": schedule.price, "state": schedule.state} if schedule else None
    return _write("catalog.schedule_cancel", f"price_schedule:{schedule_id}", before, {"state": "cancelled"},
                  lambda: catalog.cancel_price_schedule(fleet().key, schedule_id))


# -- imports -------------------------------------------------------------------------------

def _flag(name: str) -> bool:
    value = request.args.get(name)
    if value is None and request.is_json:
        value = (request.get_json(silent=True) or {}).get(name)
    if value is None and request.form:
        value = request.form.get(name)
    return str(value).lower() in ("1", "true", "yes", "on")


@bp.post("/catalog/imports")
@require("catalog.write")
def create_import():
    """A file (multipart: `file`, `kind`) or JSON {"kind", "rows": [{column: value}]}."""
    if request.files.get("file") is not None:
        upload = request.files["file"]
        batch = imports.stage(request.form.get("kind", "products"), upload.filename or "", upload.read(),
                              actor=actor())
    else:
        data = body()
        batch = imports.stage_rows(data.get("kind"), data.get("rows"), actor=actor(), source="api")
    return jsonify(imports.import_view(batch)), 201


@bp.get("/catalog/imports")
@require("catalog.read")
def list_imports():
    return paginate(CatalogImport.select().order_by(CatalogImport.id.desc()), imports.import_view)


@bp.get("/catalog/imports/<int:import_id>")
@require("catalog.read")
def get_import(import_id):
    return jsonify(imports.import_view(imports.get_import(import_id), with_rows=True))


@bp.get("/catalog/imports/<int:import_id>/preview")
@require("catalog.read")
def preview_import(import_id):
    return jsonify(imports.preview(fleet().key, import_id, valid_only=_flag("valid_only")))


@bp.post("/catalog/imports/<int:import_id>/publish")
@require("catalog.publish")
def publish_import(import_id):
    versions = imports.publish(fleet().key, import_id, actor=actor(), valid_only=_flag("valid_only"))
    return _issued(versions)


@bp.post("/catalog/imports/<int:import_id>/discard")
@require("catalog.write")
def discard_import(import_id):
    imports.discard(import_id, actor=actor())
    return jsonify(imports.import_view(imports.get_import(import_id)))


def file_response(data: bytes, filename: str, fmt: str) -> Response:
    mime = ("text/csv; charset=utf-8" if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def export_format() -> str:
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise FleetError("format must be csv or xlsx", code="invalid_format")
    return fmt


@bp.get("/catalog/export")
@require("catalog.read")
def export():
    kind, fmt = request.args.get("kind", "products"), export_format()
    data = imports.export_csv(kind) if fmt == "csv" else imports.export_xlsx(kind)
    return file_response(data, f"{kind}.{fmt}", fmt)


# -- reference data, promotions, members, cashiers --------------------------------------------

@bp.get("/catalog/tax-classes")
@require("catalog.read")
def list_tax_classes():
    return paginate(TaxClass.select().order_by(TaxClass.code),
                    lambda t: {"code": t.code, "name": t.name, "rate_bp": t.rate_bp})


@bp.put("/catalog/tax-classes")
@require("catalog.write", "catalog.publish")
def put_tax_classes():
    data = body()
    return _write("catalog.tax_classes", "tax_classes", None, data.get("tax_classes"),
                  lambda: catalog.upsert_tax_classes(fleet().key, data))


@bp.get("/catalog/categories")
@require("catalog.read")
def list_categories():
    return paginate(Category.select().order_by(Category.code),
                    lambda c: {"code": c.code, "name": c.name, "parent": c.parent})


@bp.put("/catalog/categories")
@require("catalog.write", "catalog.publish")
def put_categories():
    data = body()
    return _write("catalog.categories", "categories", None, data.get("categories"),
                  lambda: catalog.upsert_categories(fleet().key, data))


@bp.get("/catalog/promotions")
@require("catalog.read")
def list_promotions():
    return paginate(Promotion.select().order_by(Promotion.code), lambda p: json.loads(p.data))


@bp.put("/catalog/promotions")
@require("catalog.write", "catalog.publish")
def put_promotions():
    data = body()
    codes = [i.get("code") for i in data.get("promotions") or [] if isinstance(i, dict)]
    before = {p.code: json.loads(p.data) for p in Promotion.select().where(Promotion.code.in_(codes))}
    return _write("catalog.promotions", f"promotions:{','.join(map(str, codes))[:280]}", before,
                  data.get("promotions"), lambda: catalog.upsert_promotions(fleet().key, data))


@bp.get("/catalog/member-tiers")
@require("catalog.read")
def list_member_tiers():
    return paginate(MemberTier.select().order_by(MemberTier.rank),
                    lambda t: {"code": t.code, "name": t.name, "rank": t.rank, "discount_bp": t.discount_bp,
                               "min_spend": t.min_spend})


@bp.put("/catalog/member-tiers")
@require("catalog.write", "catalog.publish")
def put_member_tiers():
    data = body()
    return _write("catalog.member_tiers", "member_tiers", None, data.get("member_tiers"),
                  lambda: catalog.upsert_member_tiers(fleet().key, data))


def member_view(m: Member) -> dict:
    return {"uuid": m.uuid, "card_no": m.card_no, "phone": m.phone, "name": m.name, "tier": m.tier,
            "active": m.active}


@bp.get("/catalog/members")
@require("catalog.read")
def list_members():
    query = Member.select().order_by(Member.card_no)
    q = text_arg("q", 64)
    if q:
        query = query.where(Member.card_no.contains(q) | Member.name.contains(q) | Member.phone.contains(q))
    return paginate(query, member_view)


@bp.put("/catalog/members")
@require("catalog.write", "catalog.publish")
def put_members():
    data = body()
    cards = [i.get("card_no") for i in data.get("members") or [] if isinstance(i, dict)]
    before = {m.card_no: member_view(m) for m in Member.select().where(Member.card_no.in_(cards))}
    return _write("catalog.members", f"members:{','.join(map(str, cards))[:280]}", before, data.get("members"),
                  lambda: catalog.upsert_members(fleet().key, data))


def cashier_view(c: StoreCashier) -> dict:
    return {"code": c.code, "name": c.name, "role": c.role, "locale": c.locale, "active": c.active}


@bp.get("/stores/<store_id>/cashiers")
@require("catalog.read")
def list_cashiers(store_id):
    get_store(store_id)
    return paginate(StoreCashier.select().where(StoreCashier.store == store_id).order_by(StoreCashier.code),
                    cashier_view)


@bp.put("/stores/<store_id>/cashiers")
@require("catalog.write", "catalog.publish")
def put_cashiers(store_id):
    data = body()
    ctx = fleet()
    codes = [i.get("code") for i in data.get("cashiers") or [] if isinstance(i, dict)]
    before = {c.code: cashier_view(c) for c in StoreCashier.select().where(
        (StoreCashier.store == store_id) & StoreCashier.code.in_(codes))}
    # the audit row never holds a PIN
    after = [{k: v for k, v in i.items() if k != "pin"} | {"pin_changed": "pin" in i}
             for i in data.get("cashiers") or [] if isinstance(i, dict)]
    return _write("store.cashiers", f"store:{store_id}", before, after,
                  lambda: catalog.upsert_cashiers(ctx.key, store_id, data,
                                                  pin_hash_cost=ctx.config.catalog.pin_hash_cost))


# -- OpenAPI ----------------------------------------------------------------------------------

_OBJ = {"type": "object"}
_VERSIONS = {"type": "object", "required": ["versions"], "properties": {
    "versions": {"type": "object", "additionalProperties": {"type": "integer"},
                 "description": "store id -> the change set version it was issued"}}}
_SKU = path_param("sku", description="the product's SKU")
_STORE = path_param("store_id", description="the store's id")
_IMPORT = path_param("import_id", {"type": "integer", "minimum": 1}, "the import's id")
_VALID_ONLY = query_param("valid_only", {"type": "boolean"}, "use only the valid rows of a file with bad rows")


def _list_body(key: str) -> dict:
    return {"type": "object", "required": [key], "properties": {key: {"type": "array", "minItems": 1,
                                                                      "items": _OBJ}}}


OPENAPI_SCHEMAS = {
    "Product": {"type": "object", "required": ["sku", "name", "price", "tax_class", "unit", "active", "barcodes"],
                "properties": {
                    "sku": {"type": "string"}, "name": {"type": "string"}, "unit": {"type": "string"},
                    "price": {"type": "integer", "description": "chain price in minor units"},
                    "cost_price": {"type": ["integer", "null"]}, "tax_class": {"type": "string"},
                    "category": {"type": ["string", "null"]}, "scale_code": {"type": ["string", "null"]},
                    "active": {"type": "boolean"}, "barcodes": {"type": "array", "items": {"type": "string"}},
                    "updated_at": {"type": "string"}}},
    "PriceOverride": {"type": "object", "required": ["sku", "scope", "scope_id", "price"], "properties": {
        "sku": {"type": "string"}, "scope": {"type": "string", "enum": ["group", "store"]},
        "scope_id": {"type": "string"}, "price": {"type": "integer"}, "updated_at": {"type": "string"}}},
    "PriceChange": {"type": "object", "required": ["sku"], "properties": {
        "sku": {"type": "string"}, "price": {"type": ["integer", "null"], "minimum": 0},
        "group": {"type": "string"}, "store": {"type": "string"},
        "effective_at": {"type": "string", "description": "future UTC time: a scheduled chain price"}}},
    "ImportError": {"type": "object", "required": ["row", "column", "message"], "properties": {
        "row": {"type": "integer"}, "column": {"type": "string"}, "message": {"type": "string"}}},
    "CatalogImport": {"type": "object", "required": ["id", "kind", "state", "total_rows", "valid_rows", "errors"],
                      "properties": {
                          "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(imports.KINDS)},
                          "filename": {"type": "string"},
                          "state": {"type": "string", "enum": ["staged", "has_errors", "published", "discarded"]},
                          "total_rows": {"type": "integer"}, "valid_rows": {"type": "integer"},
                          "bad_rows": {"type": "integer"}, "errors": {"type": "array", "items": ref("ImportError")},
                          "rows": {"type": "array", "items": _OBJ}, "created_by": {"type": "string"},
                          "created_at": {"type": "string"}, "published_by": {"type": ["string", "null"]},
                          "published_at": {"type": ["string", "null"]}}},
    "ImportPreview": {"type": "object", "required": ["import", "stores"], "properties": {
        "import": ref("CatalogImport"),
        "stores": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "name": {"type": "string"}, "group": {"type": "string"},
            "count": {"type": "integer", "description": "changes the store would receive"},
            "new": {"type": "integer"}, "changed": {"type": "integer"}, "unchanged": {"type": "integer"},
            "changes": {"type": "array", "items": _OBJ, "description": f"the first {imports.PREVIEW_LIMIT}"}}}}}},
    "IssuedVersions": _VERSIONS,
}

_TAG = "catalog"
OPENAPI_PATHS = {
    "/api/v1/catalog/products": {
        "get": operation("List products", "catalog.read", {200: ("a page of products", page_of("Product"))},
                         parameters=PAGE_PARAMETERS + [query_param("q", {"type": "string", "maxLength": 64},
                                                                   "SKU or name contains"),
                                                       query_param("category", {"type": "string", "maxLength": 64})],
                         tag=_TAG, operation_id="listProducts"),
        "put": operation("Create or replace products (issued to the stores at once)", "catalog.write",
                         {200: ("the versions issued", ref("IssuedVersions"))}, body=_list_body("products"),
                         tag=_TAG, operation_id="putProducts", description="Also needs `catalog.publish`."),
    },
    "/api/v1/catalog/products/{sku}": {
        "get": operation("A product with its group/store prices, schedules and each store's price", "catalog.read",
                         {200: ("the product", _OBJ)}, parameters=[_SKU], tag=_TAG, operation_id="getProduct"),
    },
    "/api/v1/catalog/prices": {
        "post": operation("Change prices: chain (now or scheduled), a group's or a store's own", "catalog.write",
                          {200: ("the versions issued (only stores whose price changed)", ref("IssuedVersions"))},
                          body={"type": "object", "required": ["prices"], "properties": {
                              "prices": {"type": "array", "minItems": 1, "items": ref("PriceChange")}}},
                          tag=_TAG, operation_id="postPrices", description="Also needs `catalog.publish`."),
    },
    "/api/v1/catalog/price-overrides": {
        "get": operation("Group and store prices", "catalog.read",
                         {200: ("a page of overrides", page_of("PriceOverride"))},
                         parameters=PAGE_PARAMETERS + [query_param("sku", {"type": "string", "maxLength": 64})],
                         tag=_TAG, operation_id="listPriceOverrides"),
    },
    "/api/v1/catalog/store-prices/{store_id}": {
        "get": operation("What a store sells each product at, and where the price comes from", "catalog.read",
                         {200: ("a page of prices", {"type": "object"})}, parameters=[_STORE] + PAGE_PARAMETERS,
                         tag=_TAG, operation_id="listStorePrices"),
    },
    "/api/v1/catalog/price-schedules/{schedule_id}": {
        "delete": operation("Cancel a scheduled price", "catalog.write",
                            {200: ("the versions issued", ref("IssuedVersions"))},
                            parameters=[path_param("schedule_id")], tag=_TAG, operation_id="cancelPriceSchedule",
                            description="Also needs `catalog.publish`."),
    },
    "/api/v1/catalog/imports": {
        "get": operation("Catalog imports, newest first", "catalog.read",
                         {200: ("a page of imports", page_of("CatalogImport"))}, parameters=PAGE_PARAMETERS,
                         tag=_TAG, operation_id="listImports"),
        "post": operation("Check and stage a catalog file (multipart `file` + `kind`) or JSON rows", "catalog.write",
                          {201: ("the checked import, with every bad row", ref("CatalogImport"))},
                          body={"type": "object", "required": ["kind", "rows"], "properties": {
                              "kind": {"type": "string", "enum": list(imports.KINDS)},
                              "rows": {"type": "array", "minItems": 1, "items": _OBJ}}},
                          tag=_TAG, operation_id="createImport"),
    },
    "/api/v1/catalog/imports/{import_id}": {
        "get": operation("An import with its rows and errors", "catalog.read", {200: ("the import",
                                                                                       ref("CatalogImport"))},
                         parameters=[_IMPORT], tag=_TAG, operation_id="getImport"),
    },
    "/api/v1/catalog/imports/{import_id}/preview": {
        "get": operation("What each store would receive if the import were published now", "catalog.read",
                         {200: ("per store, its changes", ref("ImportPreview"))}, parameters=[_IMPORT, _VALID_ONLY],
                         tag=_TAG, operation_id="previewImport"),
    },
    "/api/v1/catalog/imports/{import_id}/publish": {
        "post": operation("Publish an import to the stores", "catalog.publish",
                          {200: ("the versions issued", ref("IssuedVersions"))}, parameters=[_IMPORT, _VALID_ONLY],
                          tag=_TAG, operation_id="publishImport"),
    },
    "/api/v1/catalog/imports/{import_id}/discard": {
        "post": operation("Discard a staged import", "catalog.write", {200: ("the import", ref("CatalogImport"))},
                          parameters=[_IMPORT], tag=_TAG, operation_id="discardImport"),
    },
    "/api/v1/catalog/export": {
        "get": {**operation("The catalog as an import file", "catalog.read", {200: ("the file", None)},
                            parameters=[query_param("kind", {"type": "string", "enum": list(imports.KINDS)}),
                                        query_param("format", {"type": "string", "enum": ["csv", "xlsx"]})],
                            tag=_TAG, operation_id="exportCatalog")},
    },
    "/api/v1/catalog/tax-classes": {
        "get": operation("Tax classes", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=PAGE_PARAMETERS, tag=_TAG, operation_id="listTaxClasses"),
        "put": operation("Create or change tax classes", "catalog.write", {200: ("versions", ref("IssuedVersions"))},
                         body=_list_body("tax_classes"), tag=_TAG, operation_id="putTaxClasses"),
    },
    "/api/v1/catalog/categories": {
        "get": operation("Categories", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=PAGE_PARAMETERS, tag=_TAG, operation_id="listCategories"),
        "put": operation("Create or change categories", "catalog.write", {200: ("versions", ref("IssuedVersions"))},
                         body=_list_body("categories"), tag=_TAG, operation_id="putCategories"),
    },
    "/api/v1/catalog/promotions": {
        "get": operation("Promotions", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=PAGE_PARAMETERS, tag=_TAG, operation_id="listPromotions"),
        "put": operation("Create or change promotions (with schedules)", "catalog.write",
                         {200: ("versions", ref("IssuedVersions"))}, body=_list_body("promotions"), tag=_TAG,
                         operation_id="putPromotions"),
    },
    "/api/v1/catalog/member-tiers": {
        "get": operation("Member tiers", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=PAGE_PARAMETERS, tag=_TAG, operation_id="listMemberTiers"),
        "put": operation("Create or change member tiers", "catalog.write", {200: ("versions", ref("IssuedVersions"))},
                         body=_list_body("member_tiers"), tag=_TAG, operation_id="putMemberTiers"),
    },
    "/api/v1/catalog/members": {
        "get": operation("Members", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=PAGE_PARAMETERS + [query_param("q", {"type": "string", "maxLength": 64})],
                         tag=_TAG, operation_id="listMembers"),
        "put": operation("Create or change members", "catalog.write", {200: ("versions", ref("IssuedVersions"))},
                         body=_list_body("members"), tag=_TAG, operation_id="putMembers"),
    },
    "/api/v1/stores/{store_id}/cashiers": {
        "get": operation("A store's cashier accounts", "catalog.read", {200: ("a page", {"type": "object"})},
                         parameters=[_STORE] + PAGE_PARAMETERS, tag=_TAG, operation_id="listCashiers"),
        "put": operation("Create or change a store's cashier accounts (a new one needs a PIN)", "catalog.write",
                         {200: ("versions", ref("IssuedVersions"))}, parameters=[_STORE],
                         body=_list_body("cashiers"), tag=_TAG, operation_id="putCashiers"),
    },
}

# publishing or discarding an import that is already done is a conflict
for _path, _method in (("/api/v1/catalog/imports/{import_id}/publish", "post"),
                       ("/api/v1/catalog/imports/{import_id}/discard", "post"),
                       ("/api/v1/catalog/imports/{import_id}/preview", "get")):
    OPENAPI_PATHS[_path][_method]["responses"]["409"] = {
        "description": "the import is already published or discarded",
        "content": {"application/json": {"schema": ref("Error")}}}

# a store, product, import or record named in the path or query that does not exist
for _operations in OPENAPI_PATHS.values():
    for _operation in _operations.values():
        _operation["responses"].setdefault("404", {"description": "no such store, product or record",
                                                   "content": {"application/json": {
                                                       "schema": {"$ref": "#/components/schemas/Error"}}}})
