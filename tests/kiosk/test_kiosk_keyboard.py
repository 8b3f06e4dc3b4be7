"""The on-screen keyboard in a real headless Chromium with a touch screen: a finger alone
finds a product by name and adds it, types a reason that reaches the audit log and a
refund, and a keyboard-wedge scan still adds its item exactly once."""

from __future__ import annotations

import os

import pytest

from tests.appliance.conftest import CHIPS, COLA

from .conftest import SMALL, expect, login, open_shift, scan, shot
from .harness import REPO

DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture
def context(browser):
    """A till with a touch screen: taps are touches (pointerType "touch")."""
    context = browser.new_context(viewport=SMALL, has_touch=True, locale="en-US", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def tap_keys(page, text: str) -> None:
    """Tap each character of `text` on the on-screen keyboard (capitals with ⇧ first)."""
    board = page.locator("#osk")
    for char in text:
        if char.isupper():
            board.locator('[data-key="Shift"]').tap()
        board.locator(f'[data-key="{char.lower()}"]').tap()


def test_a_finger_finds_a_product_by_name_on_the_keyboard_and_adds_it(till, page):
    login(page, till, "王芳", "1001")
    open_shift(page, "0")
    board = page.locator("#osk")
    expect(board).to_have_count(0)  # the scan field has the focus, and the keyboard stays away

    page.locator("#scan").tap()
    expect(board).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()
    box = board.bounding_box()
    assert box["y"] + box["height"] <= SMALL["height"] + 1 and box["width"] >= SMALL["width"] - 1
    key = board.locator('[data-key="q"]').bounding_box()
    assert key["width"] >= 44 and key["height"] >= 44, key  # a finger's size at 1024x600
    # the search field stays above the keyboard
    assert page.locator("#scan").bounding_box()["y"] < box["y"]

    tap_keys(page, "chips")
    expect(page.locator("#scan")).to_have_value("chips")
    results = page.locator("#results .result")
    expect(results).to_have_count(1)  # the live search reacted to the keys as to typing
    expect(results.first).to_contain_text("Lay's chips 70g")
    if os.environ.get("FLEETPOS_DOC_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.joinpath("keyboard.png").write_bytes(page.screenshot())
    shot(page, "keyboard")
    board.locator('[data-key="Backspace"]').tap()
    expect(page.locator("#scan")).to_have_value("chip")
    tap_keys(page, "s")
    expect(page.locator("#results")).to_be_visible()  # the search ran again for "chips"
    expect(results).to_have_count(1)
    board.locator('[data-key="Enter"]').tap()  # Enter adds the highlighted result
    expect(page.locator("#lines > li")).to_have_count(1)
    expect(page.locator("#lines > li").first).to_contain_text("Lay's chips 70g")
    expect(page.locator("#scan")).to_have_value("")
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id") == [
        ("CHIPS", 1000)]

    board.locator('[data-key="Close"]').tap()
    expect(board).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()


def test_a_wedge_scan_while_the_keyboard_is_closed_adds_the_item_once_and_does_not_open_it(till, page):
    login(page, till, "王芳", "1001")
    open_shift(page, "0")
    page.locator("#scan").tap()
    page.locator("#osk [data-key=Close]").tap()
    expect(page.locator("#osk")).to_be_hidden()

    scan(page, COLA)  # the scanner types the code and Enter into the focused field
    expect(page.locator("#lines > li")).to_have_count(1)
    expect(page.locator("#osk")).to_be_hidden()  # a scan is not a touch
    scan(page, CHIPS)
    expect(page.locator("#lines > li")).to_have_count(2)
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()
    page.wait_for_timeout(300)  # a duplicated code would have arrived by now
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id "
                      "ORDER BY l.id") == [("COLA", 1000), ("CHIPS", 1000)]

    # with the keyboard open, a scan still goes into the field once
    page.locator("#scan").tap()
    expect(page.locator("#osk")).to_be_visible()
    scan(page, COLA)
    expect(page.locator("#lines > li").first).to_contain_text("2")
    page.wait_for_timeout(300)
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id "
                      "ORDER BY l.id") == [("COLA", 2000), ("CHIPS", 1000)]


def test_a_void_reason_typed_on_the_keyboard_reaches_the_audit_log(till, page):
    login(page, till, "李强", "2001")  # a manager may void without an approval
    open_shift(page, "0")
    scan(page, COLA)
    expect(page.locator("#lines > li")).to_have_count(1)
    page.locator("[data-action=void]").tap()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    reason = dialog.locator("input[type=text]")
    reason.tap()
    board = dialog.locator("#osk")
    expect(board).to_be_visible()  # inside the modal dialog, which makes the page behind it inert
    # the dialog moved up: its field and buttons are above the keyboard
    assert dialog.locator("[data-testid=dialog-ok]").bounding_box()["y"] < board.bounding_box()["y"]
    tap_keys(page, "Box")
    board.locator('[data-key=" "]').tap()
    tap_keys(page, "torn")
    expect(reason).to_have_value("Box torn")
    shot(page, "keyboard-dialog")
    board.locator('[data-key="Enter"]').tap()  # Enter confirms the dialog, as a keyboard's does
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Sale voided")
    expect(page.locator("#osk")).to_be_hidden()
    assert till.query("SELECT status FROM sale") == [("voided",)]
    assert till.query("SELECT json_extract(details, '$.reason') FROM audit_entry WHERE action = 'sale.void'") == [
        ("Box torn",)]
