"""Every change at head office lands in the audit log with who, what, before and after."""

from __future__ import annotations

from fleet_server.models import AuditEntry, User

from .conftest import ADMIN_PASSWORD


def _entries(office, action):
    return office.admin("GET", f"/api/v1/audit?action={action}").get_json()["items"]


def test_user_changes_are_audited_with_before_and_after(office):
    client, csrf = office.user_client("admin")
    me = client.get("/api/v1/me").get_json()["name"]
    response = client.post("/api/v1/users", json={"username": "carol", "password": ADMIN_PASSWORD,
                                                  "role": "viewer", "display_name": "Carol"},
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201
    user_id = response.get_json()["id"]
    client.patch(f"/api/v1/users/{user_id}", json={"role": "store_ops", "password": "a new password"},
                 headers={"X-CSRF-Token": csrf})
    created = _entries(office, "user.create")[0]
    assert created["actor"] == me and created["target"] == "user:carol"
    assert created["before"] is None and created["after"]["role"] == "viewer"
    updated = _entries(office, "user.update")[0]
    assert updated["actor"] == me
    assert updated["before"]["role"] == "viewer" and updated["after"]["role"] == "store_ops"
    assert updated["before"]["password"] == "(old)" and updated["after"]["password"] == "(changed)"
    # no password or hash in the log
    with office.ctx.db.connection_context():
        text = " ".join((e.before or "") + (e.after or "") for e in AuditEntry.select())
        assert ADMIN_PASSWORD not in text and "a new password" not in text
        assert User.get(User.username == "carol").password_hash not in text


def test_store_device_and_token_changes_are_audited(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One", "region": "east"}, expect=201)
    office.admin("PATCH", "/api/v1/stores/s1", {"group": "shanghai"})
    issued = office.admin("POST", "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    office.admin("POST", "/api/v1/stores/s1/devices/till-1/revoke")
    token = office.admin("POST", "/api/v1/api-tokens", {"name": "ci", "role": "viewer"}, expect=201).get_json()
    office.admin("POST", f"/api/v1/api-tokens/{token['id']}/revoke")

    update = _entries(office, "store.update")[0]
    assert update["actor"] == "admin-token"
    assert update["before"]["group"] == "" and update["after"]["group"] == "shanghai"
    assert update["after"]["region"] == "east"
    assert _entries(office, "store.create")[0]["after"]["name"] == "One"
    token_entry = _entries(office, "device.token")[0]
    assert token_entry["target"] == "device:s1/till-1"
    assert issued.get_json()["token"] not in str(token_entry)  # the secret is not logged
    revoke = _entries(office, "device.revoke")[0]
    assert revoke["before"]["state"] == "pending" and revoke["after"]["state"] == "revoked"
    revoked = _entries(office, "api_token.revoke")[0]
    assert revoked["before"]["revoked_at"] is None and revoked["after"]["revoked_at"]
    assert token["token"] not in str(_entries(office, "api_token.create"))


def test_failed_change_leaves_no_audit_row(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One"}, expect=201)
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "Again"}, expect=409)
    office.admin("PATCH", "/api/v1/stores/s1", {"region": "not a valid group!"}, expect=400)
    assert len(_entries(office, "store.create")) == 1
    assert _entries(office, "store.update") == []


def test_logins_and_failures_are_audited(office):
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    office.login(client, username, "wrong password", expect=401)
    office.login(client, username, password)
    assert _entries(office, "login.fail")[0]["target"] == f"user:{username}"
    assert _entries(office, "login")[0]["actor"] == username


def test_audit_page_filters_and_shows_before_after(office):
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One"}, expect=201)
    office.admin("PATCH", "/api/v1/stores/s1", {"name": "One renamed"})
    client, _csrf = office.user_client("admin")
    html = client.get("/console/audit?action=store.update").get_data(as_text=True)
    assert "One renamed" in html and 'data-action="store.update"' in html
    assert 'data-action="store.create"' not in html
    viewer, _ = office.user_client("viewer")
    assert viewer.get("/console/audit").status_code == 403


def test_the_first_admin_api_audits_store_and_device_changes_too(office):
    office.admin("POST", "/api/stores", {"id": "old-api", "name": "Old API"}, expect=201)
    office.admin("POST", "/api/stores/old-api/devices", {"device_id": "till-1"}, expect=201)
    office.admin("POST", "/api/stores/old-api/devices/till-1/revoke")
    assert _entries(office, "store.create")[0]["target"] == "store:old-api"
    assert _entries(office, "device.token")[0]["target"] == "device:old-api/till-1"
    assert _entries(office, "device.revoke")[0]["after"]["state"] == "revoked"
