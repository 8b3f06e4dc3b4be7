"""The console's users and API token pages, as an admin uses them."""

from __future__ import annotations

import re

from fleet_server.models import User

from .conftest import ADMIN_PASSWORD


def test_admin_creates_edits_deactivates_and_unlocks_a_user_in_the_console(office):
    client, csrf = office.user_client("admin")
    response = client.post("/console/users", data={"username": "Dora", "display_name": "Dora Li", "role": "viewer",
                                                   "password": ADMIN_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302
    html = client.get("/console/users").get_data(as_text=True)
    assert 'data-user="dora"' in html and "Viewer" in html  # usernames are lower case
    with office.ctx.db.connection_context():
        dora = User.get(User.username == "dora")
    response = client.post(f"/console/users/{dora.id}", data={"display_name": "Dora Li", "role": "catalog_manager",
                                                              "active": "true", "password": "", "csrf_token": csrf})
    assert response.status_code == 302
    with office.ctx.db.connection_context():
        assert User.get_by_id(dora.id).role == "catalog_manager"

    dora_client = office.app.test_client()
    for _ in range(office.config.console.lockout_failures):
        office.login(dora_client, "dora", "wrong password!", expect=401)
    page = client.get(f"/console/users/{dora.id}").get_data(as_text=True)
    assert 'id="unlock"' in page and "Locked after failed logins" in page
    client.post(f"/console/users/{dora.id}/unlock", data={"csrf_token": csrf})
    assert office.login(dora_client, "dora", ADMIN_PASSWORD)

    client.post(f"/console/users/{dora.id}", data={"active": "false", "csrf_token": csrf})
    assert dora_client.get("/console/catalog").status_code == 302  # her session ended


def test_console_form_errors_are_shown_and_change_nothing(office):
    client, csrf = office.user_client("admin")
    response = client.post("/console/users", data={"username": "x", "role": "viewer", "password": "short",
                                                   "csrf_token": csrf})
    assert response.status_code == 400
    assert "username" in response.get_data(as_text=True)
    response = client.post("/console/users", data={"username": "eve", "role": "overlord", "password": ADMIN_PASSWORD,
                                                   "csrf_token": csrf})
    assert response.status_code == 400 and "role must be one of" in response.get_data(as_text=True)
    with office.ctx.db.connection_context():
        assert not User.select().where(User.username.in_(["x", "eve"])).exists()


def test_api_token_revoked_in_the_console_stops_working(office):
    client, csrf = office.user_client("admin")
    html = client.post("/console/api-tokens", data={"name": "nightly export", "role": "viewer", "csrf_token": csrf}
                       ).get_data(as_text=True)
    secret = re.search(r'id="token-secret">(fpt_[^<]+)<', html).group(1)
    token_id = re.search(r'data-token="(\d+)"', html).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert office.client.get("/api/v1/stores", headers=headers).status_code == 200
    client.post(f"/console/api-tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert office.client.get("/api/v1/stores", headers=headers).status_code == 401
    assert "revoked" in client.get("/console/api-tokens").get_data(as_text=True)
