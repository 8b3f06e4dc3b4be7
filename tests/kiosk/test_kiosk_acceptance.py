"""The kiosk's acceptance scenario, as one cashier's shift at a till whose devices are all
simulators (driven through tests/kiosk/sim_till.py), in a real headless Chromium."""

from __future__ import annotations

import re

import pytest

from appliance.services import auth, members, promotions
from tests.appliance.conftest import CHIPS, COLA, MILK, seed

from .conftest import expect, lines, manager_approves, money, pay_with_reference, scan, shot, start_selling
from .harness import TillProcess

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def seed_store(ctx):
    """The till tests' catalog, a gold member, a promotion on cola; the store prints in
    Chinese and 王芳 and 李强 work in English."""
    seed(ctx)
    manager = auth.Actor(cashier=auth.Cashier.get(auth.Cashier.code == "2001"))
    member = members.create_member(ctx, manager, card_no="M0001", name="张三", phone="13800138000")
    with ctx.transaction():
        ctx.sql("UPDATE member SET tier_id = 'gold' WHERE id = ?", (member.id,))
        ctx.sql("UPDATE cashier SET locale = 'en' WHERE code IN ('1001', '2001')")
    promotions.upsert_promotion(ctx, {"code": "COLA10", "name": "可乐九折", "kind": "percent_off",
                                      "percent_bp": 1000, "products": ["COLA"]})


@pytest.fixture
def till(tmp_path):
    process = TillProcess(tmp_path, seed_store, simulated=True,
                          store={"locale": "zh-CN", "name": "测试店 Test Store", "currency": "CNY"}).start()
    yield process
    process.stop()


def test_acceptance_a_shift_at_the_till_from_login_to_z_report(till, page, context):
    display = context.new_page()
    display.goto(f"{till.url}/display")
    expect(display.locator("#display")).to_have_attribute("data-mode", "idle")

    # log in with a PIN (the lock screen is in the store's language; 王芳 works in English)
    start_selling(page, till, "100.00")

    # three items through the scanner simulator: the till's scanner thread adds them
    for code in (COLA, CHIPS, MILK):
        till.sim("POST", "scan", {"code": code})
    expect(lines(page)).to_have_count(3)
    expect(lines(page).nth(0)).to_contain_text("可口可乐 330ml")
    expect(lines(page).nth(0)).to_contain_text("可乐九折")  # the promotion, on its line

    # the member: the member card scanned with the till's scanner while the member dialog is open
    page.keyboard.press("F5")
    expect(page.locator("#dialog")).to_contain_text("Scan the member card")
    page.wait_for_timeout(300)  # the dialog has told the till it takes the next scan
    till.sim("POST", "scan", {"code": "M0001"})
    expect(page.locator("[data-testid=member]")).to_contain_text("张三")
    expect(page.locator("[data-testid=member]")).to_contain_text("金卡会员")
    expect(page.locator("#t-member-row")).to_be_visible()

    # a 10 % discount on the chips, approved with a manager's PIN
    lines(page).nth(1).click()
    page.keyboard.press("F6")
    page.locator("#dialog").get_by_role("radio", name="Percent").click()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    manager_approves(page, "李强", "2001")
    expect(lines(page).nth(1)).to_contain_text("Discount 10%")
    sale_uuid, total = till.query("SELECT uuid, total FROM sale WHERE status = 'open'")[0]
    expect(page.locator("#t-total")).to_have_text(money(total))
    assert till.query("SELECT member_discount > 0 FROM sale") == [(1,)]

    # split tender: 5.00 on the card terminal, the rest in cash from a 20 note
    page.keyboard.press("F10")
    pay_with_reference(page, "F2", "5.00", "TERM-1")
    expect(page.locator("#payments li")).to_have_count(1)
    page.keyboard.press("F1")
    page.locator("#pay-amount").fill("20")
    page.keyboard.press("Enter")
    change = 2000 - (total - 500)
    expect(page.locator("[data-testid=change]")).to_have_text(money(change))
    expect(display.locator("[data-testid=display-change]")).to_have_text(money(change, "zh"))
    shot(display, "acceptance-01-display-change")

    # the printer simulator printed the receipt (in the store's Chinese), with the sale's code
    receipt = _wait_for_receipt(till, "till-1-000001")
    for expected in ("till-1-000001", "可口可乐 330ml", "合计", "找零", "会员卡号", sale_uuid):
        assert expected in receipt, expected

    # a refund of the cola from that receipt: its code scanned on the returns screen
    page.locator(".navbtn", has_text="Returns").click()
    expect(page.locator("#refund")).to_have_attribute("data-state", "ready")
    page.keyboard.type(UUID.search(receipt).group(0))
    page.keyboard.press("Enter")
    expect(page.locator("#r-heading")).to_contain_text("till-1-000001")
    cola_line, cola_paid = till.query("SELECT id, net FROM sale_line WHERE sku = 'COLA'")[0]
    page.locator(f"tr[data-line='{cola_line}'] [data-step='1']").click()
    expect(page.locator("[data-testid=refund-total]")).to_have_text(money(cola_paid))
    page.locator("[data-reason]").first.click()
    shot(page, "acceptance-02-refund")
    page.keyboard.press("F10")
    expect(page.locator("[data-testid=refund-payout]")).to_have_text(money(cola_paid))
    assert till.query("SELECT r.payout, l.qty_milli FROM refund r JOIN refund_line l ON l.refund_id = r.uuid") == [
        (cola_paid, 1000)]

    # park and resume, then a reload mid-sale
    page.locator(".navbtn", has_text="Checkout").click()
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
    scan(page, MILK)
    scan(page, MILK)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")
    page.keyboard.press("F8")
    expect(lines(page)).to_have_count(0)
    page.keyboard.press("F9")
    page.locator("#dialog .pick").first.click()
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")
    page.reload()
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
    expect(lines(page)).to_have_count(1)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")

    # switch to Chinese mid-sale: Chinese labels, the sale still there
    page.locator("[data-language='zh-CN']").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-action=pay]")).to_contain_text("结账")
    expect(page.locator(".navbtn", has_text="退货")).to_be_visible()
    expect(lines(page).nth(0)).to_contain_text("蒙牛纯牛奶")
    second_total = till.query("SELECT total FROM sale WHERE status = 'open'")[0][0]
    page.keyboard.press("F10")
    page.keyboard.press("Enter")  # exact cash
    expect(page.locator("#side-done")).to_be_visible()
    expect(page.locator("#side-done")).to_contain_text("找零")
    # the rendered receipt: on the screen (the printer's own layout) and on the paper
    page.keyboard.press("F5")
    image = page.locator("[data-testid=receipt-image]")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('[data-testid=receipt-image]').naturalWidth > 300")
    shot(page, "acceptance-03-receipt-zh-CN")
    page.keyboard.press("Escape")
    second = _wait_for_receipt(till, "till-1-000002")
    assert "蒙牛纯牛奶" in second and "合计" in second

    # close the shift: count the drawer, check the Z report's figures
    page.locator(".navbtn", has_text="交接班").click()
    expect(page.locator("#shift")).to_have_attribute("data-state", "ready")
    page.locator("[data-action=count]").click()
    page.locator("[data-face='10000']").fill("2")
    page.locator("[data-action=close]").click()
    page.locator("#dialog [data-testid=dialog-ok]").click()
    expect(page.locator("#report-title")).to_contain_text("Z")
    cash_in = till.query("SELECT SUM(amount) FROM payment WHERE method = 'cash'")[0][0]
    cash_back = till.query("SELECT SUM(amount) FROM refund_payment WHERE method = 'cash'")[0][0]
    expected_cash = 10000 + cash_in - cash_back

    def figure(key):
        return page.locator(f"#report [data-figure='{key}']")

    expect(figure("sales_count")).to_have_text("2")
    expect(figure("total")).to_have_text(money(total + second_total, "zh"))
    expect(figure("payments.card")).to_have_text(money(500, "zh"))
    expect(figure("refunds_payout")).to_have_text(money(-cola_paid, "zh"))
    expect(figure("expected.cash")).to_have_text(money(expected_cash, "zh"))
    expect(figure("counted.cash")).to_have_text(money(20000, "zh"))
    expect(figure("difference.cash")).to_have_text(money(20000 - expected_cash, "zh"))
    shot(page, "acceptance-04-z-report-zh-CN")
    stored = till.query("SELECT json_extract(report_json, '$.expected.cash'), json_extract(report_json, '$.sales_count') "
                        "FROM shift")
    assert stored == [(expected_cash, 2)]


def _wait_for_receipt(till, number: str, timeout: float = 10.0) -> str:
    """The receipt the printer simulator printed for a sale (printing runs on its own thread)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        receipts = [text for text in till.sim("GET", "printer")["receipts"] if number in text and "退货单" not in text]
        if receipts:
            return receipts[0]
        assert time.monotonic() < deadline, f"the printer printed no receipt {number}"
        time.sleep(0.1)
