"""Browser tests: a real `fleetpos till` process and a real headless Chromium.

Each test gets a fresh till (its own data dir, seeded with the till tests' catalog, on a
free loopback port) and a fresh browser context; the browser is shared by the session.
"""

from __future__ import annotations

import os

import pytest
from playwright import sync_api

from tests.appliance.conftest import PINS, seed

from .harness import REPO, SCREENSHOTS, TillProcess

expect = sync_api.expect
expect.set_options(timeout=8000)

SMALL = {"width": 1024, "height": 600}
LARGE = {"width": 1920, "height": 1080}
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture
def till(tmp_path):
    process = TillProcess(tmp_path, seed, store={"locale": "en", "name": "Test Store 测试店", "currency": "CNY"}).start()
    yield process
    process.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=SMALL, locale="en-US", timezone_id="Asia/Shanghai")
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def shot(page, name: str) -> None:
    # written here rather than by Playwright, which would start executor threads to write it
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.png").write_bytes(page.screenshot())


def doc_shot(page, name: str) -> None:
    """A screenshot kept with the test artifacts and, with FLEETPOS_DOC_SCREENSHOTS=1, also
    written over the one docs/kiosk.md shows (so a plain test run leaves docs/ alone)."""
    page.evaluate("document.getElementById('toast').hidden = true")
    shot(page, name)
    if os.environ.get("FLEETPOS_DOC_SCREENSHOTS") == "1":
        (DOCS_SCREENSHOTS / f"{name}.png").write_bytes(page.screenshot())


def lines(page):
    """The sale's lines on the sale screen."""
    return page.locator("#lines > li")


def sell_over_api(till, codes, cash: int | None = None) -> dict:
    """A completed sale rung up over the API (its login ends any other session on the till)."""
    token = till.api("POST", "/api/auth/login", {"cashier_code": "1001", "pin": PINS["1001"]})["token"]
    if till.api("GET", "/api/shift/current", token=token)["shift"] is None:
        till.api("POST", "/api/shifts", {"opening_float": 10000}, token=token)
    sale = till.api("POST", "/api/sales", token=token)["sale"]
    for code in codes:
        sale = till.api("POST", f"/api/sales/{sale['uuid']}/lines", {"code": code}, token=token)["sale"]
    return till.api("POST", f"/api/sales/{sale['uuid']}/payments",
                    {"method": "cash", "amount": cash or sale["cash_due"]}, token=token)["sale"]


def login(page, till, name: str, code: str) -> None:
    """Tap the cashier's tile, type the PIN on the keyboard, Enter."""
    page.goto(f"{till.url}/lock")
    expect(page.locator("#lock")).to_have_attribute("data-state", "ready")
    page.locator(".tile", has_text=name).click()
    page.keyboard.type(PINS[code])
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/lock" not in url)


def start_selling(page, till, float_text: str = "0") -> None:
    """王芳 (cashier 1001) logs in and opens her shift with `float_text`: the empty sale screen."""
    login(page, till, "王芳", "1001")
    open_shift(page, float_text)


def open_shift(page, float_text: str) -> None:
    expect(page.locator("#open-card")).to_be_visible()
    page.locator("#float").fill(float_text)
    page.locator("#open-btn").click()
    page.wait_for_url("**/sale")
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.locator("#scan").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def pay_with_reference(page, key: str, amount: str, reference: str) -> None:
    """On the payment panel: the method of `key` (F2 card, F3 WeChat Pay, F4 Alipay), the amount
    typed, the terminal's reference, Enter."""
    page.keyboard.press(key)
    page.locator("#pay-amount").fill(amount)
    page.locator("#pay-ref").fill(reference)
    page.keyboard.press("Enter")


def find_member(page, card_or_phone: str) -> None:
    """On the sale: F5, the member's card number or phone number typed, Enter."""
    page.keyboard.press("F5")
    page.keyboard.type(card_or_phone)
    page.keyboard.press("Enter")


def manager_approves(page, name: str, code: str) -> None:
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".tile", has_text=name).click()
    page.keyboard.type(PINS[code])
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()


def money(minor: int, locale: str = "en") -> str:
    """An amount of CNY as Chromium's Intl writes it for the page's locale."""
    symbol = "CN¥" if locale == "en" else "¥"
    sign = "-" if minor < 0 else ""
    return f"{sign}{symbol}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"
