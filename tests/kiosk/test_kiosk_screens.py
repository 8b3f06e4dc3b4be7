"""The kiosk's store-operation screens in a real headless Chromium: the status bar with
devices and head office, returns, the no-receipt choice and the cash drawer, and the
manager's stock, reports and cashier accounts."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.appliance.conftest import CHIPS, COLA, MILK, seed

from .conftest import (LARGE, doc_shot, expect, find_member, lines, login, manager_approves, money, scan, sell_over_api, shot,
                       start_selling)
from .harness import TillProcess

@pytest.fixture
def sim_till(tmp_path, request):
    kiosk = getattr(request, "param", {})
    process = TillProcess(tmp_path, seed, simulated=True, kiosk=kiosk,
                          store={"locale": "en", "name": "Test Store 测试店", "currency": "CNY"}).start()
    yield process
    process.stop()


def write_db(till, sql: str, params=()) -> None:
    """Stand in for the sync agent (another process) recording what it does."""
    db = sqlite3.connect(till.directory / "data" / "till.sqlite3")
    try:
        with db:
            db.execute(sql, params)
    finally:
        db.close()


def test_the_status_bar_says_when_the_printer_needs_paper_and_retry_prints_the_waiting_receipt(sim_till, page):
    start_selling(page, sim_till)
    devices = page.locator("#sb-devices")
    expect(devices).to_have_text("Devices ready")
    expect(devices).to_have_attribute("data-state", "ok")

    sim_till.sim("POST", "printer", {"paper": "out"})
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("F10")
    page.keyboard.press("Enter")
    expect(page.locator("#side-done")).to_be_visible()
    expect(devices).to_contain_text("Printer: ")
    expect(devices).to_contain_text("paper out: load a new paper roll")
    expect(devices).to_have_attribute("data-state", "attention")
    assert sim_till.sim("GET", "printer")["receipts"] == []

    devices.click()
    dialog = page.locator("#dialog")
    expect(dialog.locator("[data-device=printer]")).to_contain_text("paper out")
    expect(dialog).to_contain_text("Receipts waiting to print: 1")
    doc_shot(page, "status-attention")
    sim_till.sim("POST", "printer", {"paper": "ok"})
    dialog.locator("[data-action=retry-print]").click()
    expect(page.locator("#toast")).to_contain_text("1 printed")
    expect(devices).to_have_text("Devices ready")
    assert len(sim_till.sim("GET", "printer")["receipts"]) == 1
    # the till (and the scan field) kept the focus for the next customer
    expect(page.locator("#scan")).to_be_focused()


def test_the_status_bar_shows_enrollment_then_the_connection_to_head_office(sim_till, page):
    start_selling(page, sim_till)
    sync = page.locator("#sb-sync")
    expect(sync).to_have_text("Not enrolled")
    state_file = Path(sim_till.directory / "enrollment.json")
    state_file.write_text(json.dumps({"state": "enrolling", "message": "enrolling store s-7", "store_id": "s-7"}))
    expect(sync).to_have_text("Enrolling with head office…")
    state_file.write_text(json.dumps({"state": "failed", "message": "head office refused (403)", "store_id": "s-7"}))
    expect(sync).to_have_text("Enrollment failed: retrying")
    expect(sync).to_have_attribute("data-state", "attention")
    sync.click()
    expect(page.locator("#dialog")).to_contain_text("head office refused (403)")
    page.keyboard.press("Escape")

    # `fleetpos enroll` stored the identity; the till's records wait for head office's acknowledgement
    write_db(sim_till, "INSERT INTO sync_identity (id, store_id, device_id, broker_host, broker_port, username, "
                       "password, heartbeat_seconds, enrolled_at) VALUES (1, 's-7', 'till-1', '127.0.0.1', 1883, 'u', "
                       "'p', 60, '2026-01-01 00:00:00')")
    expect(sync).to_have_text(re.compile(r"^Syncing \d+…$"))
    expect(sync).to_have_attribute("data-state", "busy")
    write_db(sim_till, "UPDATE outbox SET acked_at = created_at")
    expect(sync).to_have_text("s-7 · head office up to date")
    expect(sync).to_have_attribute("data-state", "ok")
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("F10")
    page.keyboard.press("Enter")
    expect(page.locator("#side-done")).to_be_visible()
    expect(sync).to_have_text(re.compile(r"^Syncing \d+…$"))
    # nothing acknowledged for longer than [kiosk] offline_after_seconds: offline, the sales kept
    write_db(sim_till, "UPDATE outbox SET created_at = '2020-01-01 00:00:00', "
                       "acked_at = CASE WHEN acked_at IS NULL THEN NULL ELSE '2020-01-01 00:00:01' END")
    waiting = sim_till.query("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL")[0][0]
    assert waiting >= 1
    expect(sync).to_have_text(f"Offline · {waiting} waiting")
    expect(sync).to_have_attribute("data-state", "attention")
    sync.click()
    expect(page.locator("#dialog")).to_contain_text("Enrolled as store s-7")
    expect(page.locator("#dialog [data-figure=waiting]")).to_have_text(str(waiting))


def test_returns_refuse_more_than_was_sold_and_a_second_return_sees_what_is_left(sim_till, page):
    sale = sell_over_api(sim_till, [COLA, COLA, CHIPS])
    other = sell_over_api(sim_till, [MILK])
    login(page, sim_till, "王芳", "1001")
    page.goto(f"{sim_till.url}/refund")
    expect(page.locator("#refund")).to_have_attribute("data-state", "ready")
    expect(page.locator("#recent [data-receipt]")).to_have_count(2)
    page.keyboard.type("chips")  # searching today's receipts by product
    expect(page.locator("#recent [data-receipt]")).to_have_count(1)
    expect(page.locator("#recent [data-receipt]")).to_have_attribute("data-receipt", sale["receipt_no"])
    page.locator("#receipt-scan").fill("")
    # by its number, as typed (a receipt with a Code 128 scans the same way)
    page.keyboard.type(sale["receipt_no"])
    page.keyboard.press("Enter")
    cola = next(line for line in sale["lines"] if line["sku"] == "COLA")
    row = page.locator(f"tr[data-line='{cola['id']}']")
    row.locator("input[data-qty]").fill("3")
    expect(row).to_contain_text("Only 2 left to return (2 sold, 0 already returned)")
    expect(page.locator("[data-action=refund]")).to_be_disabled()
    row.locator("input[data-qty]").fill("1")
    expect(page.locator("[data-testid=refund-total]")).to_have_text(money(cola["net"] // 2))
    page.locator("[data-method=cash]").click()
    page.keyboard.press("F10")
    expect(page.locator("#r-error")).to_have_text("Say why (tap one or type it)")
    page.locator("#r-reason").fill("Dented can")
    doc_shot(page, "refund")
    page.keyboard.press("F10")
    expect(page.locator("[data-testid=refund-payout]")).to_have_text(money(cola["net"] // 2))
    assert sim_till.query("SELECT method, amount FROM refund_payment") == [("cash", cola["net"] // 2)]

    # the same receipt again: one cola already back, one left; the chips untouched
    page.keyboard.press("Enter")
    page.locator(f"#recent [data-receipt='{sale['receipt_no']}']").click()
    row = page.locator(f"tr[data-line='{cola['id']}']")
    expect(row).to_contain_text("1")
    row.locator("[data-step='1']").click()
    row.locator("[data-step='1']").click()  # stops at what is left
    expect(row.locator("input[data-qty]")).to_have_value("1")
    expect(page.locator("[data-testid=refund-total]")).to_have_text(money(cola["net"] - cola["net"] // 2))

    # the till's own scanner (grabbed: it types into no page) reads a receipt's QR code here,
    # once the till has confirmed that its reads come to this page
    expect(page.locator("#refund")).to_have_attribute("data-scans", "claimed")
    assert sim_till.sim("POST", "scan", {"code": other["uuid"]})["ok"]
    expect(page.locator("#r-heading")).to_contain_text(other["receipt_no"])
    assert sim_till.query("SELECT COUNT(*) FROM sale WHERE status = 'open'") == [(0,)]  # not sold again


@pytest.mark.parametrize("sim_till", [{"drawer_must_close": True}], indirect=True)
def test_no_receipt_is_printed_when_declined_and_the_next_sale_waits_for_the_drawer(sim_till, page):
    start_selling(page, sim_till)
    sim_till.sim("POST", "drawer", {"open": False})  # the float went in; the drawer is shut
    scan(page, COLA)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("F10")
    page.keyboard.press("F5")
    expect(page.locator("#no-receipt")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#side-done")).to_be_visible()
    expect(page.locator("#done-no-receipt")).to_be_visible()
    expect(page.locator("#sb-drawer")).to_be_visible()  # the cash sale opened it
    expect(page.locator("#done-drawer")).to_have_text("Cash drawer open: close it to start the next sale")
    assert sim_till.sim("GET", "printer")["receipts"] == []

    scan(page, MILK)
    expect(page.locator("#toast")).to_contain_text("Close the cash drawer")
    expect(page.locator("#drawer-block")).to_be_visible()
    page.locator("#toast").evaluate("toast => { toast.hidden = true; }")
    sim_till.sim("POST", "scan", {"code": MILK})  # the till's own scanner is held back too
    expect(page.locator("#toast")).to_contain_text("Close the cash drawer")
    assert sim_till.query("SELECT COUNT(*) FROM sale") == [(1,)]
    sim_till.sim("POST", "drawer", {"open": False})
    expect(page.locator("#sb-drawer")).to_be_hidden()
    expect(page.locator("#drawer-block")).to_be_hidden()
    scan(page, MILK)
    expect(lines(page)).to_have_count(1)

    # the customer changed their mind: the first receipt can still be printed
    assert sim_till.query("SELECT COUNT(*) FROM sale WHERE status = 'completed'") == [(1,)]


def test_manager_stock_lookup_adjust_goods_receipt_stock_take_and_low_stock(sim_till, page):
    login(page, sim_till, "李强", "2001")
    page.goto(f"{sim_till.url}/manager?tab=stock")
    expect(page.locator("#manager")).to_have_attribute("data-state", "ready")
    expect(page.locator("#stock-scan")).to_be_focused()

    # look up by scanning, then adjust: 2 damaged cans out
    page.keyboard.type(COLA)
    page.keyboard.press("Enter")
    card = page.locator(".stock-card")
    expect(card).to_contain_text("可口可乐 330ml")
    expect(card.locator("[data-figure=on_hand]")).to_have_text("0")
    card.locator("[data-action=adjust]").click()
    page.locator("#dialog input[name=delta]").fill("-2")
    page.locator("#dialog [data-testid=dialog-ok]").click()
    expect(card.locator("[data-figure=on_hand]")).to_have_text("-2")
    card.locator("[data-action=threshold]").click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(card.locator("[data-figure=low_level]")).to_have_text("5")

    # goods receipt: each scan adds one; the quantity can be typed
    page.locator("[data-view=receipt]").click()
    for code in (COLA, COLA, MILK):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    expect(page.locator("#delivery tbody tr")).to_have_count(2)
    page.locator("#supplier").fill("Fresh Foods 供应商")
    page.locator("[data-delivery-qty]").first.fill("12")
    page.locator("[data-action=receive]").click()
    expect(page.locator("#toast")).to_contain_text("Goods receipt booked: 2 products")
    cola_id = sim_till.query("SELECT id FROM product WHERE sku = 'COLA'")[0][0]
    assert sim_till.query("SELECT qty_milli FROM stock_level WHERE product_id = ?", (cola_id,)) == [(10_000,)]

    # stock take by scanning: 3 colas counted against 10 on hand
    page.locator("[data-view=take]").click()
    start = page.locator("[data-action=start-take]")
    expect(start).to_be_visible()  # the view's own load of the open take has been answered
    reloads = []
    count_reload = lambda request: reloads.append(request.url) if "/api/stock/takes/open" in request.url else None
    page.on("request", count_reload)
    start.click()
    expect(page.locator("#take-lines")).to_have_count(1)
    # no reload of the take was asked with the start: its answer (no take yet) could come after the
    # new take's and put the start button back (a click anywhere in the page used to re-open the tab)
    page.remove_listener("request", count_reload)
    assert reloads == []
    # counted with the till's own scanner: on the stock tab its reads come here, not into a sale,
    # once the till has confirmed the page's claim (over Socket.IO, on its own time: a read
    # before that goes to the sale path and is lost to the count)
    expect(page.locator("#manager")).to_have_attribute("data-scans", "claimed")
    take = page.locator("#take-lines")
    for counted in ("1", "2", "3"):
        if counted != "1":
            page.wait_for_timeout(600)  # the scanner drops the same code read again within 500 ms
        assert sim_till.sim("POST", "scan", {"code": COLA})["ok"]  # not dropped as a repeat
        expect(take.locator("[data-figure=counted]")).to_have_text(counted)
    expect(take.locator("[data-figure=variance]")).to_have_text("-7")
    expect(page.locator("[data-figure=total_variance]")).to_have_text(money(-7 * 180))
    page.locator("[data-action=apply-take]").click()
    page.locator("#dialog [data-testid=dialog-ok]").click()
    expect(page.locator("#toast")).to_contain_text("Stock take applied")
    assert sim_till.query("SELECT qty_milli FROM stock_level WHERE product_id = ?", (cola_id,)) == [(3000,)]
    assert sim_till.query("SELECT COUNT(*) FROM sale_line") == [(0,)]

    # the cola is now below its level of 5
    page.locator("[data-view=low]").click()
    expect(page.locator("#low-stock tbody tr")).to_have_count(1)
    expect(page.locator("#low-stock")).to_contain_text("可口可乐 330ml")


def test_manager_reports_draw_todays_charts_and_a_deactivated_cashier_can_be_reactivated(sim_till, page):
    sell_over_api(sim_till, [COLA, CHIPS, CHIPS])
    sell_over_api(sim_till, [MILK])
    login(page, sim_till, "李强", "2001")
    page.goto(f"{sim_till.url}/manager")
    expect(page.locator("#manager")).to_have_attribute("data-state", "ready")

    bob = page.locator("#cashiers tr", has_text="Bob")
    bob.get_by_role("button", name="Edit").click()
    page.locator("#dialog select[name=active]").select_option("no")
    page.locator("#dialog [data-testid=dialog-ok]").click()
    expect(bob.locator("[data-status]")).to_have_text("Deactivated")
    bob.locator("[data-action=reactivate]").click()
    expect(bob.locator("[data-status]")).to_have_text("Active")
    assert sim_till.query("SELECT active FROM cashier WHERE code = '1002'") == [(1,)]

    page.keyboard.press("F3")
    expect(page.locator("[data-figure=sales_count]")).to_have_text("2")
    total = sim_till.query("SELECT SUM(total) FROM sale WHERE status = 'completed'")[0][0]
    expect(page.locator("[data-figure=total]")).to_have_text(money(total))
    hours = page.locator("[data-chart=by_hour] rect.bar")
    expect(hours).to_have_count(24)
    assert sum(int(v) for v in hours.evaluate_all("bars => bars.map((b) => b.dataset.value)")) == total
    top = page.locator("[data-chart=top_products] rect.bar")
    expect(top).to_have_count(3)
    expect(top.first).to_have_attribute("data-label", "Lay's chips 70g")  # 2 x 7.50, the largest
    expect(page.locator("[data-chart=by_cashier] rect.bar")).to_have_count(1)
    expect(page.locator("[data-chart=by_cashier] rect.bar")).to_have_attribute("data-value", str(total))
    doc_shot(page, "manager-reports")
    page.set_viewport_size(LARGE)
    shot(page, "manager-reports-1920")


def test_an_unknown_member_card_offers_to_sign_up_the_member_on_this_sale(sim_till, page):
    start_selling(page, sim_till)
    scan(page, CHIPS)
    expect(lines(page)).to_have_count(1)
    find_member(page, "M0777")
    dialog = page.locator("#dialog")
    expect(dialog.locator(".form-error")).to_have_text("No member has that card or phone number.")
    dialog.locator("[data-action=sign-up]").click()
    expect(dialog.locator("input[name=card_no]")).to_have_value("M0777")
    dialog.locator("input[name=name]").fill("李四")
    dialog.locator("input[name=phone]").fill("13900139000")
    dialog.locator("[data-testid=dialog-ok]").click()
    expect(page.locator("[data-testid=member]")).to_contain_text("李四")
    expect(page.locator("[data-testid=member]")).to_contain_text("0 points")
    assert sim_till.query("SELECT card_no, phone, tier_id FROM member") == [("M0777", "13900139000", "normal")]
    assert sim_till.query("SELECT COUNT(*) FROM outbox WHERE kind = 'member'") == [(1,)]
    assert sim_till.query("SELECT m.card_no FROM sale s JOIN member m ON m.id = s.member_id "
                          "WHERE s.status = 'open'") == [("M0777",)]


def test_a_return_without_a_receipt_is_paid_in_cash_at_todays_price_with_a_managers_approval(sim_till, page):
    start_selling(page, sim_till, "100")
    page.locator(".navbtn", has_text="Returns").click()
    expect(page.locator("#refund")).to_have_attribute("data-state", "ready")
    page.locator("[data-action=no-receipt]").click()
    for code in (COLA, COLA):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        page.wait_for_timeout(200)
    expect(page.locator("#nr-lines [data-goods]")).to_have_count(1)
    expect(page.locator("[data-goods-qty]")).to_have_value("2")
    cola = sim_till.price("COLA")
    expect(page.locator("[data-testid=nr-total]")).to_have_text(money(2 * cola))
    page.locator("#nr-reason").fill("Customer lost the receipt")
    page.keyboard.press("F10")
    expect(page.locator("#dialog")).to_contain_text("Refund without a receipt")  # the manager's approval
    manager_approves(page, "李强", "2001")
    expect(page.locator("[data-testid=refund-payout]")).to_have_text(money(2 * cola))
    assert sim_till.query("SELECT sale_id, payout FROM refund") == [(None, 2 * cola)]
    assert sim_till.query("SELECT method, amount FROM refund_payment") == [("cash", 2 * cola)]
    assert sim_till.query("SELECT c.code FROM audit_entry a JOIN cashier c ON c.id = a.approved_by_id "
                          "WHERE a.action = 'refund.create'") == [("2001",)]


def seed_member_with_points(ctx):
    from appliance.services import auth, members

    seed(ctx)
    manager = auth.Actor(cashier=auth.Cashier.get(auth.Cashier.code == "2001"))
    member = members.create_member(ctx, manager, card_no="M0500", name="王五", phone="13700137000")
    with ctx.transaction():
        members.add_points(ctx, member.id, 500, "adjust", "opening balance")


def test_a_member_found_by_phone_redeems_points_and_can_be_taken_off_the_sale(tmp_path, page):
    till = TillProcess(tmp_path, seed_member_with_points, store={"locale": "en", "currency": "CNY"}).start()
    try:
        start_selling(page, till)
        scan(page, CHIPS)
        expect(lines(page)).to_have_count(1)
        find_member(page, "13700137000")
        box = page.locator("[data-testid=member]")
        expect(box).to_contain_text("王五")
        expect(box).to_contain_text("500 points")
        box.locator("[data-action=points]").click()
        page.keyboard.type("200")
        page.keyboard.press("Enter")
        expect(page.locator("#t-points")).to_have_text(money(-200))
        expect(page.locator("#t-total")).to_have_text(money(till.price("CHIPS") - 200))
        assert till.query("SELECT points_redeemed, points_discount FROM sale") == [(200, 200)]
        box.locator("[data-action=remove-member]").click()
        expect(box).to_be_hidden()
        expect(page.locator("#t-total")).to_have_text(money(till.price("CHIPS")))
        assert till.query("SELECT member_id, points_redeemed FROM sale") == [(None, 0)]
    finally:
        till.stop()
