"""In headless Chromium against a live head office, a real Mosquitto and a till with its sync
agent: import a catalog from an .xlsx file, change a price and see it reach the store, sell
on the till, then see today's sales chart and the sale's receipt."""

import io

from openpyxl import Workbook

from tests.sync.conftest import CHIPS, COLA, PIN, wait_for

from .conftest import shot


def _xlsx(rows) -> bytes:
    book = Workbook()
    book.active.title = "products"
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload_catalog(page, office, path, chips_price: str) -> None:
    """The catalog page's upload of a products .xlsx (COLA at 3.00, CHIPS at `chips_price`)."""
    path.write_bytes(_xlsx([["sku", "name", "price", "tax_class", "category", "barcodes", "cost_price"],
                            ["COLA", "可口可乐 330ml", "3.00", "standard", "drinks", COLA, "1.80"],
                            ["CHIPS", "乐事薯片 70g", chips_price, "standard", "snacks", CHIPS, "4.10"]]))
    page.goto(f"{office.url}/console/catalog")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload")


def test_import_price_change_sale_chart_and_receipt(console_page, live_office, till_factory, tmp_path):
    office, page = live_office, console_page
    office.call("POST", "/api/v1/stores", {"id": "s1", "name": "徐汇店", "group": "north"}, expect=201)
    office.call("POST", "/api/v1/stores", {"id": "s2", "name": "静安店", "group": "south"}, expect=201)
    office.call("PUT", "/api/catalog/tax-classes", {"tax_classes": [{"code": "standard", "name": "VAT 13%",
                                                                     "rate_bp": 1300}]})
    office.call("PUT", "/api/catalog/categories", {"categories": [{"code": "drinks", "name": "饮料"},
                                                                  {"code": "snacks", "name": "零食"}]})
    office.call("PUT", "/api/stores/s1/cashiers", {"cashiers": [{"code": "1001", "name": "王芳", "role": "manager",
                                                                  "pin": PIN}]})
    till = till_factory("s1")
    till.enroll(office)
    till.start_agent()

    # 1. import the catalog from a spreadsheet: a bad row first, then the fixed file
    _upload_catalog(page, office, tmp_path / "catalog-broken.xlsx", "7.5x")
    page.wait_for_selector("#errors")
    assert page.inner_text("#bad-rows") == "1"
    assert "not an amount" in page.inner_text("#errors")
    assert page.query_selector("#publish") is None  # nothing to publish while the file has a bad row
    shot(page, "import-errors", docs=True)

    _upload_catalog(page, office, tmp_path / "catalog.xlsx", "7.50")
    page.wait_for_selector(".preview-store[data-store='s1']")
    assert "new product" in page.inner_text(".preview-store[data-store='s1']")
    shot(page, "import-preview")
    page.click("#publish")
    page.wait_for_selector("#state:has-text('published')")
    wait_for(lambda: till.products().get("COLA", {}).get("price") == 300 and "CHIPS" in till.products(),
             timeout=15, message="the imported catalog at the till")

    # 2. change COLA's price for store s1 only; the preview says s2 gets nothing
    page.goto(f"{office.url}/console/catalog/products/COLA")
    page.fill("#new-price", "3.50")
    page.select_option("#scope", "store")
    page.select_option("select[name=store]", "s1")
    page.click("#preview-price")
    page.wait_for_selector(".preview-store[data-store='s1']")
    assert "price 3.00 → 3.50" in page.inner_text(".preview-store[data-store='s1']")
    assert "Nothing" in page.inner_text(".preview-store[data-store='s2']")
    page.click("#publish")
    page.wait_for_selector("#state:has-text('published')")
    wait_for(lambda: till.products()["COLA"]["price"] == 350, timeout=15, message="the new price at the till")
    page.goto(f"{office.url}/console/catalog/products/COLA")
    assert "3.50" in page.inner_text("#store-prices tr[data-store='s1']")
    assert "3.00" in page.inner_text("#store-prices tr[data-store='s2']")

    # 3. sell on the till at the new price; the sale reaches head office over the broker
    actor = till.login("1001")
    till.open_shift(actor)
    sale = till.sell(actor, [COLA, COLA, CHIPS])
    assert sale.total == 350 * 2 + 750
    wait_for(lambda: till.backlog() == 0, timeout=20, message="the sale acked by head office")

    # 4. today's chart and the figures
    page.goto(f"{office.url}/console/reports")
    page.wait_for_selector("#today-chart[data-drawn='24']")
    assert page.inner_text("#today-total") == "14.50"
    assert page.inner_text("#today-sales") == "1"
    assert page.evaluate("window.consoleCharts['today-chart'].data.datasets[0].data.reduce((a, b) => a + b, 0)") \
        == 14.5
    shot(page, "reports", docs=True)
    page.goto(f"{office.url}/console/reports?report=product")
    assert "可口可乐 330ml" in page.inner_text("#report")

    # 5. the sale in the search, and its receipt as printed
    page.goto(f"{office.url}/console/sales")
    page.click(f"tr[data-uuid='{sale.uuid}'] a")
    page.wait_for_selector("#receipt")
    receipt = page.inner_text("#receipt")
    assert sale.receipt_no in receipt and "可口可乐 330ml" in receipt and "14.50" in receipt
    assert "王芳" in receipt  # the cashier's name from head office's accounts
    shot(page, "receipt", docs=True)
