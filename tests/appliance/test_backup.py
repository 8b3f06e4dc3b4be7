"""Database backups: one before every migration, on demand while the till runs, and restore."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from appliance import backup
from appliance import db as database
from appliance import schema
from appliance.app import open_till
from appliance.services import payments, sales

from .conftest import COLA, MILK, make_config, sell

LATEST = schema.MIGRATIONS[-1].version


def products(path):
    with sqlite3.connect(path) as connection:
        return sorted(row[0] for row in connection.execute("SELECT sku FROM product"))


def version_of(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]


def old_database(config, version=1):
    """A store's database as an older release left it, with one product."""
    old = database.open_database(config.database_path)
    database.migrate(old, target=version)
    old.execute_sql("INSERT INTO tax_class VALUES ('std', 'VAT', 1300)")
    old.execute_sql("INSERT INTO product (sku, name, unit, price, tax_class_id, active, updated_at) "
                    "VALUES ('P1', '老干妈辣椒酱', 'each', 1050, 'std', 1, '2026-01-01 00:00:00')")
    old.close()


def enroll(ctx, store="demo-store", device="till-1", password="secret-1"):
    ctx.sql("DELETE FROM sync_identity")
    ctx.sql("INSERT INTO sync_identity (id, store_id, device_id, broker_host, broker_port, username, password, "
            "heartbeat_seconds, enrolled_at) VALUES (1, ?, ?, '127.0.0.1', 1883, ?, ?, 30, '2026-11-23 09:00:00')",
            (store, device, f"{store}/{device}", password))


def test_opening_an_old_database_backs_it_up_before_migrating(tmp_path):
    config = make_config(tmp_path)
    old_database(config)
    ctx = open_till(config)
    ctx.db.close()
    [made] = backup.list_backups(backup.backups_dir(config.data_dir))
    assert made.reason == "before-migration-1" and made.schema_version == 1
    assert version_of(made.path) == 1 and products(made.path) == ["P1"]  # the data as it was before
    assert version_of(config.database_path) == LATEST and products(config.database_path) == ["P1"]
    with sqlite3.connect(made.path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert not list(made.path.parent.glob(".*partial"))


def test_a_new_database_and_an_up_to_date_one_make_no_backup(tmp_path):
    config = make_config(tmp_path)
    open_till(config).db.close()
    open_till(config).db.close()
    assert backup.list_backups(backup.backups_dir(config.data_dir)) == []


def test_when_no_backup_can_be_made_the_database_is_not_migrated(tmp_path):
    config = make_config(tmp_path)
    old_database(config)
    (config.data_dir / "backups").write_text("a file where the backups folder should be")
    with pytest.raises(backup.BackupError, match="cannot make the backups folder"):
        open_till(config)
    assert version_of(config.database_path) == 1 and products(config.database_path) == ["P1"]


def test_a_backup_while_a_sale_is_being_written_holds_whole_sales_only(till, cashier, shift):
    sell(till, cashier, [COLA])
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=MILK)
    sale = sales.get_sale(till, sale.uuid)
    directory = backup.backups_dir(till.config.data_dir)
    with till.transaction():  # the completion has written but not committed when the copy is made
        payments.add_payment(till, cashier, sale.uuid, "cash", sale.total)
        made = backup.make_backup(till.config.database_path, directory, reason="manual")
    with sqlite3.connect(made.path) as copy:
        assert copy.execute("SELECT COUNT(*) FROM sale WHERE status = 'completed'").fetchone()[0] == 1
        assert copy.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'sale'").fetchone()[0] == 1
    later = backup.make_backup(till.config.database_path, directory, reason="manual")
    with sqlite3.connect(later.path) as copy:
        assert copy.execute("SELECT COUNT(*) FROM sale WHERE status = 'completed'").fetchone()[0] == 2


def test_only_the_newest_backups_are_kept(till):
    directory = backup.backups_dir(till.config.data_dir)
    stamps = iter(datetime(2026, 11, day, 9, tzinfo=timezone.utc) for day in range(1, 6))
    for _ in range(5):
        backup.make_backup(till.config.database_path, directory, reason="nightly", keep=3, clock=lambda: next(stamps))
    (directory / "notes.txt").write_text("not a backup: left alone")
    kept = backup.list_backups(directory)
    assert [b.made_at.day for b in kept] == [3, 4, 5]
    assert (directory / "notes.txt").exists()
    with pytest.raises(ValueError, match="reason"):
        backup.make_backup(till.config.database_path, directory, reason="../etc")


def test_restore_puts_the_backup_back_keeps_enrollment_and_never_reuses_a_receipt_number(till, cashier, shift):
    enroll(till, password="old-password")
    first = sell(till, cashier, [COLA])
    db_path, directory = till.config.database_path, backup.backups_dir(till.config.data_dir)
    made = backup.make_backup(db_path, directory, reason="manual")
    second = sell(till, cashier, [MILK])
    enroll(till, password="new-password")  # re-enrolled after the backup
    till.sql("UPDATE outbox SET acked_at = '2026-11-23 10:00:00'")
    till.db.close()

    replaced = backup.restore_backup(made.path, db_path, store_id="demo-store", device_id="till-1")
    assert replaced.reason == "before-restore" and replaced.path.exists()
    with sqlite3.connect(replaced.path) as kept:  # what the restore replaced is not lost
        assert kept.execute("SELECT COUNT(*) FROM sale WHERE uuid = ?", (second.uuid,)).fetchone()[0] == 1

    ctx = open_till(till.config, clock=till.clock)
    assert ctx.sql("SELECT receipt_no FROM sale WHERE status = 'completed'").fetchall() == [(first.receipt_no,)]
    assert ctx.sql("SELECT password FROM sync_identity").fetchone()[0] == "new-password"
    from appliance.services import auth

    actor = auth.resolve_session(ctx, auth.login(ctx, "1001", "1234").token)
    third = sell(ctx, actor, [COLA])
    assert third.receipt_no not in (first.receipt_no, second.receipt_no)
    assert int(third.receipt_no.rsplit("-", 1)[1]) == int(second.receipt_no.rsplit("-", 1)[1]) + 1
    ctx.db.close()


def test_restore_refuses_to_drop_records_head_office_has_not_acknowledged(till, cashier, shift):
    db_path, directory = till.config.database_path, backup.backups_dir(till.config.data_dir)
    made = backup.make_backup(db_path, directory, reason="manual")
    sell(till, cashier, [COLA])
    till.db.close()
    before = db_path.read_bytes()
    with pytest.raises(backup.BackupError, match=r"\d+ record\(s\) head office has not acknowledged"):
        backup.restore_backup(made.path, db_path, store_id="demo-store", device_id="till-1")
    assert db_path.read_bytes() == before
    assert len(backup.list_backups(directory)) == 1  # nothing made, nothing changed
    backup.restore_backup(made.path, db_path, store_id="demo-store", device_id="till-1", force=True)
    with sqlite3.connect(db_path) as restored:
        assert restored.execute("SELECT COUNT(*) FROM sale WHERE status = 'completed'").fetchone()[0] == 0


def test_restore_refuses_damaged_foreign_and_newer_backups(till, tmp_path):
    enroll(till)
    db_path, directory = till.config.database_path, backup.backups_dir(till.config.data_dir)
    made = backup.make_backup(db_path, directory, reason="manual")
    till.db.close()
    before = db_path.read_bytes()

    with pytest.raises(backup.BackupError, match="belongs to demo-store/till-1, not this till"):
        backup.restore_backup(made.path, db_path, store_id="other-store", device_id="till-1")
    not_a_db = tmp_path / "receipt.txt"
    not_a_db.write_text("hello " * 2000)
    with pytest.raises(backup.BackupError, match="not a till database backup"):
        backup.restore_backup(not_a_db, db_path, store_id="demo-store", device_id="till-1")
    with pytest.raises(backup.BackupError, match="no backup file"):
        backup.restore_backup(tmp_path / "missing.sqlite3", db_path, store_id="demo-store", device_id="till-1")
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(made.path.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute("INSERT INTO schema_version VALUES (999, 'future', datetime('now'))")
    with pytest.raises(backup.BackupError, match="newer than this release"):
        backup.restore_backup(newer, db_path, store_id="demo-store", device_id="till-1")
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(made.path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # scribble over b-tree pages
        data[offset + 8:offset + 200] = os.urandom(192)
    damaged.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError):
        backup.restore_backup(damaged, db_path, store_id="demo-store", device_id="till-1")
    assert db_path.read_bytes() == before
    assert len(backup.list_backups(directory)) == 1


def test_restore_of_an_old_release_s_backup_migrates_it(tmp_path):
    config = make_config(tmp_path)
    old_database(config)
    open_till(config).db.close()  # migrates, leaving the v1 copy in backups/
    [v1] = backup.list_backups(backup.backups_dir(config.data_dir))
    backup.restore_backup(v1.path, config.database_path, store_id="demo-store", device_id="till-1")
    assert version_of(config.database_path) == LATEST and products(config.database_path) == ["P1"]


def test_the_backup_and_restore_commands(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config_file = tmp_path / "till.toml"
    config_file.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[server]\nport = {port}\n')
    env = {**os.environ, "FLEETPOS_CONFIG": str(config_file)}

    def fleetpos(*args, check=True):
        return subprocess.run([sys.executable, "-m", "fleetpos.cli", *args], env=env, capture_output=True,
                              text=True, timeout=60, check=check)

    fleetpos("init-db")
    path = fleetpos("backup").stdout.strip().splitlines()[-1]  # after the log lines (stdout, journald)
    assert path.endswith("-manual.sqlite3") and os.path.exists(path)
    assert path in fleetpos("backup", "--list").stdout
    listener.listen()  # as if the till were running
    running = fleetpos("restore", path, check=False)
    assert running.returncode != 0 and f"a till is running on 127.0.0.1:{port}" in running.stderr
    listener.close()
    done = fleetpos("restore", path)
    assert "restored" in done.stdout and "before-restore" in done.stdout
    refused = fleetpos("restore", str(tmp_path / "nope.sqlite3"), check=False)
    assert refused.returncode != 0 and "error: no backup file" in refused.stderr
