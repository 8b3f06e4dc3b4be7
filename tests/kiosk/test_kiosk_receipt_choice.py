"""The "No receipt" choice in a real headless Chromium, kept by the till and not the browser:
it survives a restart of the till process and a fresh browser (no sessionStorage), the
declined receipt is not printed, and the next customer's is."""

from __future__ import annotations

import time

import pytest

from tests.appliance.conftest import COLA, MILK, PINS, seed

from .conftest import SMALL, expect, lines, login, scan
from .harness import TillProcess


@pytest.fixture
def sim_till(tmp_path):
    process = TillProcess(tmp_path, seed, simulated=True,
                          store={"locale": "en", "name": "Test Store 测试店", "currency": "CNY"}).start()
    yield process
    process.stop()


def _printed(till, count: int, timeout: float = 10.0) -> list[str]:
    """The simulated printer's receipts once it has printed `count` (printing runs on its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        receipts = till.sim("GET", "printer")["receipts"]
        if len(receipts) >= count or time.monotonic() > deadline:
            return receipts
        time.sleep(0.1)


def test_no_receipt_survives_a_till_restart_and_a_fresh_browser(sim_till, browser, page):
    login(page, sim_till, "王芳", "1001")
    expect(page.locator("#open-card")).to_be_visible()
    page.locator("#float").fill("0")
    page.locator("#open-btn").click()
    page.wait_for_url("**/sale")
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("F10")
    expect(page.locator("#side-pay")).to_be_visible()
    no_receipt = page.locator("#no-receipt")
    expect(no_receipt).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("F5")
    expect(no_receipt).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("F5")  # changed their mind, then back again
    expect(no_receipt).to_have_attribute("aria-pressed", "false")
    assert sim_till.query("SELECT receipt_wanted FROM sale WHERE status = 'open'") == [(1,)]
    page.keyboard.press("F5")
    expect(no_receipt).to_have_attribute("aria-pressed", "true")
    assert sim_till.query("SELECT receipt_wanted FROM sale WHERE status = 'open'") == [(0,)]
    page.context.close()

    sim_till.stop()  # the till restarts before the customer pays
    sim_till.start()
    context = browser.new_context(viewport=SMALL, locale="en-US", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()  # another browser: nothing of the first one's storage
        login(page, sim_till, "王芳", "1001")
        page.wait_for_url("**/sale")
        expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
        expect(lines(page)).to_have_count(1)  # the sale resumed
        page.keyboard.press("F10")
        expect(page.locator("#side-pay")).to_be_visible()
        expect(page.locator("#no-receipt")).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
        expect(page.locator("#side-done")).to_be_visible()
        expect(page.locator("#done-no-receipt")).to_be_visible()
        first_no = sim_till.query("SELECT receipt_no FROM sale WHERE status = 'completed'")[0][0]

        # the next customer wants theirs: it prints, and it is the only receipt printed
        scan(page, MILK)
        expect(page.locator("#side-cart")).to_be_visible()
        expect(lines(page)).to_have_count(1)
        expect(lines(page).first).to_contain_text("蒙牛纯牛奶")
        page.keyboard.press("F10")
        expect(page.locator("#side-pay")).to_be_visible()
        expect(page.locator("#no-receipt")).to_have_attribute("aria-pressed", "false")
        page.keyboard.press("Enter")
        expect(page.locator("#side-done")).to_be_visible()
        expect(page.locator("#done-no-receipt")).to_be_hidden()
        second_no = sim_till.query("SELECT receipt_no FROM sale WHERE status = 'completed' "
                                   "AND receipt_no <> ?", (first_no,))[0][0]
        receipts = _printed(sim_till, 1)
        assert len(receipts) == 1 and second_no in receipts[0] and first_no not in receipts[0]
        # (printing runs in order: the first sale's turn came, and went, before the second's)
    finally:
        context.close()

    # the first customer asks for their receipt after all: it is reprinted
    token = sim_till.api("POST", "/api/auth/login", {"cashier_code": "1001", "pin": PINS["1001"]})["token"]
    sale_uuid = sim_till.query("SELECT uuid FROM sale WHERE receipt_no = ?", (first_no,))[0][0]
    sim_till.api("POST", f"/api/sales/{sale_uuid}/reprint", token=token)
    receipts = _printed(sim_till, 2)
    assert len(receipts) == 2 and first_no in receipts[1]
