"""A console user changes their own password."""

from __future__ import annotations

from fleet_server import users
from fleet_server.models import AuditEntry, User


def test_user_changes_own_password_and_other_sessions_end(office):
    username, password = office.make_user("viewer")
    client = office.app.test_client()
    csrf = office.login(client, username, password)
    other = office.app.test_client()
    office.login(other, username, password)

    wrong = client.post("/console/account", data={"current_password": "not it at all", "new_password": "a new one 123",
                                                  "repeat_password": "a new one 123", "csrf_token": csrf})
    assert wrong.status_code == 403 and "current password is wrong" in wrong.get_data(as_text=True)
    differ = client.post("/console/account", data={"current_password": password, "new_password": "a new one 123",
                                                   "repeat_password": "another one 1", "csrf_token": csrf})
    assert differ.status_code == 400
    no_csrf = client.post("/console/account", data={"current_password": password, "new_password": "a new one 123",
                                                    "repeat_password": "a new one 123"})
    assert no_csrf.status_code == 403
    with office.ctx.db.connection_context():
        assert users.verify_password(password, User.get(User.username == username).password_hash)

    done = client.post("/console/account", data={"current_password": password, "new_password": "a new one 123",
                                                 "repeat_password": "a new one 123", "csrf_token": csrf})
    assert done.status_code == 302
    assert client.get("/console/account").status_code == 200  # this session stays
    assert other.get("/console/account").status_code == 302  # the other one ended
    office.login(office.app.test_client(), username, password, expect=401)
    assert office.login(office.app.test_client(), username, "a new one 123")
    with office.ctx.db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "user.password")
        assert entry.actor == username and "a new one" not in (entry.after or "")


def test_the_admin_token_has_no_account_page(office):
    response = office.client.get("/console/account", headers={"Authorization": "Bearer test-admin-token"})
    assert response.status_code == 403 and 'data-code="not_a_user"' in response.get_data(as_text=True)
