"""The kiosk in a real headless Chromium against a real `fleetpos till` process: what a
cashier and a manager do at the till, and what the customer display shows."""

from __future__ import annotations

import re

from tests.appliance.conftest import CHIPS, COLA, MILK, ean13

from .conftest import (LARGE, expect, lines, login, manager_approves, money, open_shift, pay_with_reference, scan, shot,
                       start_selling)


def test_a_sale_with_a_manager_approved_discount_and_split_payment_shows_the_change_on_both_screens(
        till, page, context):
    display = context.new_page()
    display.goto(f"{till.url}/display")
    expect(display.locator("#display")).to_have_attribute("data-mode", "idle")

    page.goto(f"{till.url}/lock")
    expect(page.locator(".tile")).to_have_count(4)
    shot(page, "01-lock")
    start_selling(page, till, "100.00")

    for code in (COLA, CHIPS, MILK):
        scan(page, code)
    expect(lines(page)).to_have_count(3)
    cola, chips, milk = till.price("COLA"), till.price("CHIPS"), till.price("MILK")
    expect(page.locator("#t-total")).to_have_text(money(cola + chips + milk))
    expect(lines(page).nth(0)).to_contain_text("可口可乐 330ml")

    # a 10 % discount on the chips: the cashier may not, a manager approves with a PIN
    lines(page).nth(1).click()
    page.keyboard.press("F6")
    page.locator("#dialog").get_by_role("radio", name="Percent").click()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(page.locator("#dialog")).to_contain_text("Manager approval")
    shot(page, "02-manager-approval")
    manager_approves(page, "李强", "2001")
    discounted = chips - chips // 10
    total = cola + discounted + milk
    expect(lines(page).nth(1)).to_contain_text("Discount 10%")
    expect(lines(page).nth(1).locator(".l-amount")).to_contain_text(money(discounted))
    expect(page.locator("#t-total")).to_have_text(money(total))
    expect(display.locator("[data-testid=display-total]")).to_have_text(money(total))
    shot(page, "03-sale")
    shot(display, "04-display-sale")
    approved = till.query("SELECT c.code FROM audit_entry a JOIN cashier c ON c.id = a.approved_by_id "
                          "WHERE a.action = 'line.discount'")
    assert approved == [("2001",)]

    # split tender: part on the card terminal, the rest in cash
    page.keyboard.press("F10")
    expect(page.locator("#side-pay")).to_be_visible()
    expect(page.locator("[data-testid=due]")).to_have_text(money(total))
    card = 500
    pay_with_reference(page, "F2", "5.00", "TERM-4711")
    expect(page.locator("#payments li")).to_have_count(1)
    page.keyboard.press("F1")
    expect(page.locator("[data-testid=due]")).to_have_text(money(total - card))
    page.locator("#pay-amount").fill("20")
    shot(page, "05-payment")
    page.keyboard.press("Enter")

    change = 2000 - (total - card)
    expect(page.locator("#side-done")).to_be_visible()
    expect(page.locator("[data-testid=change]")).to_have_text(money(change))
    expect(page.locator("#done-receipt")).to_contain_text("till-1-000001")
    expect(display.locator("#display")).to_have_attribute("data-mode", "paid")
    expect(display.locator("[data-testid=display-change]")).to_have_text(money(change))
    shot(page, "06-sale-complete")
    shot(display, "07-display-change")
    assert till.query("SELECT status, total, change FROM sale") == [("completed", total, change)]
    assert till.query("SELECT method, amount, reference FROM payment ORDER BY id") == [
        ("card", card, "TERM-4711"), ("cash", total - card, None)]

    # the next scan starts the next sale; the display follows it
    scan(page, MILK)
    expect(lines(page)).to_have_count(1)
    expect(display.locator("#display")).to_have_attribute("data-mode", "sale")
    expect(display.locator("[data-testid=display-total]")).to_have_text(money(milk))


def test_a_parked_sale_resumes_and_a_reload_mid_sale_and_mid_payment_loses_nothing(till, page):
    start_selling(page, till)
    scan(page, COLA)
    scan(page, MILK)
    expect(lines(page)).to_have_count(2)
    page.keyboard.press("F8")
    expect(lines(page)).to_have_count(0)
    expect(page.locator("#toast")).to_contain_text("parked")
    assert till.query("SELECT status FROM sale") == [("parked",)]

    page.keyboard.press("F9")
    page.locator("#dialog .pick").first.click()
    expect(lines(page)).to_have_count(2)
    scan(page, COLA)  # merges into the cola line
    expect(lines(page)).to_have_count(2)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")
    total = 2 * till.price("COLA") + till.price("MILK")
    expect(page.locator("#t-total")).to_have_text(money(total))

    page.reload()
    expect(page.locator("#sale")).to_have_attribute("data-state", "ready")
    expect(lines(page)).to_have_count(2)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")
    expect(page.locator("#t-total")).to_have_text(money(total))

    # a card payment is taken, then the page reloads: the payment panel comes back as it was
    page.keyboard.press("F10")
    pay_with_reference(page, "F3", "1.00", "WX-1")
    expect(page.locator("#payments li")).to_have_count(1)
    page.reload()
    expect(page.locator("#sale")).to_have_attribute("data-mode", "pay")
    expect(page.locator("#payments li")).to_contain_text("WeChat Pay")
    expect(page.locator("[data-testid=due]")).to_have_text(money(total - 100))
    # the cart is locked while a payment stands
    scan(page, CHIPS)
    expect(page.locator("#toast")).to_contain_text("payment has been taken")
    expect(lines(page)).to_have_count(2)


def test_closing_the_shift_counts_the_drawer_and_shows_the_z_report(till, page):
    start_selling(page, till, "100")
    scan(page, COLA)
    scan(page, COLA)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("2")
    total = 2 * till.price("COLA")
    page.keyboard.press("F10")
    page.locator("#quick-cash .btn").first.click()  # exact cash
    expect(page.locator("[data-testid=change]")).to_have_text(money(0))

    page.locator(".navbtn", has_text="Shift").click()
    expect(page.locator("#shift")).to_have_attribute("data-state", "ready")
    page.locator("[data-action=count]").click()
    # one 100 note and one 5 note: a little short of float + takings
    page.locator("[data-face='10000']").fill("1")
    page.locator("[data-face='500']").fill("1")
    counted = 10000 + 500
    expect(page.locator("#count-cash-total")).to_have_text(money(counted))
    page.locator("[data-method=card]").fill("0")
    page.locator("[data-action=close]").click()
    page.locator("#dialog [data-testid=dialog-ok]").click()

    report = page.locator("#report")
    expect(page.locator("#report-title")).to_contain_text("Z report")
    expected_cash = 10000 + total

    def figure(key):
        return report.locator(f"[data-figure='{key}']")

    expect(figure("sales_count")).to_have_text("1")
    expect(figure("total")).to_have_text(money(total))
    expect(figure("payments.cash")).to_have_text(money(total))
    expect(figure("expected.cash")).to_have_text(money(expected_cash))
    expect(figure("counted.cash")).to_have_text(money(counted))
    expect(figure("difference.cash")).to_have_text(money(counted - expected_cash))
    expect(figure("difference.card")).to_have_text(money(0))
    expect(page.locator("#sb-shift")).to_have_text("No shift open")
    shot(page, "08-z-report")
    stored = till.query("SELECT status, json_extract(report_json, '$.difference.cash') FROM shift")
    assert stored == [("closed", counted - expected_cash)]


def test_a_cashier_set_to_chinese_gets_chinese_labels_money_and_product_names(till, page, context):
    login(page, till, "李强", "2001")
    page.goto(f"{till.url}/manager")
    expect(page.locator("#manager")).to_have_attribute("data-state", "ready")
    page.locator("#cashiers tr", has_text="王芳").get_by_role("button", name="Edit").click()
    page.locator("#dialog select[name=locale]").select_option("zh-CN")
    page.locator("#dialog [data-testid=dialog-ok]").click()
    expect(page.locator("#cashiers tr", has_text="王芳")).to_contain_text("简体中文")
    shot(page, "09-manager-cashiers")
    page.locator("[data-tab=audit]").click()
    expect(page.locator("#audit tbody tr").first).to_contain_text("Cashier changed")

    page.locator("#lock-btn").click()
    page.wait_for_url("**/lock")
    login(page, till, "王芳", "1001")
    expect(page.locator("#open-card h2")).to_have_text("开班")
    open_shift(page, "50")
    scan(page, COLA)
    scan(page, MILK)
    expect(lines(page)).to_have_count(2)
    expect(page.locator("[data-action=pay]")).to_contain_text("结账")
    expect(page.locator("#totals")).to_contain_text("合计")
    expect(page.locator("#sb-shift")).to_have_text("第 1 班")
    expect(lines(page).nth(1)).to_contain_text("蒙牛纯牛奶")
    expect(page.locator("#t-total")).to_have_text(money(till.price("COLA") + till.price("MILK"), "zh"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "10-sale-zh-CN")
    page.set_viewport_size(LARGE)
    shot(page, "11-sale-zh-CN-1920")


def test_quick_keys_weigh_loose_produce_and_typing_a_name_finds_products(till, page):
    start_selling(page, till)
    expect(page.locator("#quick-tabs .tab")).to_have_count(1)  # 生鲜: the products without a barcode
    page.locator(".qkey", has_text="苹果 红富士").click()
    expect(page.locator("#dialog")).to_contain_text("grams")
    page.keyboard.type("350")
    page.keyboard.press("Enter")
    expect(lines(page)).to_have_count(1)
    expect(lines(page).nth(0).locator(".l-qty")).to_have_text("0.350 kg")
    apple = till.price("APPLE")
    expect(page.locator("#t-total")).to_have_text(money(round(apple * 0.35)))

    page.locator("#scan").focus()
    page.keyboard.type("bread")
    results = page.locator("#results .result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Wholemeal bread")
    page.keyboard.press("Enter")
    expect(lines(page)).to_have_count(2)
    expect(page.locator("#scan")).to_have_value("")

    scan(page, ean13("690000009999"))  # a valid EAN-13 that no product has
    expect(page.locator("#toast")).to_contain_text("No product has the code")
    expect(lines(page)).to_have_count(2)


def test_a_wrong_pin_is_refused_and_an_idle_till_locks_itself_keeping_the_sale(till, page):
    page.clock.install()
    page.goto(f"{till.url}/lock")
    page.locator(".tile", has_text="Bob").click()
    page.keyboard.type("0000")
    page.keyboard.press("Enter")
    expect(page.locator("#pin-error")).to_have_text("Wrong PIN. Try again.")
    login(page, till, "Bob", "1002")
    open_shift(page, "0")
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.clock.fast_forward("05:10")  # longer than idle_logout_seconds without a touch
    page.wait_for_url(re.compile(r"/lock\?reason=idle"))
    expect(page.locator("#lock-reason")).to_contain_text("the sale in progress is kept")
    login(page, till, "Bob", "1002")
    expect(lines(page)).to_have_count(1)
