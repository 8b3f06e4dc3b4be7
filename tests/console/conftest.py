"""Fixtures for head office's console and /api/v1.

- `office`: head office's Flask app on a temp SQLite file (no broker), with helpers to make
  users in each role, log a test client in (returning the CSRF token) and make API tokens.
- `live_office`: the whole head office (HTTP on a loopback port, publisher, ingest) against
  a real Mosquitto (tests/sync/conftest.py), with an admin user `admin` / ADMIN_PASSWORD.
- `browser` (session), `console_context`, and `console_page`: a headless Chromium page
  already logged in to `live_office` as the admin. `shot(page, name)` keeps a screenshot
  in test-artifacts/console/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from pathlib import Path

import pytest

from fleet_server.app import create_app, open_fleet
from fleet_server.config import ConsoleSection, load_fleet_config
from fleet_server.permissions import ROLES
from tests.sync.conftest import (ADMIN_TOKEN, PIN, HeadOffice, Till, broker, broker_factory,  # noqa: F401
                                 fleet_factory, free_port, postgres, till_factory, wait_for)

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "console"
ADMIN_PASSWORD = "correct horse battery"
#: fast hashing and plain-HTTP cookies: tests only
TEST_CONSOLE = {"password_hash_cost": 10, "secure_cookies": False, "lockout_failures": 3, "lockout_minutes": 5}


class Office:
    """Head office's app with a test client, and the helpers a console/API test needs."""

    def __init__(self, directory: Path, database_url: str | None = None, **console):
        sections = {"server": {"data_dir": str(directory), "admin_token": ADMIN_TOKEN},
                    "console": {**TEST_CONSOLE, **console}, "catalog": {"pin_hash_cost": 4}}
        if database_url:
            sections["database"] = {"url": database_url}
        self.config = load_fleet_config(environ={}, overrides=sections)
        self.ctx = open_fleet(self.config)
        self.app = create_app(ctx=self.ctx)
        self.client = self.app.test_client()
        self._made = 0

    def close(self) -> None:
        self.ctx.db.close()

    def admin(self, method: str, path: str, body=None, expect: int | None = 200):
        """A call with the [server] admin token."""
        response = self.client.open(path, method=method, json=body,
                                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.get_json())
        return response

    def make_user(self, role: str, username: str | None = None, password: str = ADMIN_PASSWORD) -> tuple[str, str]:
        self._made += 1
        username = username or f"{role.replace('_', '-')}{self._made}"
        self.admin("POST", "/api/v1/users", {"username": username, "password": password, "role": role}, expect=201)
        return username, password

    def login(self, client, username: str, password: str = ADMIN_PASSWORD, expect: int = 302) -> str | None:
        """Log `client` in through the login form; returns the session's CSRF token."""
        form = client.get("/console/login")
        login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
        response = client.post("/console/login", data={"username": username, "password": password,
                                                       "csrf_token": login_csrf})
        assert response.status_code == expect, (response.status_code, response.get_data(as_text=True)[:500])
        if expect != 302:
            return None
        page = client.get("/console/")
        assert page.status_code == 200
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)

    def user_client(self, role: str):
        """A new test client logged in as a new user in `role`; returns (client, csrf token)."""
        client = self.app.test_client()
        username, password = self.make_user(role)
        return client, self.login(client, username, password)

    def api_token(self, role: str, name: str | None = None) -> str:
        response = self.admin("POST", "/api/v1/api-tokens", {"name": name or f"script {role}", "role": role},
                              expect=201)
        return response.get_json()["token"]


@pytest.fixture
def office(tmp_path):
    made = Office(tmp_path / "fleet")
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_office(request, tmp_path):
    """An `Office` on SQLite, then on a fresh PostgreSQL database of the test cluster."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database(f"t_{secrets.token_hex(6)}")
    made = Office(tmp_path / "fleet", database_url=url)
    yield made
    made.close()


@pytest.fixture(params=sorted(ROLES))
def role(request):
    return request.param


# -- a live head office and a browser ---------------------------------------------------------

class LiveOffice(HeadOffice):
    """tests/sync's HeadOffice with test console settings and a console admin user."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = dataclasses.replace(self.config, console=ConsoleSection(**TEST_CONSOLE))
        self.ctx.config = self.config
        from fleet_server import users

        with self.ctx.db.connection_context():
            users.create_user(self.config.console, "admin", ADMIN_PASSWORD, "admin", "Head office admin",
                              actor="test setup")


@pytest.fixture
def live_office(tmp_path, broker_factory):  # noqa: F811
    broker = broker_factory()
    office = LiveOffice(tmp_path / "live-fleet", broker, broker.server_password)
    office.start()
    yield office
    office.stop()


@pytest.fixture
def console_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    yield context
    context.close()


def console_login(page, office, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto(f"{office.url}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_url(lambda url: "/console/login" not in url)


@pytest.fixture
def console_page(console_context, live_office):
    """A page logged in to `live_office` as `admin`, on the dashboard."""
    page = console_context.new_page()
    console_login(page, live_office)
    return page


def shot(page, name: str, *, docs: bool = False) -> Path:
    """Keep a screenshot in test-artifacts/console/; with FLEETPOS_DOC_SCREENSHOTS=1 a `docs`
    one also replaces docs/screenshots/console-<name>.png (a plain test run leaves docs/ alone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    data = page.screenshot(full_page=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(data)
    if docs and os.environ.get("FLEETPOS_DOC_SCREENSHOTS") == "1":
        (REPO / "docs" / "screenshots" / f"console-{name}.png").write_bytes(data)
    return path
