"""Catalog files: every bad row of a broken spreadsheet is reported and nothing is imported;
valid-only publishes exactly the valid rows; group and store prices reach only their stores."""

import io
import json

from openpyxl import Workbook, load_workbook

from fleet_server.models import CatalogChange, Product

from .conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def xlsx(rows, sheet="products") -> bytes:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def seed(office, groups=None):
    groups = groups or {"s1": "north", "s2": "north", "s3": "south"}
    for store_id, group in groups.items():
        office.admin("POST", "/api/v1/stores", {"id": store_id, "name": f"Store {store_id}", "group": group},
                     expect=201)
    office.admin("PUT", "/api/v1/catalog/tax-classes", {"tax_classes": [
        {"code": "standard", "name": "VAT 13%", "rate_bp": 1300}]})
    office.admin("PUT", "/api/v1/catalog/categories", {"categories": [{"code": "drinks", "name": "饮料"}]})


def upload(office, data: bytes, filename="catalog.xlsx", kind="products", expect=201):
    response = office.client.post("/api/v1/catalog/imports", headers=AUTH,
                                  data={"kind": kind, "file": (io.BytesIO(data), filename)},
                                  content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def changes_for(office, store_id):
    """Every change issued to `store_id`, decoded from the signed change sets."""
    with office.ctx.db.connection_context():
        rows = CatalogChange.select().where(CatalogChange.store == store_id).order_by(CatalogChange.version)
        return [c for row in rows for c in json.loads(json.loads(row.payload)["body"])["changes"]]


HEADER = ["sku", "name", "price", "tax_class", "category", "barcodes", "cost_price", "unit"]
BROKEN = [
    HEADER,
    ["COLA", "可口可乐 330ml", 3, "standard", "drinks", 6901234567892, 1.8, "each"],   # 2 good (numbers as Excel has them)
    ["", "no sku", "1.00", "standard", "", "", "", ""],                               # 3 sku missing
    ["MILK", "Milk", "abc", "standard", "", "", "", ""],                              # 4 price not an amount
    ["TEA", "Tea", "2.505", "standard", "", "", "", ""],                              # 5 three decimals
    ["CHIPS", "Chips", "7.50", "luxury", "snacks", "", "", ""],                       # 6 tax class + category
    ["COLA", "Cola again", "3.20", "standard", "", "", "", ""],                       # 7 SKU twice
    ["WATER", "Water", "2.00", "standard", "", "6901234567892", "", ""],              # 8 barcode of row 2
    ["RICE", "Rice", "9.90", "standard", "", "", "", "litre"],                        # 9 unit
    ["BREAD", "Bread", "6.00", "standard", "drinks", "", "-1", ""],                   # 10 negative cost
    ["GUM", "Gum", "1.50", "standard", "", "", "", "each"],                           # 11 good
]


def test_a_broken_spreadsheet_reports_every_bad_row_and_imports_nothing(office):
    seed(office)
    result = upload(office, xlsx(BROKEN))
    assert result["state"] == "has_errors"
    assert result["total_rows"] == 10 and result["valid_rows"] == 2
    by_row = {}
    for error in result["errors"]:
        by_row.setdefault(error["row"], set()).add(error["column"])
    assert by_row == {3: {"sku"}, 4: {"price"}, 5: {"price"}, 6: {"tax_class", "category"}, 7: {"sku"},
                      8: {"barcodes"}, 9: {"unit"}, 10: {"cost_price"}}
    assert any("already on row 2" in e["message"] for e in result["errors"] if e["row"] == 7)
    # publishing the whole file is refused, and nothing reached the catalog or the stores
    response = office.client.post(f"/api/v1/catalog/imports/{result['id']}/publish", headers=AUTH)
    assert response.status_code == 400 and response.get_json()["error"] == "import_has_errors"
    with office.ctx.db.connection_context():
        assert Product.select().count() == 0
    assert not [c for c in changes_for(office, "s1") if c["entity"] == "product"]


def test_valid_only_publishes_exactly_the_valid_rows(any_office):
    office = any_office
    seed(office)
    result = upload(office, xlsx(BROKEN))
    preview = office.admin("GET", f"/api/v1/catalog/imports/{result['id']}/preview?valid_only=1").get_json()
    assert {c["key"] for c in preview["stores"]["s3"]["changes"]} == {"COLA", "GUM"}
    with office.ctx.db.connection_context():
        assert Product.select().count() == 0  # the preview changed nothing
    office.admin("POST", f"/api/v1/catalog/imports/{result['id']}/publish?valid_only=1")
    with office.ctx.db.connection_context():
        products = {p.sku: p for p in Product.select()}
    assert set(products) == {"COLA", "GUM"}
    assert (products["COLA"].price, products["COLA"].cost_price, json.loads(products["COLA"].barcodes)) == \
        (300, 180, ["6901234567892"])
    assert products["GUM"].price == 150
    for store_id in ("s1", "s2", "s3"):
        assert {c["data"]["sku"] for c in changes_for(office, store_id) if c["entity"] == "product"} == {"COLA", "GUM"}
    again = office.client.post(f"/api/v1/catalog/imports/{result['id']}/publish?valid_only=1", headers=AUTH)
    assert again.status_code == 409


def test_a_file_with_unknown_columns_is_refused_whole(office):
    seed(office)
    response = office.client.post("/api/v1/catalog/imports", headers=AUTH, content_type="multipart/form-data",
                                  data={"kind": "products",
                                        "file": (io.BytesIO(b"sku,name,colour\nA,B,red\n"), "bad.csv")})
    assert response.status_code == 400
    assert "unknown columns colour" in response.get_json()["message"]
    assert "missing columns price, tax_class" in response.get_json()["message"]


def test_export_reimports_unchanged(office):
    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "可口可乐", "3.00", "standard", "drinks", "6901234567892", "1.80", "each"]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    exported = office.admin("GET", "/api/v1/catalog/export?kind=products&format=xlsx").data
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("COLA", "可口可乐", "3.00", "standard")
    again = upload(office, exported)
    assert again["state"] == "staged" and again["errors"] == []
    preview = office.admin("GET", f"/api/v1/catalog/imports/{again['id']}/preview").get_json()
    assert preview["stores"]["s1"]["changes"][0]["change"] == "unchanged (sent again)"


def test_group_and_store_prices_reach_only_their_stores(office):
    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "", "", "", ""],
                         ["GUM", "Gum", "1.50", "standard", "", "", "", ""]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    before = {s: len(changes_for(office, s)) for s in ("s1", "s2", "s3")}
    # the north group's own price: s1 and s2 only
    versions = office.admin("POST", "/api/v1/catalog/prices",
                            {"prices": [{"sku": "COLA", "group": "north", "price": 280}]}).get_json()["versions"]
    assert set(versions) == {"s1", "s2"}
    # s2's own price wins over its group's: s2 only
    versions = office.admin("POST", "/api/v1/catalog/prices",
                            {"prices": [{"sku": "COLA", "store": "s2", "price": 250}]}).get_json()["versions"]
    assert set(versions) == {"s2"}
    # a chain price change reaches only s3 (s1 and s2 keep their own prices)
    versions = office.admin("POST", "/api/v1/catalog/prices",
                            {"prices": [{"sku": "COLA", "price": 320}]}).get_json()["versions"]
    assert set(versions) == {"s3"}
    last_price = {}
    for store_id in ("s1", "s2", "s3"):
        for change in changes_for(office, store_id)[before[store_id]:]:
            assert change["entity"] == "product" and change["data"]["sku"] == "COLA"
            last_price[store_id] = change["data"]["price"]
    assert last_price == {"s1": 280, "s2": 250, "s3": 320}
    prices = office.admin("GET", "/api/v1/catalog/products/COLA").get_json()["store_prices"]
    assert prices == {"s1": {"price": 280, "source": "group"}, "s2": {"price": 250, "source": "store"},
                      "s3": {"price": 320, "source": "chain"}}
    # removing s2's own price sends it its group's price again
    versions = office.admin("POST", "/api/v1/catalog/prices",
                            {"prices": [{"sku": "COLA", "store": "s2", "price": None}]}).get_json()["versions"]
    assert set(versions) == {"s2"}
    assert changes_for(office, "s2")[-1]["data"]["price"] == 280


def test_a_price_file_stages_group_prices_and_the_preview_names_each_store(office):
    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "", "", "", ""]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    data = xlsx([["sku", "price", "group", "store"], ["COLA", "2.80", "north", ""], ["COLA", "2.60", "", "nowhere"],
                 ["FANTA", "2.00", "", ""]], sheet="prices")
    result = upload(office, data, "prices.xlsx", kind="prices")
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "store"), (4, "sku")]
    preview = office.admin("GET", f"/api/v1/catalog/imports/{result['id']}/preview?valid_only=true").get_json()
    assert [c["change"] for c in preview["stores"]["s1"]["changes"]] == ["price 3.00 → 2.80"]
    assert preview["stores"]["s3"]["changes"] == []


def test_a_viewer_cannot_publish_or_change_a_price(office):
    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "", "", "", ""]]))
    token = office.api_token("viewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert office.client.post("/api/v1/catalog/imports/1/publish", headers=headers).status_code == 403
    assert office.client.post("/api/v1/catalog/prices", headers=headers,
                              json={"prices": [{"sku": "COLA", "price": 1}]}).status_code == 403
    assert office.client.get("/api/v1/catalog/imports/1", headers=headers).status_code == 200
    with office.ctx.db.connection_context():
        assert Product.select().count() == 0


def test_a_store_moved_to_another_group_gets_the_new_groups_prices(office):
    from fleet_server import catalog

    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "", "", "", ""],
                         ["GUM", "Gum", "1.50", "standard", "", "", "", ""]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    office.admin("POST", "/api/v1/catalog/prices", {"prices": [{"sku": "COLA", "group": "north", "price": 280},
                                                               {"sku": "GUM", "group": "south", "price": 120}]})
    sent = len(changes_for(office, "s1"))
    office.admin("PATCH", "/api/v1/stores/s1", {"group": "south"})
    with office.ctx.db.connection_context():
        versions = catalog.store_group_changed(office.ctx.key, "s1", "north")
        assert catalog.store_group_changed(office.ctx.key, "s1", "south") == {}  # no move: nothing sent
    assert set(versions) == {"s1"}
    assert {c["data"]["sku"]: c["data"]["price"] for c in changes_for(office, "s1")[sent:]} == {"COLA": 300,
                                                                                                 "GUM": 120}


def test_the_preview_of_a_large_file_counts_everything_and_lists_the_first_changes(office):
    seed(office)
    rows = [HEADER] + [[f"P{i:04d}", f"Product {i}", "1.00", "standard", "", "", "", ""] for i in range(250)]
    result = upload(office, xlsx(rows))
    preview = office.admin("GET", f"/api/v1/catalog/imports/{result['id']}/preview").get_json()
    store = preview["stores"]["s1"]
    assert (store["count"], store["new"], store["changed"], store["unchanged"]) == (250, 250, 0, 0)
    assert len(store["changes"]) == 200


def test_a_gb18030_csv_from_a_chinese_excel_imports(office):
    seed(office)
    text = "sku,name,price,tax_class,category,barcodes\r\nTEA,乌龙茶 500ml,6.50,standard,drinks,6901234567892\r\n"
    result = upload(office, text.encode("gb18030"), "茶.csv")
    assert result["state"] == "staged" and result["errors"] == []
    office.admin("POST", f"/api/v1/catalog/imports/{result['id']}/publish")
    sent = [c["data"] for c in changes_for(office, "s1") if c["entity"] == "product"]
    assert [(p["name"], p["price"], p["barcodes"]) for p in sent] == [("乌龙茶 500ml", 650, ["6901234567892"])]
