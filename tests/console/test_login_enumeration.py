"""A failed login never tells whether the username exists: the same message, status,
hashing work and lock-out for an unknown username as for a real user's wrong password
(the counting on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from fleet_server import users
from fleet_server.models import LoginThrottle, User, utcnow


def _attempt(client, username, password):
    html = client.get("/console/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/console/login", data={"username": username, "password": password, "csrf_token": csrf})
    return response.status_code, re.search(r'<p class="error"[^>]*>(.*?)</p>', response.get_data(as_text=True),
                                           re.S)


def _refusal(settings, username, password, now):
    with pytest.raises(users.LoginFailed) as refused:
        users.login(settings, username, password, now=now)
    return refused.value.status, refused.value.code, refused.value.message


def test_an_unknown_username_is_locked_out_exactly_like_a_real_one(any_office):
    office = any_office
    username, password = office.make_user("viewer")  # test settings: 3 failures lock for 5 minutes
    settings = office.config.console
    now = utcnow().replace(microsecond=0)
    with office.ctx.db.connection_context():
        real = [_refusal(settings, username, "not the password", now) for _ in range(settings.lockout_failures + 1)]
        ghost = [_refusal(settings, "no-such-user", "not the password", now)
                 for _ in range(settings.lockout_failures + 1)]
    assert real == ghost
    assert real[0] == (401, "login_failed", "wrong username or password")
    assert real[-1][:2] == (423, "locked_out") and "locked until" in real[-1][2]
    # the real user's lock holds even for the right password, and ends when it should
    with office.ctx.db.connection_context():
        assert _refusal(settings, username, password, now + timedelta(minutes=1))[1] == "locked_out"
        assert users.login(settings, username, password, now=now + timedelta(minutes=6)).user.username == username


def test_the_login_page_shows_the_lock_out_for_an_unknown_username(office):
    username, _password = office.make_user("viewer")
    client = office.app.test_client()
    pages = {}
    for name in (username, "nobody-here"):
        pages[name] = [_attempt(client, name, "wrong password!") for _ in range(4)]
    for name, attempts in pages.items():
        assert [status for status, _ in attempts] == [401, 401, 401, 423], name
        assert "locked until" in attempts[-1][1].group(1)
    assert pages[username][0][1].group(1) == pages["nobody-here"][0][1].group(1)
    # case and spaces do not make a fresh name to try again with
    assert _attempt(client, "  Nobody-Here ", "wrong password!")[0] == 423


def test_every_login_attempt_costs_one_scrypt_whoever_it_names(office, monkeypatch):
    username, password = office.make_user("viewer")
    settings = office.config.console
    calls = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(users.hashlib, "scrypt", counting_scrypt)
    now = utcnow()
    cost = 2 ** settings.password_hash_cost
    with office.ctx.db.connection_context():
        for name in ("first-unknown", username, "second-unknown"):
            calls.clear()
            with pytest.raises(users.LoginFailed):
                users.login(settings, name, "not the password", now=now)
            assert calls == [cost], name
        for _ in range(settings.lockout_failures):
            with pytest.raises(users.LoginFailed):
                users.login(settings, username, "not the password", now=now)
        calls.clear()  # a locked user's attempt does the same work as any other
        with pytest.raises(users.LoginFailed):
            users.login(settings, username, password, now=now)
        assert calls == [cost]


def test_unknown_usernames_rows_stay_bounded(any_office, monkeypatch):
    office = any_office
    settings = office.config.console
    monkeypatch.setattr(users, "THROTTLE_ROWS", 5)
    now = utcnow()
    with office.ctx.db.connection_context():
        for number in range(8):
            with pytest.raises(users.LoginFailed):
                users.login(settings, f"guess-{number}", "not the password", now=now + timedelta(seconds=number))
        assert LoginThrottle.select().count() == 5
        assert {row.username for row in LoginThrottle.select()} == {f"guess-{n}" for n in range(3, 8)}
        # a day later the quiet ones are forgotten
        with pytest.raises(users.LoginFailed):
            users.login(settings, "later", "not the password", now=now + users.FAILURE_MEMORY + timedelta(minutes=1))
        assert [row.username for row in LoginThrottle.select()] == ["later"]


def test_failures_a_day_apart_do_not_add_up_for_anyone(office):
    username, password = office.make_user("viewer")
    settings = office.config.console
    now = utcnow()
    with office.ctx.db.connection_context():
        for name in (username, "nobody"):
            for _ in range(settings.lockout_failures - 1):
                _refusal(settings, name, "not the password", now)
            later = now + users.FAILURE_MEMORY + timedelta(minutes=1)
            assert _refusal(settings, name, "not the password", later)[1] == "login_failed", name
        assert User.get(User.username == username).failed_logins == 1
        assert users.login(settings, username, password, now=later).user.failed_logins == 0


def test_migration_5_keeps_users_and_their_failure_counts(tmp_path):
    import sqlite3

    from fleet_server.db import open_database

    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "username" VARCHAR(64) NOT NULL '
                       'UNIQUE, "display_name" VARCHAR(200) NOT NULL, "role" VARCHAR(32) NOT NULL, "password_hash" '
                       'VARCHAR(300) NOT NULL, "active" INTEGER NOT NULL, "failed_logins" INTEGER NOT NULL, '
                       '"locked_until" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, "last_login_at" TIMESTAMP)')
    connection.execute("INSERT INTO user (username, display_name, role, password_hash, active, failed_logins, "
                       "created_at) VALUES ('alice', '', 'viewer', 'x', 1, 2, '2026-01-01 00:00:00'), "
                       "('bob', '', 'viewer', 'x', 1, 0, '2026-01-01 00:00:00')")
    connection.commit()
    connection.close()
    database = open_database(f"sqlite:///{path}")
    try:
        with database.connection_context():
            alice, bob = User.get(User.username == "alice"), User.get(User.username == "bob")
            assert alice.failed_logins == 2 and alice.last_failed_at is not None
            assert bob.failed_logins == 0 and bob.last_failed_at is None
    finally:
        database.close()
