"""Console benchmark: report latency over 1,000,000 sale lines on PostgreSQL, and page loads.

    .venv/bin/python bench/bench_console.py [--lines 1000000] [--stores 50] [--days 30]

Starts its own durable PostgreSQL (fsync on, as tests/sync/conftest.py starts it), makes
head office's tables, fills the report tables (sale, sale line, payment) with generated
sales ending today (4 lines a sale, 2,000 products in 40 categories, 5 cashiers a store),
and prints:

- the latency of each report (median of 5 runs after one warm-up): the day/store/hour
  report of one day (target: under 500 ms), and the others over one day and over the
  whole range
- the time to move one store's rows to a new time zone's local days and hours
- console page load times: HTTP GET of the reports, sales, catalog, dashboard, stores (each
  store with 2 tills), users, API tokens and audit pages through the server `fleetpos fleet
  serve` runs (waitress, fleet_server/runner.py) with a logged-in session (median of 5)
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

PASSWORD = "bench password 1"


def fill(database, lines: int, stores: int, days: int) -> int:
    """Generated sales in the report tables, in PostgreSQL itself (generate_series)."""
    sales = lines // 4
    first_day = f"(CURRENT_DATE - {days - 1})"
    # sale i: store i %% stores, day i %% days, hour 8..21, four lines of products from 2,000
    # each sale's store, day, hour and products drawn from hashes of its number, so they
    # spread evenly and independently
    database.execute_sql(f"""
        INSERT INTO sale_line_fact (sale_uuid, position, store_id, day, hour, cashier, sku, name, category, qty_milli,
                                    net, tax, revenue, cost)
        SELECT uuid_in(md5(s::text)::cstring)::text, p, 's' || lpad(st::text, 3, '0'), {first_day} + d, h,
               lpad((1001 + c)::text, 4, '0'), 'SKU' || lpad(k::text, 5, '0'), 'Product ' || k, 'cat' || (k %% 40),
               1000 * (1 + p %% 2), n, n * 1300 / 11300, n - n * 1300 / 11300, n * 6 / 10
        FROM generate_series(1, {sales}) AS s,
             LATERAL (SELECT abs(hashtext('st' || s)) %% {stores} AS st, abs(hashtext('d' || s)) %% {days} AS d,
                             8 + abs(hashtext('h' || s)) %% 14 AS h, abs(hashtext('c' || s)) %% 5 AS c) AS sale,
             generate_series(1, 4) AS p,
             LATERAL (SELECT abs(hashtext('k' || s || '-' || p)) %% 2000 AS k) AS product,
             LATERAL (SELECT (100 + (k %% 50) * 10) * (1 + p %% 2) AS n) AS amount
    """)
    database.execute_sql("""
        INSERT INTO sale_fact (uuid, store_id, device_id, receipt_no, cashier, sold_at, day, hour, currency,
                               line_count, subtotal, discount_total, tax_total, total, revenue, cost, member_card)
        SELECT sale_uuid, MIN(store_id), 'till-1', 'till-1-' || lpad(MIN(position)::text, 6, '0'), MIN(cashier),
               MIN(day) + make_interval(hours => MIN(hour), mins => (hashtext(sale_uuid) & 59)), MIN(day), MIN(hour),
               'CNY', COUNT(*), SUM(net), 0, SUM(tax), SUM(net), SUM(revenue), SUM(cost), NULL
        FROM sale_line_fact GROUP BY sale_uuid
    """)
    database.execute_sql("""
        INSERT INTO payment_fact (record_uuid, seq, kind, store_id, day, hour, method, amount)
        SELECT uuid, 0, 'sale', store_id, day, hour,
               (ARRAY['cash', 'card', 'wechat', 'alipay'])[1 + (hashtext(uuid) & 3)], total
        FROM sale_fact
    """)
    database.execute_sql("UPDATE sale_fact SET receipt_no = 'till-1-' || lpad((hashtext(uuid) & 999999)::text, 6, "
                         "'0')")
    database.execute_sql("ANALYZE")
    return sales


def ingest_cost(url: str, batches: int = 10, size: int = 500) -> tuple[float, float]:
    """Records stored per second by ingest's `store_records` (one transaction per batch of
    `size` sale records of 3 lines, as bench_sync.py's tills send them), with the report
    rows and with them left out: what the report tables cost at ingest."""
    import json
    import uuid

    from bench_sync import sale_template
    from fleet_server import ingest
    from fleet_server.db import open_database, write_transaction
    from fleetpos.messages import Record

    database = open_database(url)
    template = json.loads(sale_template())

    def batch():
        records = []
        for _ in range(size):
            payload = {**template, "uuid": str(uuid.uuid4()), "store_id": "s000", "device_id": "till-1",
                       "stock_moves": [{**m, "uuid": str(uuid.uuid4())} for m in template.get("stock_moves", [])]}
            records.append(Record.from_payload(payload))
        return [ingest.Incoming("s000", "till-1", records=records)]

    def rate() -> float:
        spent = 0.0
        for _ in range(batches):
            incoming = batch()
            start = time.perf_counter()
            with database.connection_context(), write_transaction(database):
                ingest.store_records(incoming)
            spent += time.perf_counter() - start
        return batches * size / spent

    with_rows = rate()
    original = ingest.index_records
    ingest.index_records = lambda records: 0
    try:
        without = rate()
    finally:
        ingest.index_records = original
    return with_rows, without


def catalog_file(workdir: Path, products: int = 10_000, stores: int = 20) -> dict[str, float]:
    """Seconds to check (stage), preview and publish a products .xlsx of `products` rows
    for `stores` stores on SQLite, through the API, first as new products then again."""
    import io

    from openpyxl import Workbook

    from fleet_server.app import create_app, open_fleet
    from fleet_server.config import load_fleet_config

    token = "bench-admin-token"
    config = load_fleet_config(environ={}, overrides={"server": {"data_dir": str(workdir / "catalog"),
                                                                 "admin_token": token}})
    app = create_app(ctx=open_fleet(config))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(stores):
        client.post("/api/v1/stores", headers=auth, json={"id": f"s{n:03d}", "name": f"Store {n}",
                                                           "group": f"g{n % 2}"})
    client.put("/api/v1/catalog/tax-classes", headers=auth,
               json={"tax_classes": [{"code": "standard", "name": "VAT 13%", "rate_bp": 1300}]})
    client.put("/api/v1/catalog/categories", headers=auth, json={"categories": [{"code": "drinks", "name": "饮料"}]})
    book = Workbook()
    sheet = book.active
    sheet.title = "products"
    sheet.append(["sku", "name", "price", "tax_class", "category", "barcodes", "cost_price"])
    for i in range(products):
        sheet.append([f"P{i:06d}", f"商品 {i}", "12.50", "standard", "drinks", str(6_900_000_000_000 + i), "8.10"])
    data = io.BytesIO()
    book.save(data)
    figures = {}
    for label in ("new", "again"):
        start = time.perf_counter()
        response = client.post("/api/v1/catalog/imports", headers=auth, content_type="multipart/form-data",
                               data={"kind": "products", "file": (io.BytesIO(data.getvalue()), "catalog.xlsx")})
        figures[f"check ({label})"] = time.perf_counter() - start
        import_id = response.get_json()["id"]
        start = time.perf_counter()
        assert client.get(f"/api/v1/catalog/imports/{import_id}/preview", headers=auth).status_code == 200
        figures[f"preview ({label})"] = time.perf_counter() - start
        start = time.perf_counter()
        assert client.post(f"/api/v1/catalog/imports/{import_id}/publish", headers=auth).status_code == 200
        figures[f"publish ({label})"] = time.perf_counter() - start
    return figures


def timed(call, runs: int = 5) -> float:
    call()  # warm-up: plans and caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--catalog-products", type=int, default=10_000)
    parser.add_argument("--catalog-stores", type=int, default=20)
    args = parser.parse_args()

    import logging
    import signal

    logging.basicConfig(level=logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean up PostgreSQL
    from fleet_server import reports, users
    from fleet_server.app import create_app, open_fleet
    from fleet_server.config import load_fleet_config
    from fleet_server.models import Device, Store, utcnow
    from fleet_server.runner import http_server, run_http_server
    from tests.sync.conftest import PostgresCluster, free_port

    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    cluster = PostgresCluster()
    cluster.start(durable=True)
    stop_http = threading.Event()
    try:
        url = cluster.create_database("bench_console")
        port = free_port()
        config = load_fleet_config(environ={}, overrides={
            "server": {"data_dir": str(workdir), "host": "127.0.0.1", "port": port}, "database": {"url": url},
            "console": {"password_hash_cost": 12, "secure_cookies": False}})
        ctx = open_fleet(config)
        database = ctx.db
        with database.connection_context():
            status = json.dumps({"v": 1, "type": "status", "state": "online", "software_version": "0.1.0",
                                 "catalog_version": 1, "outbox_backlog": 0, "disk_free_bytes": 20_000_000_000,
                                 "heartbeat_seconds": 60, "devices": {
                                     "printer": {"available": True, "backend": "escpos-usb"},
                                     "scanner": {"available": True, "backend": "evdev"}}})
            for n in range(args.stores):
                Store.create(id=f"s{n:03d}", name=f"Store {n}", group=f"g{n % 5}", region=f"r{n % 3}")
                for till in (1, 2):  # the stores pages show each device's health
                    Device.create(store=f"s{n:03d}", device_id=f"till-{till}", username=f"s{n:03d}.till-{till}",
                                  state="active", online=True, last_seen=utcnow(), last_status=status,
                                  catalog_version=1, outbox_backlog=0)
            # an admin: the users and audit pages are in the page loads too
            users.create_user(config.console, "bench", PASSWORD, "admin", actor="bench")
            for n in range(200):
                users.create_api_token(f"script {n}", "viewer")  # audit rows to page through
            start = time.perf_counter()
            with database.atomic():
                sales = fill(database, args.lines, args.stores, args.days)
            fill_seconds = time.perf_counter() - start
            count = database.execute_sql("SELECT COUNT(*) FROM sale_line_fact").fetchone()[0]
            print(f"fleetpos console benchmark: PostgreSQL (fsync on), {count:,} sale lines in {sales:,} sales, "
                  f"{args.stores} stores, {args.days} days (filled in {fill_seconds:.1f} s)", flush=True)

            today = utcnow().date()
            first = (today - timedelta(days=args.days - 1)).isoformat()
            day = today.isoformat()
            results = {}
            cases = [("day_store_hour", day, day, "one day (TARGET < 500 ms)")]
            for name in ("store", "day", "hour", "product", "category", "cashier", "payment"):
                cases.append((name, day, day, "one day"))
            for name in ("day_store_hour", "store", "day", "product", "category", "payment"):
                cases.append((name, first, day, f"{args.days} days"))
            print("\nreports (median of 5):")
            for name, date_from, date_to, label in cases:
                ms = timed(lambda: reports.run(name, date_from=date_from, date_to=date_to))
                rows = len(reports.run(name, date_from=date_from, date_to=date_to)["rows"])
                results[(name, label)] = ms
                print(f"  {name:15s} {label:27s} {ms:8.1f} ms  ({rows} rows)", flush=True)
            one = f"s{min(7, args.stores - 1):03d}"  # one store of the bench's (--stores may be fewer than 8)
            ms = timed(lambda: reports.run("day_store_hour", date_from=day, date_to=day, store=one))
            print(f"  {'day_store_hour':15s} {'one day, one store':27s} {ms:8.1f} ms", flush=True)

            # a store's time zone becomes known (or changes): its report rows move to their new
            # local days and hours in one transaction (as ingest does on the till's status)
            from fleet_server import stores as store_service

            store_lines = database.execute_sql("SELECT COUNT(*) FROM sale_line_fact WHERE store_id = %s", (one,)
                                               ).fetchone()[0]
            samples = []
            for zone in ("Europe/Berlin", "America/New_York", "Asia/Shanghai"):
                start = time.perf_counter()
                with database.atomic():
                    store_service.set_store_settings(one, {"timezone": zone})
                samples.append(time.perf_counter() - start)
            print(f"\nstore time zone change: rebucket one store's {store_lines:,} lines, sales and payments "
                  f"(median of 3): {statistics.median(samples) * 1000:.0f} ms", flush=True)

        server = http_server(config, create_app(ctx=ctx))
        http_thread = threading.Thread(target=run_http_server, args=(server, stop_http), daemon=True)
        http_thread.start()
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(f"{base}/console/login").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        opener.open(f"{base}/console/login", data=urllib.parse.urlencode(
            {"username": "bench", "password": PASSWORD, "csrf_token": csrf}).encode()).read()
        pages = [f"/console/reports?report=day_store_hour&from={day}&to={day}",
                 "/console/reports",
                 f"/console/reports?report=store&from={first}&to={day}",
                 f"/console/reports?report=product&from={day}&to={day}",
                 f"/console/sales?from={day}&to={day}",
                 "/console/catalog",
                 "/console/",
                 "/console/stores",
                 f"/console/stores/{one}",
                 "/console/users",
                 "/console/api-tokens",
                 "/console/audit"]
        print("\nconsole page loads, HTTP GET with a session (median of 5):")
        for path in pages:
            def get(path=path):
                response = opener.open(base + path)
                body = response.read()
                assert response.status == 200 and b"<html" in body
            ms = timed(get)
            print(f"  {path:60s} {ms:8.1f} ms", flush=True)
        stop_http.set()
        http_thread.join(10)
        print("\ningest: sale records (3 lines) stored per second, 10 transactions of 500, no broker:")
        for label, ingest_url in (("SQLite", f"sqlite:///{workdir / 'ingest.sqlite3'}"),
                                  ("PostgreSQL", cluster.create_database("bench_ingest"))):
            with_rows, without = ingest_cost(ingest_url)
            print(f"  {label:10s} with report rows {with_rows:7.0f}/s, without {without:7.0f}/s", flush=True)
        print(f"\ncatalog file of {args.catalog_products:,} products for {args.catalog_stores} stores (SQLite, API):")
        for label, seconds in catalog_file(workdir, args.catalog_products, args.catalog_stores).items():
            print(f"  {label:18s} {seconds:6.2f} s", flush=True)
        target = results[("day_store_hour", "one day (TARGET < 500 ms)")]
        print(f"\nday/store/hour report over {count:,} lines: {target:.1f} ms "
              f"({'meets' if target < 500 else 'MISSES'} the 500 ms target)")
    finally:
        stop_http.set()
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
