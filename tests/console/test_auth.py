"""Login, sessions, CSRF, lock-out and API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fleet_server import users
from fleet_server.auth import SESSION_COOKIE
from fleet_server.models import ApiToken, AuditEntry, ConsoleSession, User, utcnow

from .conftest import ADMIN_PASSWORD


def _login_form(client) -> str:
    html = client.get("/console/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_login_sets_a_session_cookie_and_logout_ends_the_session(office):
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    csrf = office.login(client, username, password)
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    with office.ctx.db.connection_context():
        session = ConsoleSession.get()
        assert session.token_hash != cookie.value  # only the hash is kept
        assert session.token_hash == users.sha256(cookie.value)
    assert client.get("/console/stores").status_code == 200
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 302
    with office.ctx.db.connection_context():
        assert ConsoleSession.select().count() == 0
    # the old cookie is worthless even if someone kept it
    other = office.app.test_client()
    other.set_cookie(SESSION_COOKIE, cookie.value)
    assert other.get("/console/stores").status_code == 302


def test_wrong_password_and_unknown_user_read_the_same(office):
    username, _ = office.make_user("viewer")
    client = office.app.test_client()
    for name, password in ((username, "wrong password!"), ("nobody", "wrong password!")):
        response = client.post("/console/login", data={"username": name, "password": password,
                                                       "csrf_token": _login_form(client)})
        assert response.status_code == 401
        assert "wrong username or password" in response.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE) is None


def test_login_form_needs_its_csrf_cookie(office):
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    _login_form(client)
    response = client.post("/console/login", data={"username": username, "password": password,
                                                   "csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get_cookie(SESSION_COOKIE) is None


def test_login_redirects_only_inside_the_console(office):
    username, password = office.make_user("admin")
    client = office.app.test_client()
    response = client.post("/console/login?next=https://evil.example/x",
                           data={"username": username, "password": password, "csrf_token": _login_form(client)})
    assert client.get(response.headers["Location"]).headers["Location"] == "/console/"
    client = office.app.test_client()
    response = client.post("/console/login?next=/console/audit",
                           data={"username": username, "password": password, "csrf_token": _login_form(client)})
    assert client.get(response.headers["Location"]).headers["Location"] == "/console/audit"
    assert client.get("/console/login/check?next=//evil.example").headers["Location"] == "/console/"


def test_a_session_cookie_the_browser_does_not_send_back_is_explained(office):
    """A browser drops an HTTPS-only cookie on plain HTTP: the check after login says why."""
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    response = client.post("/console/login", data={"username": username, "password": password,
                                                   "csrf_token": _login_form(client)})
    check = response.headers["Location"]
    assert check.startswith("/console/login/check?")
    cookieless = office.app.test_client(use_cookies=False)  # what such a browser sends next
    response = cookieless.get(check)
    assert response.status_code == 400
    assert "did not send the session cookie back" in response.get_data(as_text=True)
    assert client.get(check).status_code == 302  # the browser that kept it goes on


@pytest.mark.parametrize("how", ["none", "wrong", "other session's"])
def test_unsafe_console_request_without_the_right_csrf_token_is_refused(office, how):
    client, csrf = office.user_client("store_ops")
    _other, other_csrf = office.user_client("store_ops")
    data = {"id": "s-csrf", "name": "CSRF shop"}
    if how == "wrong":
        data["csrf_token"] = "x" * len(csrf)
    elif how == "other session's":
        data["csrf_token"] = other_csrf
    response = client.post("/console/stores", data=data)
    assert response.status_code == 403
    assert 'data-code="csrf_failed"' in response.get_data(as_text=True)
    # and via the API with the cookie: same rule (header)
    response = client.post("/api/v1/stores", json={"id": "s-csrf", "name": "x"},
                           headers={"X-CSRF-Token": data.get("csrf_token", "")})
    assert response.status_code == 403 and response.get_json()["error"] == "csrf_failed"
    assert office.admin("GET", "/api/v1/stores").get_json()["total"] == 0


def test_the_right_csrf_token_works_as_form_field_and_header(office):
    client, csrf = office.user_client("store_ops")
    assert client.post("/console/stores", data={"id": "s1", "name": "One", "csrf_token": csrf}).status_code == 302
    response = client.post("/api/v1/stores", json={"id": "s2", "name": "Two"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201
    assert office.admin("GET", "/api/v1/stores").get_json()["total"] == 2


def _attempt(office, client, username, password):
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": _login_form(client)})


def test_lock_out_after_repeated_failures_and_unlock_by_admin(office):
    username, password = office.make_user("viewer")  # test settings: 3 failures lock for 5 minutes
    client = office.app.test_client()
    for _ in range(3):
        assert _attempt(office, client, username, "not the password").status_code == 401
    response = _attempt(office, client, username, password)  # even the right password
    assert response.status_code == 423
    assert "locked until" in response.get_data(as_text=True)
    with office.ctx.db.connection_context():
        user = User.get(User.username == username)
    office.admin("POST", f"/api/v1/users/{user.id}/unlock")
    assert _attempt(office, client, username, password).status_code == 302


def test_lock_out_expires(office):
    username, password = office.make_user("viewer")
    settings = office.config.console
    now = utcnow()
    with office.ctx.db.connection_context():
        for _ in range(settings.lockout_failures):
            with pytest.raises(users.LoginFailed):
                users.login(settings, username, "not the password", now=now)
        with pytest.raises(users.LoginFailed) as locked:
            users.login(settings, username, password, now=now + timedelta(minutes=settings.lockout_minutes - 1))
        assert locked.value.code == "locked_out"
        result = users.login(settings, username, password, now=now + timedelta(minutes=settings.lockout_minutes,
                                                                               seconds=1))
        assert result.user.failed_logins == 0 and result.user.locked_until is None


def test_a_success_resets_the_failure_count(office):
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    for _ in range(2):
        _attempt(office, client, username, "nope nope nope")
    assert _attempt(office, client, username, password).status_code == 302
    for _ in range(2):
        _attempt(office, client, username, "nope nope nope")
    assert _attempt(office, office.app.test_client(), username, password).status_code == 302


def test_deactivating_or_changing_the_role_ends_sessions(office):
    client, _csrf = office.user_client("store_ops")
    assert client.get("/console/stores").status_code == 200
    with office.ctx.db.connection_context():
        user = User.select().where(User.role == "store_ops").get()
    office.admin("PATCH", f"/api/v1/users/{user.id}", {"role": "viewer"})
    assert client.get("/console/stores").status_code == 302  # back to login
    assert office.login(client, user.username, ADMIN_PASSWORD)
    office.admin("PATCH", f"/api/v1/users/{user.id}", {"active": False})
    assert client.get("/console/stores").status_code == 302
    office.login(client, user.username, ADMIN_PASSWORD, expect=401)


def test_session_idle_timeout(office):
    client, _csrf = office.user_client("viewer")
    with office.ctx.db.connection_context():
        ConsoleSession.update(last_seen_at=utcnow() - timedelta(minutes=office.config.console.idle_minutes + 1)
                              ).execute()
    assert client.get("/console/stores").status_code == 302


def test_last_admin_cannot_be_demoted(office):
    username, _ = office.make_user("admin")
    with office.ctx.db.connection_context():
        user = User.get(User.username == username)
    response = office.admin("PATCH", f"/api/v1/users/{user.id}", {"role": "viewer"}, expect=409)
    assert response.get_json()["error"] == "last_admin"
    office.make_user("admin")
    office.admin("PATCH", f"/api/v1/users/{user.id}", {"role": "viewer"})


def test_passwords_are_salted_scrypt_and_short_ones_refused(office):
    office.admin("POST", "/api/v1/users", {"username": "shorty", "password": "short", "role": "viewer"}, expect=400)
    a, _ = office.make_user("viewer", password="the same password")
    b, _ = office.make_user("viewer", password="the same password")
    with office.ctx.db.connection_context():
        hashes = [User.get(User.username == name).password_hash for name in (a, b)]
    assert all(h.startswith("scrypt$10$") for h in hashes)
    assert hashes[0] != hashes[1]
    assert "the same password" not in hashes[0]


def test_api_token_shown_once_stored_hashed_scoped_and_revocable(office):
    response = office.admin("POST", "/api/v1/api-tokens", {"name": "inventory", "role": "viewer"}, expect=201)
    created = response.get_json()
    secret = created["token"]
    assert secret.startswith("fpt_") and created["prefix"] == secret[:12]
    listed = office.admin("GET", "/api/v1/api-tokens").get_json()["items"]
    assert all("token" not in item for item in listed)
    with office.ctx.db.connection_context():
        row = ApiToken.get_by_id(created["id"])
        assert row.token_hash == users.sha256(secret) and secret not in row.token_hash
    headers = {"Authorization": f"Bearer {secret}"}
    me = office.client.get("/api/v1/me", headers=headers).get_json()
    assert me == {"kind": "api_token", "name": "inventory", "role": "viewer",
                  "permissions": sorted(["stores.read", "catalog.read", "sales.read", "reports.read", "stock.read"])}
    assert office.client.get("/api/v1/stores", headers=headers).status_code == 200
    # a token needs no CSRF token, but its role still applies
    assert office.client.post("/api/v1/stores", json={"id": "x", "name": "x"}, headers=headers).status_code == 403
    with office.ctx.db.connection_context():
        assert ApiToken.get_by_id(created["id"]).last_used_at is not None
    office.admin("POST", f"/api/v1/api-tokens/{created['id']}/revoke")
    response = office.client.get("/api/v1/stores", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_console_api_token_page_shows_the_secret_once(office):
    client, csrf = office.user_client("admin")
    html = client.post("/console/api-tokens", data={"name": "ci", "role": "store_ops", "csrf_token": csrf}
                       ).get_data(as_text=True)
    secret = re.search(r'id="token-secret">(fpt_[^<]+)<', html).group(1)
    assert secret not in client.get("/console/api-tokens").get_data(as_text=True)
    assert office.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["role"] == \
        "store_ops"


def test_console_pages_are_not_framed_or_cached(office):
    client, _csrf = office.user_client("admin")
    for path in ("/console/login", "/console/", "/console/api-tokens"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    static = client.get("/console/static/console.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"


def test_a_users_api_tokens_never_outlast_their_rights(office):
    office.make_user("admin")  # not the last admin
    username, _ = office.make_user("admin")
    with office.ctx.db.connection_context():
        maker = User.get(User.username == username)
        admin_token, admin_secret = users.create_api_token("deploy", "admin", created_by=maker)
        viewer_token, viewer_secret = users.create_api_token("inventory", "viewer", created_by=maker)
    office.admin("PATCH", f"/api/v1/users/{maker.id}", {"role": "catalog_manager"})
    me = office.client.get("/api/v1/me", headers={"Authorization": f"Bearer {admin_secret}"})
    assert me.status_code == 401  # a catalog manager could not make an admin token: revoked
    assert office.client.get("/api/v1/me", headers={"Authorization": f"Bearer {viewer_secret}"}).status_code == 200
    office.admin("PATCH", f"/api/v1/users/{maker.id}", {"active": False})
    assert office.client.get("/api/v1/me", headers={"Authorization": f"Bearer {viewer_secret}"}).status_code == 401
    with office.ctx.db.connection_context():
        revoked = [e.target for e in AuditEntry.select().where(AuditEntry.action == "api_token.revoke")]
    assert revoked == [f"api_token:{admin_token.id}", f"api_token:{viewer_token.id}"]
