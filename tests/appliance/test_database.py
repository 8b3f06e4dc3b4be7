"""The database file: durability settings, migrations, and the rules triggers enforce."""

import sqlite3

import pytest
from peewee import IntegrityError

from appliance import db as database
from appliance import schema
from appliance.models import MODELS, AuditEntry, Product, Shift
from appliance.services import catalog, payments, sales, shifts

from .conftest import COLA


def test_wal_full_sync_and_foreign_keys_are_on(till):
    assert till.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert till.db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert till.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_models_match_the_schema_the_migrations_build(till):
    for model in MODELS:
        table = model._meta.table_name
        columns = {row[1] for row in till.db.execute_sql(f"PRAGMA table_info({table})")}
        assert columns, f"table {table} missing"
        fields = {field.column_name for field in model._meta.sorted_fields}
        assert fields == columns, f"{table}: model {sorted(fields ^ columns)} differ"


def test_migrating_an_old_database_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = database.open_database(path)
    assert database.migrate(old, target=1) == 1
    old.execute_sql("INSERT INTO tax_class VALUES ('std', 'VAT', 1300)")
    old.execute_sql("INSERT INTO product (sku, name, unit, price, tax_class_id, active, updated_at) "
                    "VALUES ('P1', '老干妈辣椒酱', 'each', 1050, 'std', 1, '2026-01-01 00:00:00')")
    old.close()

    reopened = database.open_database(path)
    backups = []
    assert database.migrate(reopened, before_migrate=backups.append) == schema.MIGRATIONS[-1].version
    assert backups == [1]
    assert Product.get(Product.sku == "P1").price == 1050
    found = reopened.execute_sql("SELECT rowid FROM product_search WHERE product_search MATCH '\"辣椒酱\"'").fetchall()
    assert len(found) == 1  # the index was built over existing rows
    assert database.migrate(reopened) == schema.MIGRATIONS[-1].version  # nothing left to do
    reopened.close()


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    db = database.open_database(path)
    database.migrate(db)
    db.execute_sql("INSERT INTO schema_version VALUES (999, 'future', datetime('now'))")
    with pytest.raises(database.SchemaTooNew, match="newer fleetpos"):
        database.migrate(db)
    db.close()


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "t.sqlite3"
    db = database.open_database(path)
    database.migrate(db, target=1)
    broken = schema.Migration(2, "broken", ("CREATE TABLE halfway (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.MIGRATIONS[0], broken))
    with pytest.raises(Exception):
        database.migrate(db)
    assert database.schema_version(db) == 1
    assert not db.table_exists("halfway")
    db.close()


def test_completed_sale_closed_shift_and_audit_log_cannot_be_rewritten(till, cashier, shift):
    sale = sales.start_sale(till, cashier)
    sales.add_item(till, cashier, sale.uuid, code=COLA)
    payments.add_payment(till, cashier, sale.uuid, "cash", 500)
    for statement in (f"UPDATE sale SET total = 1 WHERE uuid = '{sale.uuid}'",
                      f"DELETE FROM sale_line WHERE sale_id = '{sale.uuid}'",
                      f"UPDATE payment SET amount = 1 WHERE sale_id = '{sale.uuid}'",
                      "UPDATE audit_entry SET action = 'nothing'",
                      "DELETE FROM audit_entry"):
        with pytest.raises((IntegrityError, sqlite3.IntegrityError)):
            till.db.execute_sql(statement)
    shifts.close_shift(till, cashier, {"cash": 10_300})
    with pytest.raises(IntegrityError):
        till.db.execute_sql(f"UPDATE shift SET opening_float = 0 WHERE uuid = '{shift.uuid}'")
    assert Shift.get_by_id(shift.uuid).opening_float == 10_000
    assert AuditEntry.select().count() > 0


def test_healthz_reports_a_read_only_database(till, tmp_path):
    ok, detail = database.check_writable(till.db)
    assert ok and detail == "writable"
    from peewee import SqliteDatabase

    read_only = SqliteDatabase(str(till.config.database_path), pragmas={"query_only": 1})
    ok, detail = database.check_writable(read_only)
    assert not ok and "readonly" in detail.lower().replace(" ", "").replace("-", "")
    read_only.close()


def test_the_status_bars_outbox_queries_use_an_index_not_a_scan(till):
    # the outbox is never pruned: the kiosk polls these every few seconds
    from kiosk_ui.status import STATUS_OUTBOX_QUERIES

    for query in STATUS_OUTBOX_QUERIES:
        plan = " ".join(row[3] for row in till.db.execute_sql(f"EXPLAIN QUERY PLAN {query}").fetchall())
        assert "USING" in plan and "INDEX" in plan, (query, plan)
