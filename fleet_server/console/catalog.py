"""Console pages for the catalog: products and their prices per store group and store,
catalog files (upload, every bad row, preview per store, publish), export, members and
cashier accounts. The pages call the same services as /api/v1/catalog."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request
from peewee import fn

from .. import catalog, imports
from ..api.v1.catalog import cashier_view, member_view
from ..audit import record as audit_record
from ..auth import current_user, require
from ..db import write_transaction
from ..errors import FleetError, NotFound
from ..models import (CatalogImport, Category, Member, MemberTier, PriceSchedule, Product, Promotion, Store,
                      StoreCashier, TaxClass, database_proxy)
from ..stores import get_store

bp = Blueprint("console_catalog", __name__, url_prefix="/console")

PAGE = 100


def _fleet():
    return current_app.extensions["fleetpos.fleet"]


def _actor() -> str:
    return current_user().label


@bp.app_template_filter("money")
def _money(value):
    return imports.format_money(value) if value is not None else "—"


@bp.app_template_filter("qty")
def _qty(value):
    if value is None:
        return "—"
    return f"{value / 1000:.3f}".rstrip("0").rstrip(".")


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/catalog")
@require("catalog.read")
def products():
    q = (request.args.get("q") or "").strip()[:64]
    query = catalog.products_query(q)
    total = query.count()
    page = _page()
    rows = list(query.paginate(page, PAGE))
    overrides = catalog.overrides_by_sku(p.sku for p in rows)  # this page's products only
    recent = list(CatalogImport.select().order_by(CatalogImport.id.desc()).limit(10))
    return render_template("console/catalog.html", active="catalog", products=rows, overrides=overrides, q=q,
                           page=page, total=total, per_page=PAGE, imports=[imports.import_view(b) for b in recent],
                           columns=imports.COLUMNS, column_help=imports.COLUMN_HELP, error=None)


@bp.post("/catalog/imports")
@require("catalog.write")
def upload():
    upload_file = request.files.get("file")
    try:
        if upload_file is None or not upload_file.filename:
            raise FleetError("choose a .xlsx or .csv file to import", code="invalid_import")
        batch = imports.stage(request.form.get("kind", "products"), upload_file.filename, upload_file.read(),
                              actor=_actor())
    except FleetError as exc:
        recent = list(CatalogImport.select().order_by(CatalogImport.id.desc()).limit(10))
        return render_template("console/catalog.html", active="catalog", products=[], overrides={}, q="", page=1,
                               total=Product.select().count(), per_page=PAGE, error=exc.message,
                               imports=[imports.import_view(b) for b in recent], columns=imports.COLUMNS,
                               column_help=imports.COLUMN_HELP), 400
    return redirect(f"/console/catalog/imports/{batch.id}")


@bp.get("/catalog/imports/<int:import_id>")
@require("catalog.read")
def import_page(import_id):
    batch = imports.get_import(import_id)
    view = imports.import_view(batch)
    valid_only = request.args.get("valid_only") == "1"
    preview = None
    if batch.state in ("staged", "has_errors") and (batch.state == "staged" or valid_only) and view["valid_rows"]:
        preview = imports.preview(_fleet().key, import_id, valid_only=valid_only)
    return render_template("console/catalog_import.html", active="catalog", batch=view, preview=preview,
                           valid_only=valid_only)


@bp.post("/catalog/imports/<int:import_id>/publish")
@require("catalog.publish")
def publish(import_id):
    valid_only = request.form.get("valid_only") == "1"
    versions = imports.publish(_fleet().key, import_id, actor=_actor(), valid_only=valid_only)
    _fleet().catalog_changed()
    notice = f"Published to {len(versions)} store(s): " + ", ".join(
        f"{store} → v{version}" for store, version in sorted(versions.items()))
    return redirect(f"/console/catalog/imports/{import_id}?" + urlencode({"notice": notice}))


@bp.post("/catalog/imports/<int:import_id>/discard")
@require("catalog.write")
def discard(import_id):
    imports.discard(import_id, actor=_actor())
    return redirect("/console/catalog?" + urlencode({"notice": f"Import {import_id} discarded"}))


@bp.get("/catalog/export.<fmt>")
@require("catalog.read")
def export(fmt):
    kind = request.args.get("kind", "products")
    if fmt not in ("csv", "xlsx"):
        raise NotFound("export as .csv or .xlsx")
    data = imports.export_csv(kind) if fmt == "csv" else imports.export_xlsx(kind)
    mime = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})


@bp.get("/catalog/products/<sku>")
@require("catalog.read")
def product(sku):
    item = catalog.get_product(sku)
    prices = catalog.Prices([sku])
    stores = list(Store.select().order_by(Store.id))
    return render_template(
        "console/product.html", active="catalog", product=item, barcodes=json.loads(item.barcodes),
        overrides=catalog.price_overrides(sku),
        store_prices=[(s, prices.price(s.id, sku), prices.source(s.id, sku)) for s in stores],
        groups=sorted({s.group for s in stores if s.group}), stores=stores, **_product_form_choices(),
        schedules=list(PriceSchedule.select().where(PriceSchedule.sku == sku).order_by(PriceSchedule.effective_at)))


def _product_form_choices() -> dict:
    return {"tax_classes": list(TaxClass.select().order_by(TaxClass.code)),
            "categories": list(Category.select().order_by(Category.code))}


@bp.get("/catalog/new-product")
@require("catalog.write")
def new_product():
    return render_template("console/product_form.html", active="catalog", product=None, barcodes=[],
                           **_product_form_choices())


@bp.post("/catalog/products/<sku>/price")
@require("catalog.write")
def change_price(sku):
    """A price change from the product page is staged like a one-row prices file, so it
    gets the same checks and the same preview before it is published."""
    scope = request.form.get("scope", "chain")
    row = {"sku": sku, "price": request.form.get("price", "").strip()}
    if scope == "group":
        row["group"] = request.form.get("group", "")
    elif scope == "store":
        row["store"] = request.form.get("store", "")
    if request.form.get("effective_at"):
        row["effective_at"] = request.form["effective_at"].strip()
    batch = imports.stage_rows("prices", [row], actor=_actor(), source=f"price of {sku} (console)")
    return redirect(f"/console/catalog/imports/{batch.id}")


@bp.post("/catalog/products")
@require("catalog.write")
def save_product():
    """A new or changed product from the product form, staged like a one-row products file
    (the same checks, the same preview per store before it is published)."""
    form = request.form
    row = {column: form.get(column, "").strip() for column in imports.COLUMNS["products"]}
    batch = imports.stage_rows("products", [row], actor=_actor(), source=f"product {row['sku']} (console)")
    return redirect(f"/console/catalog/imports/{batch.id}")


@bp.post("/catalog/price-schedules/<schedule_id>/cancel")
@require("catalog.write", "catalog.publish")
def cancel_schedule(schedule_id):
    schedule = PriceSchedule.get_or_none(PriceSchedule.id == schedule_id)
    if schedule is None:
        raise NotFound(f"no price schedule {schedule_id}", code="schedule_not_found")
    versions = _issue_with_audit("catalog.schedule_cancel", f"price_schedule:{schedule_id}",
                                 {"sku": schedule.sku, "price": schedule.price, "state": schedule.state},
                                 {"state": "cancelled"},
                                 lambda: catalog.cancel_price_schedule(_fleet().key, schedule_id))
    return redirect(f"/console/catalog/products/{schedule.sku}?" + urlencode(
        {"notice": f"Scheduled price cancelled at {len(versions)} store(s)"}))


# -- reference data, members, cashiers -------------------------------------------------------

@bp.get("/catalog/reference")
@require("catalog.read")
def reference():
    return render_template("console/catalog_reference.html", active="catalog",
                           tax_classes=list(TaxClass.select().order_by(TaxClass.code)),
                           categories=list(Category.select().order_by(Category.code)),
                           tiers=list(MemberTier.select().order_by(MemberTier.rank)),
                           kinds=PROMOTION_KINDS, promotions=[json.loads(p.data) for p in Promotion.select()
                                       .order_by(Promotion.code)])


PROMOTION_KINDS = ("percent_off", "amount_off", "buy_x_get_y", "n_for_price", "spend_save")


def _promotion_from_form(form) -> dict:
    """A promotion as the catalog service takes it, from the reference page's form."""
    try:
        params = json.loads(form.get("params") or "{}")
    except ValueError as exc:
        raise FleetError(f"params must be a JSON object, e.g. {{\"percent_bp\": 2000}} ({exc})",
                         code="invalid_promotion") from None
    if not isinstance(params, dict):
        raise FleetError("params must be a JSON object, e.g. {\"percent_bp\": 2000}", code="invalid_promotion")
    for key in ("products", "categories"):
        codes = [c for c in re.split(r"[\s,;]+", form.get(key, "")) if c]
        if codes:
            params[key] = codes
    try:
        days = [int(d) for d in re.split(r"[\s,;]+", form.get("days_of_week", "")) if d]
        priority = int(form.get("priority") or 100)
    except ValueError:
        raise FleetError("days of the week are numbers 1-7 (1 = Monday) and the priority a whole number",
                         code="invalid_promotion") from None
    return {"code": form.get("code", "").strip(), "name": form.get("name", "").strip(), "kind": form.get("kind"),
            "params": params, "starts_at": form.get("starts_at", "").strip() or None,
            "ends_at": form.get("ends_at", "").strip() or None, "days_of_week": days,
            "stores": [c for c in re.split(r"[\s,;]+", form.get("stores", "")) if c],
            "member_only": form.get("member_only") == "1", "combinable": form.get("combinable", "1") == "1",
            "priority": priority, "active": form.get("active", "1") == "1"}


@bp.post("/catalog/promotions")
@require("catalog.write", "catalog.publish")
def save_promotion():
    item = _promotion_from_form(request.form)
    existing = Promotion.get_or_none(Promotion.code == item["code"])
    versions = _issue_with_audit("catalog.promotions", f"promotion:{item['code']}",
                                 json.loads(existing.data) if existing else None, item,
                                 lambda: catalog.upsert_promotions(_fleet().key, {"promotions": [item]}))
    return redirect("/console/catalog/reference?" + urlencode(
        {"notice": f"Promotion {item['code']} saved and sent to {len(versions)} store(s)"}))


@bp.get("/catalog/members")
@require("catalog.read")
def members():
    query = Member.select().order_by(Member.card_no)
    q = (request.args.get("q") or "").strip()[:64]
    if q:
        query = query.where(Member.card_no.contains(q) | Member.name.contains(q) | Member.phone.contains(q))
    return render_template("console/members.html", active="catalog", members=[member_view(m) for m in
                                                                             query.limit(500)],
                           tiers=list(MemberTier.select().order_by(MemberTier.rank)), q=q, error=None)


def _issue_with_audit(action, target, before, after, run):
    with write_transaction(database_proxy.obj):
        versions = run()
        audit_record(action, target, before, after)
    _fleet().catalog_changed()
    return versions


@bp.post("/catalog/members")
@require("catalog.write", "catalog.publish")
def save_member():
    form = request.form
    item = {"card_no": form.get("card_no", "").strip(), "name": form.get("name", "").strip(),
            "phone": form.get("phone", "").strip() or None, "tier": form.get("tier", "normal"),
            "active": form.get("active", "1") == "1"}
    existing = Member.get_or_none(Member.card_no == item["card_no"])
    if existing:
        item["uuid"] = existing.uuid
    versions = _issue_with_audit("catalog.members", f"member:{item['card_no']}",
                                 member_view(existing) if existing else None, item,
                                 lambda: catalog.upsert_members(_fleet().key, {"members": [item]}))
    return redirect("/console/catalog/members?" + urlencode(
        {"notice": f"Member {item['card_no']} saved and sent to {len(versions)} store(s)"}))


@bp.get("/catalog/cashiers")
@require("catalog.read")
def cashier_stores():
    counts = dict(StoreCashier.select(StoreCashier.store, fn.COUNT(StoreCashier.id)).group_by(StoreCashier.store)
                  .tuples())
    return render_template("console/cashier_stores.html", active="catalog",
                           stores=[(s, counts.get(s.id, 0)) for s in Store.select().order_by(Store.id)])


@bp.get("/stores/<store_id>/cashiers")
@require("catalog.read")
def cashiers(store_id):
    store = get_store(store_id)
    return render_template("console/cashiers.html", active="catalog", store=store,
                           cashiers=[cashier_view(c) for c in StoreCashier.select()
                                     .where(StoreCashier.store == store_id).order_by(StoreCashier.code)])


@bp.post("/stores/<store_id>/cashiers")
@require("catalog.write", "catalog.publish")
def save_cashier(store_id):
    form = request.form
    item = {"code": form.get("code", "").strip(), "name": form.get("name", "").strip(),
            "role": form.get("role", "cashier"), "active": form.get("active", "1") == "1"}
    if form.get("pin"):
        item["pin"] = form["pin"].strip()
    existing = StoreCashier.get_or_none((StoreCashier.store == store_id) & (StoreCashier.code == item["code"]))
    after = {k: v for k, v in item.items() if k != "pin"} | {"pin_changed": "pin" in item}
    ctx = _fleet()
    _issue_with_audit("store.cashiers", f"store:{store_id}", cashier_view(existing) if existing else None, after,
                      lambda: catalog.upsert_cashiers(ctx.key, store_id, {"cashiers": [item]},
                                                      pin_hash_cost=ctx.config.catalog.pin_hash_cost))
    return redirect(f"/console/stores/{store_id}/cashiers?" + urlencode(
        {"notice": f"Cashier {item['code']} saved and sent to {store_id}"}))
