"""Copies of the till's database: before every schema migration, on demand, and restore.

A backup is a consistent copy made with SQLite's online backup API while the till runs
(a sale committing meanwhile is either wholly in it or not), checked with
`PRAGMA integrity_check`, written under a temporary name, flushed to disk and only then
renamed: a file with a backup's name is always a whole backup. Backups live in
`<data dir>/backups/` as `till-<UTC time>-v<schema>-<reason>.sqlite3`; the newest `keep`
are kept (the one just made is never pruned).

Restoring replaces the till's database with a backup, in one write transaction through the
same backup API, after saving the current database as a backup of its own. It refuses a
backup that is damaged, from a newer release, or from another store or device, and (unless
forced) a current database that still holds records head office has not acknowledged: those
would otherwise leave the live database. It keeps the device's current enrollment (MQTT
credentials) and moves every counter (receipt numbers) to the higher of the two databases,
so no receipt number is used twice.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from peewee import SqliteDatabase

from . import schema
from .db import PRAGMAS, connection_schema_version, has_table, migrate

log = logging.getLogger(__name__)

DEFAULT_KEEP = 10
NAME = re.compile(r"^till-(\d{8}T\d{6}\d{6}Z)-v(\d+)-([a-z0-9-]+)\.sqlite3$")


class BackupError(RuntimeError):
    """A backup could not be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: datetime
    schema_version: int
    reason: str
    size: int


def backups_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "backups"


def list_backups(directory: Path) -> list[BackupInfo]:
    """The backups in `directory`, oldest first (files without a backup's name are ignored)."""
    found = []
    if not Path(directory).is_dir():
        return found
    for path in Path(directory).iterdir():
        match = NAME.match(path.name)
        if match and path.is_file():
            stamp, version, reason = match.groups()
            made = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
            found.append(BackupInfo(path, made, int(version), reason, path.stat().st_size))
    return sorted(found, key=lambda info: info.path.name)


def _check(connection: sqlite3.Connection, what: str) -> None:
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} is damaged: {'; '.join(problems[:5])}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_backup(db_path: Path, directory: Path, *, reason: str, keep: int = DEFAULT_KEEP,
                clock=None) -> BackupInfo:
    """Copy the database at `db_path` into `directory` and prune old copies; returns the new one."""
    if not re.fullmatch(r"[a-z0-9-]{1,40}", reason):
        raise ValueError(f"backup reason {reason!r}: use 1-40 lowercase letters, digits or '-'")
    if keep < 1:
        raise ValueError("keep at least one backup")
    db_path, directory = Path(db_path), Path(directory)
    if not db_path.exists():
        raise BackupError(f"there is no database at {db_path} to back up")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot make the backups folder {directory}: {exc}") from exc
    needed = db_path.stat().st_size + (Path(f"{db_path}-wal").stat().st_size if Path(f"{db_path}-wal").exists() else 0)
    free = shutil.disk_usage(directory).free
    if free < needed + 16 * 1024 * 1024:
        raise BackupError(f"not enough disk space for a backup in {directory}: {free // 2**20} MiB free, "
                          f"the database needs {needed // 2**20} MiB (delete old backups or free space)")
    now = (clock or (lambda: datetime.now(timezone.utc)))()
    source = sqlite3.connect(db_path)
    partial = None
    try:
        version = connection_schema_version(source)
        final = directory / f"till-{now.strftime('%Y%m%dT%H%M%S%fZ')}-v{version}-{reason}.sqlite3"
        partial = directory / f".{final.name}.partial"
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            _check(target, "the new backup")
        finally:
            target.close()
    except sqlite3.Error as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise BackupError(f"could not back up {db_path}: {exc}") from exc
    finally:
        source.close()
    _fsync(partial)
    os.replace(partial, final)
    _fsync(directory)
    made = BackupInfo(final, now, version, reason, final.stat().st_size)
    others = [b for b in list_backups(directory) if b.path != final]
    for old in others[:max(0, len(others) + 1 - keep)]:
        old.path.unlink()
        log.info("removed old backup %s", old.path.name)
    log.info("backed up the database to %s (%s, schema %d)", final, reason, version)
    return made


def _identity(connection: sqlite3.Connection) -> tuple | None:
    if not has_table(connection, "sync_identity"):
        return None
    return connection.execute("SELECT * FROM sync_identity WHERE id = 1").fetchone()


def _unacknowledged(connection: sqlite3.Connection) -> int:
    if not has_table(connection, "outbox"):
        return 0
    return connection.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]


def restore_backup(backup_path: Path, db_path: Path, *, store_id: str, device_id: str,
                   force: bool = False, keep: int = DEFAULT_KEEP) -> BackupInfo | None:
    """Replace the database at `db_path` with the backup and migrate it to this release;
    returns the backup made of the database it replaced (None when there was none).
    Stop the till and sync units first."""
    backup_path, db_path = Path(backup_path), Path(db_path)
    if not backup_path.is_file():
        raise BackupError(f"no backup file at {backup_path}")
    source = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    try:
        try:
            _check(source, f"the backup {backup_path.name}")
            version = connection_schema_version(source)
            identity = _identity(source)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup_path} is not a till database backup: {exc}") from exc
        latest = schema.MIGRATIONS[-1].version
        if version == 0:
            raise BackupError(f"{backup_path.name} has no till schema: it is not a till database backup")
        if version > latest:
            raise BackupError(f"{backup_path.name} is at schema version {version}, newer than this release "
                              f"({latest}): install the release that made it")
        if identity is not None and (identity[1], identity[2]) != (store_id, device_id):
            raise BackupError(f"{backup_path.name} belongs to {identity[1]}/{identity[2]}, "
                              f"not this till ({store_id}/{device_id})")
        replaced, current_identity, counters = None, None, []
        if db_path.exists():
            current = sqlite3.connect(db_path)
            try:
                waiting = _unacknowledged(current)
                if waiting and not force:
                    raise BackupError(
                        f"the current database holds {waiting} record(s) head office has not acknowledged yet; "
                        f"let the sync agent send them first, or restore with --force (they stay in the "
                        f"copy of the current database that the restore makes)")
                current_identity = _identity(current)
                if connection_schema_version(current):
                    counters = current.execute("SELECT name, value FROM counter").fetchall()
            finally:
                current.close()
            replaced = make_backup(db_path, backups_dir(db_path.parent), reason="before-restore", keep=keep)
        target = sqlite3.connect(db_path)
        try:
            target.execute("PRAGMA journal_mode=WAL")
            source.backup(target)  # one step: other connections see the old or the new database
        finally:
            target.close()
    finally:
        source.close()

    restored = SqliteDatabase(str(db_path), pragmas=PRAGMAS)  # not bound to the models: a running
    try:
        # till's own database stays theirs. The backup file itself is the copy of what is migrated.
        migrate(restored)
        with restored.atomic("IMMEDIATE"):
            for name, value in counters:
                restored.execute_sql("INSERT INTO counter (name, value) VALUES (?, ?) ON CONFLICT (name) "
                                     "DO UPDATE SET value = MAX(value, excluded.value)", (name, value))
            if current_identity is not None:
                restored.execute_sql("DELETE FROM sync_identity")
                restored.execute_sql(f"INSERT INTO sync_identity VALUES ({', '.join('?' * len(current_identity))})",
                                     current_identity)
        _check(restored.connection(), "the restored database")
    finally:
        restored.close()
    log.warning("restored the database %s from %s (schema %d)", db_path, backup_path.name, version)
    return replaced
