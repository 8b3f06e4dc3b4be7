"""The console in headless Chromium: log in, create a store, issue an enrollment token,
enroll a simulated till with it and see the till online in the device list."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import ADMIN_PASSWORD, console_login, shot

expect.set_options(timeout=10_000)


def test_login_page_refuses_a_wrong_password(console_context, live_office):
    page = console_context.new_page()
    page.goto(f"{live_office.url}/console/stores")
    page.wait_for_url(lambda url: "/console/login?next=" in url)
    page.fill("#username", "admin")
    page.fill("#password", "not the password")
    page.click("#login")
    expect(page.locator("#login-error")).to_contain_text("wrong username or password")
    shot(page, "login-refused")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login")
    page.wait_for_url("**/console/stores")  # back where it was going
    expect(page.locator("h1")).to_have_text("Stores")


def test_create_a_store_enroll_a_till_and_see_it_online(console_page, live_office, till_factory):
    page = console_page
    expect(page.locator("h1")).to_have_text("Dashboard")
    shot(page, "dashboard-empty")
    page.click("[data-nav=stores]")
    page.fill("#store-id", "sh-001")
    page.fill("#store-name", "上海南京路店")
    page.fill("#store-region", "east")
    page.fill("#store-group", "shanghai")
    page.click("#create-store")
    page.wait_for_url("**/console/stores/sh-001*")
    expect(page.locator(".notice")).to_contain_text("Store sh-001 created")

    page.fill("#device-id", "till-1")
    page.click("#issue-token")
    expect(page.locator("#enrollment-token")).to_be_visible()
    expect(page.locator("#token-qr svg")).to_be_visible()
    token = page.locator("#token-text").inner_text().strip()
    assert len(token) >= 20
    assert token in page.locator("#enroll-file").inner_text()
    shot(page, "enrollment-token", docs=True)

    till = till_factory("sh-001")
    till.enroll(live_office, token)
    from appliance.sync.status import record_device_state

    record_device_state(till.use(), "printer", available=False, backend="simulator", message="paper out")
    till.start_agent()

    row = page.locator("#devices tr[data-device=till-1]")
    page.goto(f"{live_office.url}/console/stores/sh-001")
    for _ in range(40):  # the till reports every second; the page shows what head office has
        if row.get_attribute("data-online") == "true" and "paper out" in row.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(row).to_have_attribute("data-online", "true")
    expect(row.locator(".state")).to_have_text("online")
    expect(row.locator(".health")).to_contain_text("printer: paper out")
    shot(page, "store-devices", docs=True)

    page.fill("input[name=region]", "east-1")
    page.click("#save-store")
    expect(page.locator(".notice")).to_contain_text("Store saved")
    page.click("[data-nav=stores]")
    expect(page.locator("#stores tr[data-store=sh-001]")).to_contain_text("1 / 1")
    page.click("[data-nav=dashboard]")
    expect(page.locator("#tile-online")).to_have_text("1 / 1")
    page.click("[data-nav=audit]")
    expect(page.locator("#audit tr[data-action='store.create']")).to_contain_text("sh-001")
    update = page.locator("#audit tr[data-action='store.update']")
    expect(update).to_contain_text('"region": "east"')
    expect(update).to_contain_text('"region": "east-1"')
    shot(page, "audit", docs=True)

    page.goto(f"{live_office.url}/console/stores/sh-001")
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke till-1? ..."
    row.locator("button.revoke").click()
    expect(page.locator(".notice")).to_contain_text("Device till-1 revoked")
    expect(row).to_contain_text("revoked")
    expect(row).to_have_attribute("data-online", "false")
    till.stop_agent()


def test_viewer_sees_no_users_or_audit_and_logout_ends_the_session(console_context, live_office):
    from fleet_server import users

    with live_office.ctx.db.connection_context():
        users.create_user(live_office.config.console, "vera", ADMIN_PASSWORD, "viewer", actor="test setup")
    page = console_context.new_page()
    console_login(page, live_office, "vera")
    nav = page.locator(".mainnav")
    expect(nav.locator("[data-nav=stores]")).to_be_visible()
    expect(nav.locator("[data-nav=users]")).to_have_count(0)
    expect(nav.locator("[data-nav=audit]")).to_have_count(0)
    page.goto(f"{live_office.url}/console/users")
    expect(page.locator("h1")).to_have_text("Not allowed")
    page.goto(f"{live_office.url}/console/")
    page.click("#logout")
    page.wait_for_url("**/console/login")
    page.goto(f"{live_office.url}/console/stores")
    page.wait_for_url(lambda url: "/console/login?next=" in url)
