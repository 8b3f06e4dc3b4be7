"""The till's SQLite database: connection settings and schema migrations.

WAL mode with synchronous=FULL: a transaction that has returned from COMMIT survives
a power cut. The schema is created and changed only by the numbered migrations below,
each in its own transaction together with the version row it adds, so a store's
database is moved forward release by release without losing data, and a database from
a newer release is refused rather than misread.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from . import schema

log = logging.getLogger(__name__)

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "cache_size": -16_000,  # KiB
    "temp_store": "memory",
}


class SchemaTooNew(RuntimeError):
    pass


def open_database(path: str | Path) -> SqliteDatabase:
    """Open (creating if needed) the database file and bind the till's models to it."""
    from .models import MODELS

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    database = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
    database.bind(MODELS, bind_refs=False, bind_backrefs=False)
    return database


def has_table(connection: sqlite3.Connection, name: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (name,)).fetchone() is not None


def connection_schema_version(connection: sqlite3.Connection) -> int:
    """The schema version of the database on a plain sqlite3 connection (0: none yet)."""
    if not has_table(connection, "schema_version"):
        return 0
    return connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def schema_version(database: SqliteDatabase) -> int:
    return connection_schema_version(database.connection())


def migrate(database: SqliteDatabase, *, target: int | None = None, before_migrate=None) -> int:
    """Apply the migrations the database has not had yet; return the resulting version.

    `before_migrate(current_version)` runs once before the first pending migration
    (the backup job hooks in here).
    """
    latest = schema.MIGRATIONS[-1].version
    target = latest if target is None else target
    current = schema_version(database)
    if current > latest:
        raise SchemaTooNew(
            f"the database is at schema version {current} but this release knows only up to "
            f"{latest}: install a newer fleetpos or restore a backup made by this release")
    pending = [m for m in schema.MIGRATIONS if current < m.version <= target]
    if pending and before_migrate is not None:
        before_migrate(current)
    for migration in pending:
        log.info("applying schema migration %d: %s", migration.version, migration.title)
        with database.atomic("IMMEDIATE"):
            for statement in migration.statements:
                database.execute_sql(statement)
            database.execute_sql(
                "INSERT INTO schema_version (version, title, applied_at) VALUES (?, ?, datetime('now'))",
                (migration.version, migration.title))
    return schema_version(database)


def check_writable(database: SqliteDatabase) -> tuple[bool, str]:
    """Whether a write transaction can be taken now (used by /healthz)."""
    try:
        database.execute_sql("BEGIN IMMEDIATE")
        database.execute_sql("ROLLBACK")
        return True, "writable"
    except Exception as exc:  # any failure here is what the health check reports
        try:
            database.execute_sql("ROLLBACK")
        except Exception:
            pass
        return False, f"{type(exc).__name__}: {exc}"
