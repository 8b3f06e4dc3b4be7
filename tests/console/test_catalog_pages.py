"""The catalog, sales, reports and stock pages through the console's forms: roles, CSRF,
cashier accounts and members sent to the right stores, and a bad upload told in the page."""

import io
import json

from fleet_server.models import AuditEntry, CatalogChange, StoreCashier

from .test_catalog_import import HEADER, seed, xlsx


def _changes(office, store_id):
    with office.ctx.db.connection_context():
        rows = CatalogChange.select().where(CatalogChange.store == store_id).order_by(CatalogChange.version)
        return [c for row in rows for c in json.loads(json.loads(row.payload)["body"])["changes"]]


def test_every_page_answers_for_a_viewer_without_forms_to_change_anything(office):
    seed(office)
    client, _csrf = office.user_client("viewer")
    for path in ("/console/catalog", "/console/catalog/reference", "/console/catalog/members",
                 "/console/catalog/cashiers", "/console/stores/s1/cashiers", "/console/sales",
                 "/console/sales?kind=refund", "/console/reports", "/console/reports?report=payment", "/console/stock"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'action="/console/catalog/imports"' not in response.get_data(as_text=True)
    assert client.get("/console/reports?report=nonsense").status_code == 400
    assert client.get("/console/sales?from=yesterday").status_code == 400


def test_a_catalog_manager_uploads_and_publishes_through_the_forms_with_csrf(office):
    seed(office)
    client, csrf = office.user_client("catalog_manager")
    data = {"kind": "products", "file": (io.BytesIO(xlsx([HEADER, ["TEA", "乌龙茶", "6", "standard", "", "", "", ""]])),
                                         "tea.xlsx")}
    refused = client.post("/console/catalog/imports", data=dict(data), content_type="multipart/form-data")
    assert refused.status_code == 403  # no CSRF token
    data["file"] = (io.BytesIO(xlsx([HEADER, ["TEA", "乌龙茶", "6", "standard", "", "", "", ""]])), "tea.xlsx")
    response = client.post("/console/catalog/imports", data={**data, "csrf_token": csrf},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "new product" in page and 'id="publish"' in page
    published = client.post(response.headers["Location"] + "/publish", data={"csrf_token": csrf})
    assert published.status_code == 302
    assert [c["data"]["price"] for c in _changes(office, "s3") if c["entity"] == "product"] == [600]
    with office.ctx.db.connection_context():
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert "catalog.import_stage" in actions and "catalog.import_publish" in actions


def test_a_bad_upload_is_told_on_the_page(office):
    seed(office)
    client, csrf = office.user_client("catalog_manager")
    response = client.post("/console/catalog/imports", content_type="multipart/form-data",
                           data={"kind": "products", "csrf_token": csrf,
                                 "file": (io.BytesIO(b"not a spreadsheet"), "catalog.xlsx")})
    assert response.status_code == 400
    assert "is not a readable .xlsx file" in response.get_data(as_text=True)


def test_a_cashier_account_goes_to_its_store_only_and_its_pin_is_not_audited(office):
    seed(office)
    client, csrf = office.user_client("catalog_manager")
    response = client.post("/console/stores/s2/cashiers", data={
        "csrf_token": csrf, "code": "3001", "name": "赵敏", "role": "cashier", "pin": "4321", "active": "1"})
    assert response.status_code == 302
    assert [c["data"]["code"] for c in _changes(office, "s2") if c["entity"] == "cashier"] == ["3001"]
    assert not [c for c in _changes(office, "s1") if c["entity"] == "cashier"]
    with office.ctx.db.connection_context():
        assert StoreCashier.get(StoreCashier.code == "3001").pin_hash.startswith("scrypt$")
        entry = AuditEntry.select().where(AuditEntry.action == "store.cashiers").get()
    assert "4321" not in (entry.after or "") and '"pin_changed": true' in entry.after
    # a store-ops user may look but not change accounts
    ops, ops_csrf = office.user_client("store_ops")
    assert ops.get("/console/stores/s2/cashiers").status_code == 200
    assert ops.post("/console/stores/s2/cashiers", data={"csrf_token": ops_csrf, "code": "3002", "name": "x",
                                                         "pin": "1234"}).status_code == 403


def test_a_member_goes_to_every_store(office):
    seed(office)
    office.admin("PUT", "/api/v1/catalog/member-tiers", {"member_tiers": [
        {"code": "normal", "name": "普通会员", "rank": 0, "discount_bp": 0, "min_spend": 0}]})
    client, csrf = office.user_client("admin")
    response = client.post("/console/catalog/members", data={"csrf_token": csrf, "card_no": "88001234",
                                                             "name": "陈静", "phone": "13800000000", "tier": "normal"})
    assert response.status_code == 302
    for store_id in ("s1", "s2", "s3"):
        assert [c["data"]["card_no"] for c in _changes(office, store_id) if c["entity"] == "member"] == ["88001234"]
    assert "88001234" in client.get("/console/catalog/members?q=8800").get_data(as_text=True)


def test_a_scheduled_price_is_staged_previewed_published_and_cancelled_from_the_product_page(office):
    seed(office)
    office.admin("PUT", "/api/v1/catalog/products", {"products": [
        {"sku": "COLA", "name": "Cola", "price": 300, "tax_class": "standard"}]})
    client, csrf = office.user_client("catalog_manager")
    staged = client.post("/console/catalog/products/COLA/price", data={
        "csrf_token": csrf, "scope": "chain", "price": "3.20", "effective_at": "2099-01-01T00:00:00Z"})
    page = client.get(staged.headers["Location"]).get_data(as_text=True)
    assert "price from 2099-01-01T00:00:00Z" in page
    client.post(staged.headers["Location"] + "/publish", data={"csrf_token": csrf})
    schedules = [c for c in _changes(office, "s1") if c["entity"] == "price_schedule"]
    assert [(c["op"], c["data"]["price"]) for c in schedules] == [("upsert", 320)]
    product_page = client.get("/console/catalog/products/COLA").get_data(as_text=True)
    schedule_id = schedules[0]["data"]["id"]
    assert f"/console/catalog/price-schedules/{schedule_id}/cancel" in product_page
    assert client.post(f"/console/catalog/price-schedules/{schedule_id}/cancel",
                       data={"csrf_token": csrf}).status_code == 302
    assert [c["op"] for c in _changes(office, "s3") if c["entity"] == "price_schedule"] == ["upsert", "cancel"]


def test_a_product_changed_on_its_page_is_checked_previewed_and_published(office):
    seed(office)
    client, csrf = office.user_client("catalog_manager")
    created = client.post("/console/catalog/products", data={
        "csrf_token": csrf, "sku": "TEA", "name": "乌龙茶", "price": "6.00", "cost_price": "", "tax_class": "standard",
        "category": "drinks", "unit": "each", "barcodes": "", "scale_code": "", "active": "yes"})
    assert "new product" in client.get(created.headers["Location"]).get_data(as_text=True)
    client.post(created.headers["Location"] + "/publish", data={"csrf_token": csrf})
    page = client.get("/console/catalog/products/TEA").get_data(as_text=True)
    assert 'id="product-form"' in page and 'value="6.00"' in page
    bad = client.post("/console/catalog/products", data={
        "csrf_token": csrf, "sku": "TEA", "name": "乌龙茶", "price": "6.001", "tax_class": "standard"})
    bad_page = client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "more than 2 decimals" in bad_page and 'id="publish"' not in bad_page
    changed = client.post("/console/catalog/products", data={
        "csrf_token": csrf, "sku": "TEA", "name": "乌龙茶 500ml", "price": "6.00", "tax_class": "standard",
        "category": "drinks", "active": "no"})
    preview = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "name &#39;乌龙茶&#39; → &#39;乌龙茶 500ml&#39;" in preview and "active True → False" in preview
    assert client.get("/console/catalog/new-product").status_code == 200
    viewer, _ = office.user_client("viewer")
    assert viewer.get("/console/catalog/new-product").status_code == 403


def test_a_promotion_with_a_schedule_goes_to_every_store_and_bad_params_are_refused(office):
    seed(office)
    office.admin("PUT", "/api/v1/catalog/products", {"products": [
        {"sku": "COLA", "name": "Cola", "price": 300, "tax_class": "standard"}]})
    client, csrf = office.user_client("catalog_manager")
    form = {"csrf_token": csrf, "code": "XMAS", "name": "圣诞 8折", "kind": "percent_off",
            "params": '{"percent_bp": 2000}', "products": "COLA", "starts_at": "2026-12-24T00:00:00",
            "ends_at": "2026-12-27T00:00:00", "days_of_week": "", "stores": "s1, s2", "priority": "10"}
    assert client.post("/console/catalog/promotions", data=form).status_code == 302
    for store_id in ("s1", "s2", "s3"):
        sent = [c["data"] for c in _changes(office, store_id) if c["entity"] == "promotion"]
        assert [(p["code"], p["params"], p["stores"], p["starts_at"]) for p in sent] == [
            ("XMAS", {"percent_bp": 2000, "products": ["COLA"]}, ["s1", "s2"], "2026-12-24T00:00:00")]
    assert "圣诞 8折" in client.get("/console/catalog/reference").get_data(as_text=True)
    bad = client.post("/console/catalog/promotions", data={**form, "params": "{percent"})
    assert bad.status_code == 400 and "params must be a JSON object" in bad.get_data(as_text=True)
    unknown = client.post("/console/catalog/promotions", data={**form, "code": "X2", "products": "NOPE"})
    assert unknown.status_code == 400 and "unknown products" in unknown.get_data(as_text=True)


def test_product_search_and_unknown_products_or_stores_answer_alike_in_the_console_and_the_api(office):
    seed(office)
    office.admin("PUT", "/api/v1/catalog/products", {"products": [
        {"sku": "COLA", "name": "Cola", "price": 300, "tax_class": "standard", "category": "drinks"},
        {"sku": "TEA", "name": "Oolong tea", "price": 600, "tax_class": "standard"},
        {"sku": "CHIPS", "name": "Potato chips", "price": 750, "tax_class": "standard"}]})
    client, _csrf = office.user_client("viewer")
    page = client.get("/console/catalog?q=tea").get_data(as_text=True)
    assert 'data-sku="TEA"' in page and 'data-sku="COLA"' not in page and 'data-sku="CHIPS"' not in page
    found = office.admin("GET", "/api/v1/catalog/products?q=OL").get_json()
    assert [p["sku"] for p in found["items"]] == ["COLA", "TEA"]  # SKU COLA, name Oolong
    found = office.admin("GET", "/api/v1/catalog/products?category=drinks").get_json()
    assert [p["sku"] for p in found["items"]] == ["COLA"]

    assert client.get("/console/catalog/products/NOPE").status_code == 404
    assert 'data-code="product_not_found"' in client.get("/console/catalog/products/NOPE").get_data(as_text=True)
    assert office.admin("GET", "/api/v1/catalog/products/NOPE", expect=404).get_json()["error"] == "product_not_found"
    assert 'data-code="store_not_found"' in client.get("/console/stores/nowhere/cashiers").get_data(as_text=True)
    assert office.admin("GET", "/api/v1/stores/nowhere/cashiers", expect=404).get_json()["error"] == "store_not_found"


def test_the_catalog_page_shows_each_products_group_and_store_prices_and_the_audit_has_them_before(office):
    from .test_catalog_import import upload

    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "", "", "", ""],
                         ["GUM", "Gum", "1.50", "standard", "", "", "", ""]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    office.admin("POST", "/api/v1/catalog/prices", {"prices": [{"sku": "COLA", "group": "north", "price": 280}]})
    office.admin("POST", "/api/v1/catalog/prices", {"prices": [{"sku": "COLA", "store": "s2", "price": 250}]})
    client, _csrf = office.user_client("viewer")
    page = client.get("/console/catalog").get_data(as_text=True)
    assert "group north: 2.80" in page and "store s2: 2.50" in page
    with office.ctx.db.connection_context():
        entry = AuditEntry.select().where(AuditEntry.action == "catalog.prices").order_by(AuditEntry.id.desc()).get()
    assert [(o["scope"], o["scope_id"], o["price"]) for o in json.loads(entry.before)["COLA"]["overrides"]] \
        == [("group", "north", 280)]
