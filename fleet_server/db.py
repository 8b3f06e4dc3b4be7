"""Head office's database connection: SQLite (one file, WAL) or PostgreSQL, by URL.

The code is the same on both; the differences (how a write transaction takes its
lock, upserts) are kept to the helpers here. Several processes (the HTTP server, the
catalog publisher, ingest workers) share one database.

New tables appear by `create_tables(safe=True)`. A new column on an existing table needs
a numbered step in `MIGRATIONS` (below): each database remembers the steps it has had in
`schema_version`, and `open_database` runs the missing ones in order, each in its own
transaction. A step must be safe on a database whose tables were just created with the
column already there (it checks before it adds).
"""

from __future__ import annotations

import logging
from pathlib import Path

from typing import Callable

from peewee import Database, Field, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

from . import models
from .models import MODELS, SchemaVersion, database_proxy, utcnow

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
            run_migrations(database)
    return database


# -- migrations ---------------------------------------------------------------------------------

def _literal(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"no SQL literal for a default of {value!r}")


def add_column(database: Database, model: type[Model], name: str) -> None:
    """Add `model`'s field `name` to its table unless the table has it already: one
    ALTER TABLE ... ADD COLUMN (a NOT NULL column takes its constant default), so the
    table is never rebuilt and the rows and foreign keys pointing at it stay as they are."""
    table = model._meta.table_name
    if name in {column.name for column in database.get_columns(table)}:
        return
    field: Field = model._meta.fields[name]
    context = database.get_sql_context()
    column_sql, _params = context.sql(field.ddl(context)).query()
    if not field.null:
        if field.default is None or callable(field.default):
            raise ValueError(f"{table}.{name}: a new NOT NULL column needs a constant default")
        column_sql += f" DEFAULT {_literal(field.default)}"
    database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {column_sql}')


def _store_region_and_group(database: Database) -> None:
    add_column(database, models.Store, "region")
    add_column(database, models.Store, "group")


def _device_backlog(database: Database) -> None:
    add_column(database, models.Device, "outbox_backlog")
    add_column(database, models.Device, "backlog_rising_since")


def _store_settings(database: Database) -> None:
    add_column(database, models.Store, "timezone")
    add_column(database, models.Store, "locale")
    add_column(database, models.Store, "currency")


def _report_tables(database: Database) -> None:
    # the tables are new (create_tables made them); fill them from the stored records
    # (which reads the stores' time zones: step 4's columns, added here if not yet there)
    from .sales import backfill

    _store_settings(database)
    backfill()


def _local_time_reports(database: Database) -> None:
    # the report rows were bucketed by UTC day and hour: move each store's to its local time
    from .sales import rebucket_store

    _store_settings(database)
    stores = {row[0] for row in database.execute_sql("SELECT DISTINCT store_id FROM sale_fact")}
    stores |= {row[0] for row in database.execute_sql("SELECT DISTINCT store_id FROM refund_fact")}
    for store_id in sorted(stores):
        rebucket_store(store_id)


def _login_failure_times(database: Database) -> None:
    # a user's failures are forgotten a while after the last one (users.FAILURE_MEMORY), as an
    # unknown username's are; a user with failures counted before this step keeps them from now
    add_column(database, models.User, "last_failed_at")
    models.User.update(last_failed_at=utcnow()).where((models.User.failed_logins > 0)
                                                      & models.User.last_failed_at.is_null()).execute()


#: (number, what it does, the step); numbers only ever grow; append new steps at the end
MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "store.region and store.group (console, Ansible inventory)", _store_region_and_group),
    (2, "device.outbox_backlog and device.backlog_rising_since (alerts)", _device_backlog),
    (3, "report tables (sale_fact, ...) from the records already held", _report_tables),
    (4, "store.timezone, store.locale, store.currency; report days and hours in each store's local time",
     _local_time_reports),
    (5, "user.last_failed_at (failed logins of unknown usernames counted like a user's: login_throttle)",
     _login_failure_times),
]


def run_migrations(database: Database) -> list[int]:
    """Run the steps this database has not had yet; returns their numbers."""
    done = {row.version for row in SchemaVersion.select(SchemaVersion.version)}
    ran = []
    for number, description, step in sorted(MIGRATIONS, key=lambda m: m[0]):
        if number in done:
            continue
        with write_transaction(database):
            if is_postgres(database):  # SQLite's IMMEDIATE transaction already holds the write lock
                database.execute_sql("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            # another process may have run it meanwhile (we hold the lock now)
            if SchemaVersion.get_or_none(SchemaVersion.version == number) is not None:
                continue
            log.info("migrating head office's database: step %d, %s", number, description)
            step(database)
            SchemaVersion.create(version=number, applied_at=utcnow())
        ran.append(number)
    return ran


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
