"""Day report over 50,000 sales on the till. Prints its figures.

    .venv/bin/python bench/bench_reports.py [--sales 50000]

The sales are written straight into the till's tables (three lines and one payment
each, spread over the store's trading hours of one day, with refunds of 1 %), so the
benchmark measures the report, not ringing up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app import open_till  # noqa: E402
from appliance.config import load_config  # noqa: E402
from appliance.demo import generate_catalog  # noqa: E402
from appliance.services import auth, reports  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fleetpos-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp")))
    till = open_till(load_config(environ={}, overrides={"data": {"dir": str(workdir)}}))
    generate_catalog(till, 5000)
    auth.create_cashier(till, None, code="1001", name="Bench", role="manager", pin="1234")
    rng = random.Random(3)
    day = date(2026, 11, 23)
    start = datetime(2026, 11, 23, 0, 0)  # 08:00 Shanghai time, in UTC
    products = till.sql("SELECT id, sku, name, price, cost_price, category_id FROM product").fetchall()
    shift = str(uuid.uuid4())
    t0 = time.perf_counter()
    with till.transaction():
        till.sql("INSERT INTO shift (uuid, device_id, number, opened_by_id, opened_at, opening_float, status) "
                 "VALUES (?, 'till-1', 1, 1, ?, 0, 'open')", (shift, str(start)))
        sales, lines, payments, refunds = [], [], [], []
        for n in range(args.sales):
            sale_id = str(uuid.uuid4())
            at = str(start + timedelta(seconds=rng.randrange(14 * 3600)))
            total = tax = 0
            for position in range(1, 4):
                pid, sku, name, price, cost, category = rng.choice(products)
                qty = rng.randint(1, 3) * 1000
                gross = price * qty // 1000
                line_tax = gross * 1300 // 11300
                total += gross
                tax += line_tax
                lines.append((sale_id, position, pid, sku, name, "each", qty, price, price, "catalog", "standard",
                              1300, cost, gross, gross, line_tax, category))
            sales.append((sale_id, "till-1", "parked", 1, shift, f"till-1-{n + 1:06d}", "CNY", "inclusive",
                          total, tax, total, total, at, at, at))
            payments.append((str(uuid.uuid4()), sale_id, shift, rng.choice(["cash", "card", "wechat", "alipay"]),
                             total, total, 1, at))
        db = till.db.connection()
        db.executemany("INSERT INTO sale (uuid, device_id, status, cashier_id, shift_id, receipt_no, currency, tax_mode, "
                       "subtotal, tax_total, total, paid, created_at, updated_at, completed_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", sales)
        db.executemany("INSERT INTO sale_line (sale_id, position, product_id, sku, name, unit, qty_milli, list_price, "
                       "unit_price, price_source, tax_class, tax_rate_bp, cost_price, gross, net, tax, category_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
        db.executemany("INSERT INTO payment (uuid, sale_id, shift_id, method, amount, tendered, cashier_id, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", payments)
        # lines and payments go in while the sales are parked; completed sales are frozen by triggers
        db.execute("UPDATE sale SET status = 'completed' WHERE status = 'parked'")
    print(f"setup: {args.sales} sales, {len(lines)} lines written in {time.perf_counter() - t0:.1f} s")
    samples = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        report = reports.day_report(till, day)
        samples.append(time.perf_counter() - t0)
    assert report["summary"]["sales_count"] == args.sales
    print(f"report: day report over {args.sales} sales ({len(lines)} lines): median "
          f"{statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms over {args.runs} runs "
          f"(target <= 300 ms)")


if __name__ == "__main__":
    main()
