"""An existing head office database (made before the console) keeps working: the numbered
migration steps add the new columns once, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import sqlite3

import pytest

from fleet_server.db import MIGRATIONS, open_database, run_migrations
from fleet_server.models import Device, SchemaVersion, Store

OLD_SCHEMA = [  # store and device as they were before migrations 1 and 2
    'CREATE TABLE "store" ("id" VARCHAR(64) NOT NULL PRIMARY KEY, "name" VARCHAR(200) NOT NULL, '
    '"catalog_version" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL)',
    'CREATE TABLE "device" ("id" {serial} NOT NULL PRIMARY KEY, "store_id" VARCHAR(64) NOT NULL '
    'REFERENCES "store" ("id"), "device_id" VARCHAR(64) NOT NULL, "username" VARCHAR(140) NOT NULL UNIQUE, '
    '"password_hash" VARCHAR(300), "state" VARCHAR(16) NOT NULL, "created_at" TIMESTAMP NOT NULL, '
    '"enrolled_at" TIMESTAMP, "revoked_at" TIMESTAMP, "online" {boolean} NOT NULL, "last_seen" TIMESTAMP, '
    '"last_status" TEXT, "catalog_version" INTEGER, "catalog_error" TEXT)',
    "INSERT INTO store (id, name, catalog_version, created_at) VALUES ('old-1', 'Old store', 7, "
    "'2026-01-01 00:00:00')",
    "INSERT INTO device (store_id, device_id, username, state, created_at, online) VALUES "
    "('old-1', 'till-1', 'old-1.till-1', 'active', '2026-01-01 00:00:00', {false})",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "old.sqlite3"
        connection = sqlite3.connect(path)
        for statement in OLD_SCHEMA:
            connection.execute(statement.format(serial="INTEGER", boolean="INTEGER", false="0"))
        connection.commit()
        connection.close()
        return f"sqlite:///{path}"
    import psycopg2

    url = request.getfixturevalue("postgres").create_database(f"t_{secrets.token_hex(6)}")
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        for statement in OLD_SCHEMA:
            cursor.execute(statement.format(serial="SERIAL", boolean="BOOLEAN", false="false"))
    connection.close()
    return url


def test_old_database_gets_the_new_columns_once_and_keeps_its_rows(old_database):
    database = open_database(old_database)
    try:
        with database.connection_context():
            columns = {c.name for c in database.get_columns("store")}
            assert {"region", "group"} <= columns
            assert {"outbox_backlog", "backlog_rising_since"} <= {c.name for c in database.get_columns("device")}
            store = Store.get_by_id("old-1")
            assert (store.name, store.catalog_version, store.region, store.group) == ("Old store", 7, "", "")
            assert Device.get().device_id == "till-1"
            assert sorted(v.version for v in SchemaVersion.select()) == [n for n, _d, _s in MIGRATIONS]
            Store.update(region="east").where(Store.id == "old-1").execute()
            assert run_migrations(database) == []  # nothing runs twice
    finally:
        database.close()
    again = open_database(old_database)  # a restart
    try:
        with again.connection_context():
            assert Store.get_by_id("old-1").region == "east"
    finally:
        again.close()


def test_a_new_database_records_every_step_without_running_into_existing_columns(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        with database.connection_context():
            assert [v.version for v in SchemaVersion.select().order_by(SchemaVersion.version)] == \
                [n for n, _d, _s in MIGRATIONS]
    finally:
        database.close()


def test_migration_numbers_are_unique_and_increasing():
    numbers = [n for n, _d, _s in MIGRATIONS]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
