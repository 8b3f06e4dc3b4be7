"""The on-screen keyboard in a real headless Chromium with a touch screen: a finger alone
finds a product by name and adds it, types a reason that reaches the audit log and a
refund, and a keyboard-wedge scan still adds its item exactly once."""

from __future__ import annotations

import pytest

from tests.appliance.conftest import CHIPS, COLA, PINS

from .conftest import SMALL, doc_shot, expect, lines, login, money, open_shift, scan, sell_over_api, shot, start_selling


@pytest.fixture
def context(browser):
    """A till with a touch screen: taps are touches (pointerType "touch")."""
    context = browser.new_context(viewport=SMALL, has_touch=True, locale="en-US", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def tap_keys(page, text: str) -> None:
    """Tap each character of `text` on the on-screen keyboard (capitals with ⇧ first)."""
    board = page.locator("#osk")
    for char in text:  # " " is the space bar's data-key
        if char.isupper():
            board.locator('[data-key="Shift"]').tap()
        board.locator(f'[data-key="{char.lower()}"]').tap()


def test_a_finger_finds_a_product_by_name_on_the_keyboard_and_adds_it(till, page):
    start_selling(page, till)
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
    doc_shot(page, "keyboard")
    board.locator('[data-key="Backspace"]').tap()
    expect(page.locator("#scan")).to_have_value("chip")
    tap_keys(page, "s")
    expect(page.locator("#results")).to_be_visible()  # the search ran again for "chips"
    expect(results).to_have_count(1)
    board.locator('[data-key="Enter"]').tap()  # Enter adds the highlighted result
    expect(lines(page)).to_have_count(1)
    expect(lines(page).first).to_contain_text("Lay's chips 70g")
    expect(page.locator("#scan")).to_have_value("")
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id") == [
        ("CHIPS", 1000)]

    # a Chinese name is found by its SKU (no IME on the till): "cola" finds 可口可乐
    tap_keys(page, "cola")
    expect(page.locator("#results")).to_be_visible()
    expect(results.first).to_contain_text("可口可乐 330ml")
    results.first.tap()
    expect(lines(page)).to_have_count(2)
    expect(board).to_be_hidden()  # a tap elsewhere put the keyboard away
    expect(page.locator("#scan")).to_be_focused()  # ready for the scanner


def test_a_wedge_scan_while_the_keyboard_is_closed_adds_the_item_once_and_does_not_open_it(till, page):
    start_selling(page, till)
    page.locator("#scan").tap()
    page.locator("#osk [data-key=Close]").tap()
    expect(page.locator("#osk")).to_be_hidden()

    page.evaluate("document.activeElement.blur()")
    scan(page, COLA)  # the scan field gets the focus; the scanner types the code and Enter
    expect(lines(page)).to_have_count(1)
    expect(page.locator("#osk")).to_be_hidden()  # a scan is not a touch
    scan(page, CHIPS)
    expect(lines(page)).to_have_count(2)
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()
    page.wait_for_timeout(300)  # a duplicated code would have arrived by now
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id "
                      "ORDER BY l.id") == [("COLA", 1000), ("CHIPS", 1000)]

    # with the keyboard open, a scan still goes into the field once
    page.locator("#scan").tap()
    expect(page.locator("#osk")).to_be_visible()
    scan(page, COLA)
    expect(lines(page).first).to_contain_text("2")
    page.wait_for_timeout(300)
    assert till.query("SELECT p.sku, l.qty_milli FROM sale_line l JOIN product p ON p.id = l.product_id "
                      "ORDER BY l.id") == [("COLA", 2000), ("CHIPS", 1000)]
    page.keyboard.press("Escape")  # a real keyboard's Esc puts it away too
    expect(page.locator("#osk")).to_be_hidden()


def test_a_void_reason_typed_on_the_keyboard_reaches_the_audit_log(till, page):
    login(page, till, "李强", "2001")  # a manager may void without an approval
    open_shift(page, "0")
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.locator("[data-action=void]").tap()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    reason = dialog.locator("input[type=text]")
    reason.tap()
    board = dialog.locator("#osk")
    expect(board).to_be_visible()  # inside the modal dialog, which makes the page behind it inert
    # the dialog moved up: its field and buttons are above the keyboard
    assert dialog.locator("[data-testid=dialog-ok]").bounding_box()["y"] < board.bounding_box()["y"]
    tap_keys(page, "Box torn")
    expect(reason).to_have_value("Box torn")
    shot(page, "keyboard-dialog")
    board.locator('[data-key="Enter"]').tap()  # Enter confirms the dialog, as a keyboard's does
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Sale voided")
    expect(page.locator("#osk")).to_be_hidden()
    assert till.query("SELECT status FROM sale") == [("voided",)]
    assert till.query("SELECT json_extract(details, '$.reason') FROM audit_entry WHERE action = 'sale.void'") == [
        ("Box torn",)]


def test_a_refund_reason_typed_on_the_keyboard_reaches_the_refund(till, page):
    sale = sell_over_api(till, [COLA])
    login(page, till, "王芳", "1001")
    page.goto(f"{till.url}/refund")
    expect(page.locator("#refund")).to_have_attribute("data-state", "ready")
    page.locator(f"#recent [data-receipt='{sale['receipt_no']}']").tap()
    row = page.locator(f"tr[data-line='{sale['lines'][0]['id']}']")
    row.locator("[data-step='1']").tap()
    expect(row.locator("input[data-qty]")).to_have_value("1")
    page.locator("#r-method [data-method=cash]").tap()

    page.locator("#r-reason").tap()
    board = page.locator("#osk")
    expect(board).to_be_visible()
    # the page's panes make room above the keyboard: the reason field is not under it
    field = page.locator("#r-reason").bounding_box()
    assert field["y"] + field["height"] <= board.bounding_box()["y"] + 1
    tap_keys(page, "Dented can")
    expect(page.locator("#r-reason")).to_have_value("Dented can")
    page.locator("[data-action=refund]").tap()
    expect(page.locator("[data-testid=refund-payout]")).to_have_text(money(sale["lines"][0]["net"]))
    expect(board).to_be_hidden()
    assert till.query("SELECT reason FROM refund") == [("Dented can",)]


def test_a_member_card_with_letters_is_typed_on_the_keyboard_beside_the_number_pad(till, page):
    token = till.api("POST", "/api/auth/login", {"cashier_code": "1001", "pin": PINS["1001"]})["token"]
    till.api("POST", "/api/members", {"card_no": "M0001", "name": "张三", "phone": "13800138000"}, token=token)
    start_selling(page, till)
    page.locator("[data-action=member]").tap()
    dialog = page.locator("#dialog")
    expect(dialog.locator(".keypad")).to_be_visible()
    dialog.locator("input[type=text]").tap()
    expect(dialog.locator("#osk")).to_be_visible()
    tap_keys(page, "M0001")
    expect(dialog.locator("input[type=text]")).to_have_value("M0001")
    dialog.locator('#osk [data-key="Enter"]').tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-testid=member]")).to_contain_text("张三")


def test_the_keyboard_speaks_chinese_and_a_mouse_click_opens_it_only_when_set_to_always(till, page):
    start_selling(page, till)
    page.locator("[data-language='zh-CN']").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator("#scan").click()  # a mouse: no keyboard
    expect(page.locator("#osk")).to_have_count(0)
    page.locator("#sb-keyboard").click()
    expect(page.locator("#sb-keyboard")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#toast")).to_have_text("屏幕键盘：每个文字输入框都显示")
    page.locator("#scan").click()
    board = page.locator("#osk")
    expect(board).to_be_visible()
    expect(board.locator('[data-key=" "]')).to_have_text("空格")
    expect(board.locator('[data-key="Close"]')).to_have_text("收起")
    expect(board).to_have_attribute("aria-label", "屏幕键盘")
    shot(page, "keyboard-zh-CN")
    board.locator('[data-key="Close"]').click()
    expect(board).to_be_hidden()
    page.reload()  # the setting is kept for this till
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
    expect(page.locator("#sb-keyboard")).to_have_attribute("aria-pressed", "true")


def test_a_manager_adds_a_cashier_by_finger_field_after_field(till, page):
    login(page, till, "李强", "2001")
    page.goto(f"{till.url}/manager")
    page.locator("#add-cashier").tap()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    board = dialog.locator("#osk")
    for name, text in (("code", "3001"), ("name", "Amy Li"), ("pin", "1357")):
        dialog.locator(f"input[name={name}]").tap()  # the keyboard follows the tapped field
        expect(board).to_be_visible()
        expect(dialog.locator(f"input[name={name}]")).to_be_focused()
        tap_keys(page, text)
        expect(dialog.locator(f"input[name={name}]")).to_have_value(text)
    board.locator('[data-key="Enter"]').tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Amy Li")
    assert till.query("SELECT name, role FROM cashier WHERE code = '3001'") == [("Amy Li", "cashier")]

