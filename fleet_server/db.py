"""Head office's database connection: SQLite (one file, WAL) or PostgreSQL, by URL.

The code is the same on both; the differences (how a write transaction takes its
lock, upserts) are kept to the helpers here. Several processes (the HTTP server, the
catalog publisher, ingest workers) share one database.
"""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

from .models import MODELS, database_proxy

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": 30_000}


def open_database(url: str, *, create: bool = True) -> Database:
    """Connect to `url`, bind head office's models to it and create missing tables."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        database = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    elif url.startswith(("postgresql://", "postgres://")):
        database = connect(url)
    else:
        raise ValueError(f"DATABASE_URL {url!r}: use sqlite:///<path> or postgresql://<user>@<host>:<port>/<db>")
    database_proxy.initialize(database)
    if create:
        with database.connection_context():
            database.create_tables(MODELS, safe=True)
    return database


def is_postgres(database: Database) -> bool:
    return isinstance(database, PostgresqlDatabase)


def write_transaction(database: Database):
    """A transaction that will write: on SQLite it takes the write lock at BEGIN, so two
    processes never deadlock upgrading a read lock."""
    if isinstance(database, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def execute_many(database: Database, statement: str, rows: list[tuple]) -> None:
    """Run `statement` (with `{p}` for each parameter) once per row, in the caller's
    transaction, without the ORM's per-query SQL building."""
    if rows:
        database.cursor().executemany(statement.format(p=database.param), rows)
