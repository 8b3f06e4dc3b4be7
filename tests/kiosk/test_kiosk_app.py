"""The kiosk's server side without a browser: catalogs, locale choice, pages, live events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import kiosk_ui
from appliance.app import create_app, open_till
from appliance.permissions import DEFAULT_PERMISSIONS
from appliance.services import auth, sales
from kiosk_ui.cash import DENOMINATIONS, denominations
from kiosk_ui.i18n import LANGUAGES, Translator, choose_locale, messages
from kiosk_ui.live import display_view
from tests.appliance.conftest import COLA, MILK, PINS, api_login, make_config, seed

KIOSK = Path(kiosk_ui.__file__).parent
USED_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    found = set()
    for path in [*KIOSK.glob("templates/*.html"), *KIOSK.glob("static/js/*.js")]:
        found |= set(USED_KEY.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_language_has_the_same_keys_and_placeholders():
    english = messages("en")
    for locale in LANGUAGES:
        catalog = messages(locale)
        assert catalog.keys() == english.keys(), locale
        for key, text in catalog.items():
            assert text.strip(), f"{locale} {key} is empty"
            assert set(re.findall(r"\{(\w+)\}", text)) <= set(re.findall(r"\{(\w+)\}", english[key])), (locale, key)


def test_every_text_the_pages_ask_for_is_in_the_catalog():
    keys = used_keys()
    assert len(keys) > 100  # the scan found the pages' texts
    missing = sorted(key for key in keys if key not in messages("en") and not key.endswith("."))
    assert not missing


def test_every_permission_a_manager_may_approve_has_a_name_in_every_language():
    for locale in LANGUAGES:
        assert {f"action.{action}" for action in DEFAULT_PERMISSIONS} <= messages(locale).keys()


def test_the_chinese_catalog_uses_the_glossary_words():
    zh = messages("zh-CN")
    assert (zh["sale.park"], zh["sale.resume"], zh["done.change"], zh["shift.float"]) == ("挂单", "取单", "找零", "备用金")
    assert (zh["method.wechat"], zh["method.alipay"], zh["nav.shift"]) == ("微信支付", "支付宝", "交接班")


@pytest.mark.parametrize(("store", "cashier", "chosen"), [
    ("zh-CN", None, "zh-CN"), ("en", None, "en"), ("en", "zh-CN", "zh-CN"), ("zh-CN", "en", "en"),
    ("en-GB", None, "en"), ("zh", None, "zh-CN"), ("fr", None, "en"), ("fr", "zh-TW", "zh-CN"),
])
def test_the_cashier_language_wins_over_the_store_language(store, cashier, chosen):
    assert choose_locale(store, cashier) == chosen


def test_translation_fills_placeholders_and_shows_a_missing_key_as_itself():
    t = Translator("zh-CN")
    assert t("status.shift", number=3) == "第 3 班"
    assert t("no.such.key") == "no.such.key"


def test_denominations_are_largest_first_and_an_unknown_currency_has_none():
    for currency in DENOMINATIONS:
        faces = [*denominations(currency)["notes"], *denominations(currency)["coins"]]
        assert faces == sorted(faces, reverse=True) and len(set(faces)) == len(faces)
    assert denominations("KRW") == {"notes": [], "coins": []}


def test_the_customer_display_shows_no_references_and_is_idle_between_sales():
    assert display_view(None) == {"mode": "idle"}
    sale = {"status": "open", "lines": [], "currency": "CNY"}
    assert display_view(sale)["mode"] == "idle"
    line = {"name": "可乐", "qty_milli": 1000, "unit": "each", "unit_price": 300, "gross": 300, "net": 270,
            "line_discount": 30, "order_discount": 0}
    sale = {"status": "completed", "currency": "CNY", "lines": [line], "subtotal": 300, "discount_total": 30,
            "total": 270, "paid": 270, "change": 30, "remaining": 0, "rounding": 0,
            "payments": [{"method": "card", "reference": "SECRET-REF"}], "cashier": {"name": "王芳"}}
    view = display_view(sale, now=1.0)
    assert view["mode"] == "paid" and view["change"] == 30 and view["lines"][0]["discounted"] is True
    assert "SECRET-REF" not in json.dumps(view) and "王芳" not in json.dumps(view)


@pytest.fixture
def till_ctx(tmp_path):
    ctx = open_till(make_config(tmp_path))
    seed(ctx)
    yield ctx
    ctx.db.close()


@pytest.fixture
def kiosk_app(till_ctx):
    return create_app(ctx=till_ctx, extensions=[kiosk_ui.init_app])


def test_pages_send_a_logged_out_browser_to_the_lock_screen(kiosk_app):
    client = kiosk_app.test_client()
    for path in ("/", "/sale", "/shift", "/manager"):
        response = client.get(path, follow_redirects=True)
        assert response.request.path == "/lock", path
    lock = client.get("/lock")
    assert lock.status_code == 200 and "Who is at the till?" not in lock.text  # the store's language: zh-CN
    assert "请选择收银员" in lock.text


def test_the_sale_page_embeds_the_sale_in_progress_and_the_cashiers_language(kiosk_app):
    client = kiosk_app.test_client()
    api_login(client, "1001")
    assert client.get("/sale").headers["Location"] == "/shift"  # no shift yet
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": COLA})
    client.patch("/api/cashiers/1001", json={"locale": "en", "override": {"cashier_code": "2001", "pin": PINS["2001"]}})
    page = client.get("/sale")
    boot = json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', page.text).group(1))
    assert boot["locale"] == "en" and boot["sale"]["uuid"] == sale["uuid"]
    assert [line["sku"] for line in boot["sale"]["lines"]] == ["COLA"]
    assert ">Pay <kbd>" in page.text
    assert client.get("/manager").headers["Location"] == "/sale"  # cashiers have no manager screen


def test_static_files_asked_for_by_content_hash_are_cached_and_the_import_map_names_them(kiosk_app):
    client = kiosk_app.test_client()
    page = client.get("/lock").text
    import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page).group(1))["imports"]
    versioned = import_map["/kiosk/static/js/api.js"]
    assert re.fullmatch(r"/kiosk/static/js/api\.js\?v=[0-9a-f]{12}", versioned)
    assert "max-age=31536000" in client.get(versioned).headers["Cache-Control"]
    assert "max-age=31536000" not in client.get("/kiosk/static/js/api.js").headers.get("Cache-Control", "")
    vendor = client.get("/kiosk/static/vendor/socket.io.min.js")
    assert vendor.status_code == 200 and b"Socket.IO v4" in vendor.data


def test_quick_keys_are_the_products_without_a_barcode_by_category(kiosk_app):
    client = kiosk_app.test_client()
    assert client.get("/kiosk/api/quick-keys").status_code == 401
    api_login(client, "1001")
    categories = client.get("/kiosk/api/quick-keys").json["categories"]
    assert [(c["code"], sorted(p["name"] for p in c["products"])) for c in categories] == [
        ("produce", ["三文鱼切片", "苹果 红富士"])]


def test_cart_changes_are_pushed_to_till_pages_and_the_customer_display(kiosk_app):
    socketio = kiosk_app.extensions["kiosk_ui"].socketio
    client = kiosk_app.test_client()
    display = socketio.test_client(kiosk_app, auth={"role": "display"})
    other_till = socketio.test_client(kiosk_app, auth={"role": "till"})
    assert display.get_received()[0]["args"][0] == {"mode": "idle"}
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    sale = client.post("/api/sales").json["sale"]
    client.post(f"/api/sales/{sale['uuid']}/lines", json={"code": MILK}, headers={"X-Kiosk-Page": "page-1"})
    events = [(e["name"], e["args"][0]) for e in other_till.get_received()]
    assert events[-1][0] == "sale.changed" and events[-1][1]["origin"] == "page-1"
    assert events[-1][1]["sale"]["lines"][0]["sku"] == "MILK"
    shown = [e["args"][0] for e in display.get_received() if e["name"] == "display.update"]
    assert shown[-1]["mode"] == "sale" and shown[-1]["total"] == 380
    client.post(f"/api/sales/{sale['uuid']}/payments", json={"method": "cash", "amount": 500})
    shown = [e["args"][0] for e in display.get_received() if e["name"] == "display.update"]
    assert shown[-1]["mode"] == "paid" and shown[-1]["change"] == 120
    # a display that connects later sees the same
    late = socketio.test_client(kiosk_app, auth={"role": "display"})
    assert late.get_received()[0]["args"][0]["change"] == 120
    for socket in (display, other_till, late):
        socket.disconnect()


def test_a_change_made_outside_a_request_and_a_refused_hardware_scan_reach_the_till_page(kiosk_app, till_ctx):
    socketio = kiosk_app.extensions["kiosk_ui"].socketio
    page = socketio.test_client(kiosk_app, auth={"role": "till"})
    client = kiosk_app.test_client()
    api_login(client, "1001")
    client.post("/api/shifts", json={"opening_float": 0})
    page.get_received()
    # what the hardware layer does with a scan: the services, on the scanner's thread
    with till_ctx.db.connection_context():
        actor = auth.Actor(cashier=auth.Cashier.get(auth.Cashier.code == "1001"))
        sale = sales.start_sale(till_ctx, actor)
        sales.add_item(till_ctx, actor, sale.uuid, code=COLA)
    pushed = [e["args"][0] for e in page.get_received() if e["name"] == "sale.changed"]
    assert pushed[-1]["origin"] is None and [line["sku"] for line in pushed[-1]["sale"]["lines"]] == ["COLA"]
    till_ctx.events.emit("scan.rejected", code="123", message="unknown barcode or SKU 123", error="unknown_barcode")
    rejected = [e["args"][0] for e in page.get_received() if e["name"] == "scan.rejected"]
    assert rejected == [{"code": "123", "message": "unknown barcode or SKU 123", "error": "unknown_barcode"}]
    page.disconnect()


# -- the status bar's figures (kiosk_ui/status.py)

def _enrolled(ctx):
    with ctx.transaction():
        ctx.sql("INSERT INTO sync_identity (id, store_id, device_id, broker_host, broker_port, username, password, "
                "heartbeat_seconds, enrolled_at) VALUES (1, 's-9', 'till-1', '127.0.0.1', 1883, 'u', 'p', 60, "
                "'2026-01-01 00:00:00')")


def _outbox(ctx, created, acked=None):
    with ctx.transaction():
        ctx.sql("INSERT INTO outbox (kind, record_uuid, payload, created_at, acked_at) VALUES ('audit', ?, '{}', ?, ?)",
                (f"r-{created}-{acked}", created, acked))


def test_the_connection_to_head_office_comes_from_what_the_outbox_records(tmp_path):
    from datetime import datetime

    from kiosk_ui.status import sync_state

    now = datetime(2026, 11, 23, 9, 0, 0)
    ctx = open_till(make_config(tmp_path, kiosk={"offline_after_seconds": 120}), clock=lambda: now)
    try:
        assert sync_state(ctx)["state"] == "not_enrolled"
        _enrolled(ctx)
        assert sync_state(ctx) == {"state": "synced", "waiting": 0, "oldest_waiting_at": None, "last_ack_at": None,
                                   "store_id": "s-9"}
        _outbox(ctx, "2026-11-23 08:59:30")  # 30 s old: on its way
        assert sync_state(ctx)["state"] == "sending"
        _outbox(ctx, "2026-11-23 08:50:00")  # 10 min old, nothing acknowledged: head office is out of reach
        state = sync_state(ctx)
        assert (state["state"], state["waiting"], state["oldest_waiting_at"]) == ("offline", 2, "2026-11-23T08:50:00Z")
        _outbox(ctx, "2026-11-23 08:40:00", acked="2026-11-23 08:59:50")  # but an acknowledgement just came
        assert sync_state(ctx)["state"] == "sending"
    finally:
        ctx.db.close()


@pytest.mark.parametrize(("content", "state", "store"), [
    (None, "not_enrolled", None),
    ('{"state": "enrolling", "message": "enrolling store s-9", "store_id": "s-9"}', "enrolling", "s-9"),
    ('{"state": "failed", "message": "refused", "store_id": "s-9"}', "failed", "s-9"),
    ('{"state": "enrolled", "message": "done", "store_id": "s-9"}', "enrolled", "s-9"),
    ("not json", "unreadable", None),
    ('{"state": "sideways"}', "not_enrolled", None),
])
def test_the_enrollment_state_is_read_from_the_first_boot_file(tmp_path, content, state, store):
    from kiosk_ui.status import enrollment_state

    path = tmp_path / "enrollment.json"
    if content is not None:
        path.write_text(content)
    ctx = open_till(make_config(tmp_path, kiosk={"enrollment_file": str(path)}))
    try:
        found = enrollment_state(ctx)
        assert (found["state"], found["store_id"]) == (state, store)
        _enrolled(ctx)  # `fleetpos enroll` stored an identity: enrolled, whatever the file says
        assert enrollment_state(ctx)["state"] == "enrolled" and enrollment_state(ctx)["store_id"] == "s-9"
    finally:
        ctx.db.close()


def test_a_cashier_switches_the_screen_language_for_this_login_only(kiosk_app):
    client = kiosk_app.test_client()
    api_login(client, "1002")  # Bob has no language of his own: the store's zh-CN
    client.post("/api/shifts", json={"opening_float": 0})
    assert '<html lang="zh-CN">' in client.get("/sale").text
    assert client.put("/kiosk/api/language", json={"locale": "fr"}).status_code == 400
    assert client.put("/kiosk/api/language", json={"locale": "en"}).json == {"locale": "en"}
    assert '<html lang="en">' in client.get("/sale").text
    assert '<html lang="en">' in client.get("/shift").text
    client.post("/api/auth/logout")
    api_login(client, "1002")  # a new login starts in his own (the store's) language again
    assert '<html lang="zh-CN">' in client.get("/sale").text


def test_the_status_answer_without_devices_and_the_refund_page(kiosk_app):
    client = kiosk_app.test_client()
    assert client.get("/kiosk/api/status").status_code == 401
    api_login(client, "1001")
    status = client.get("/kiosk/api/status").json
    assert status["devices"] == [] and status["print_queue"] == [] and status["drawer_open"] is None
    assert status["sync"]["state"] == "not_enrolled" and status["enrollment"]["state"] == "not_enrolled"
    assert "退货" in client.get("/refund").text


def test_the_status_bar_asking_does_not_keep_an_idle_session_alive(tmp_path):
    from datetime import datetime, timedelta

    now = [datetime(2026, 11, 23, 9, 0, 0)]
    ctx = open_till(make_config(tmp_path), clock=lambda: now[0])
    try:
        seed(ctx)
        client = create_app(ctx=ctx, extensions=[kiosk_ui.init_app]).test_client()
        api_login(client, "1001")
        for _ in range(12):  # a status question every 30 s for 6 minutes, and nothing else
            now[0] += timedelta(seconds=30)
            assert client.get("/kiosk/api/status").status_code == 200
        response = client.get("/api/auth/me")  # idle_logout_seconds (300) passed: the session ends
        assert response.status_code == 401 and response.json["error"] == "session_expired"
        assert client.get("/kiosk/api/status").status_code == 401
    finally:
        ctx.db.close()
