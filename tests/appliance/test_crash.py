"""Pull the plug: a process completing sales is SIGKILLed at random moments.

After every kill the database must hold each sale wholly (lines, payments, stock
moves, audit entry, outbox row) or not at all, and receipt numbers never repeat or skip.
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import CHIPS, COLA, MILK, make_config, seed

WORKER = Path(__file__).with_name("crash_worker.py")
ROUNDS = 8


def check_consistent(path):
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        completed = db.execute("SELECT uuid, receipt_no, total, rounding, paid FROM sale WHERE status = 'completed'").fetchall()
        for uuid, receipt_no, total, rounding, paid in completed:
            assert receipt_no
            lines = db.execute("SELECT COUNT(*), SUM(net) FROM sale_line WHERE sale_id = ?", (uuid,)).fetchone()
            assert lines[0] >= 1 and lines[1] == total
            pay = db.execute("SELECT SUM(amount) FROM payment WHERE sale_id = ?", (uuid,)).fetchone()[0]
            assert pay == paid == total + rounding
            moves = db.execute("SELECT COUNT(*) FROM stock_move WHERE reference = ?", (uuid,)).fetchone()[0]
            assert moves == lines[0]
            assert db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'sale' AND record_uuid = ?",
                              (uuid,)).fetchone()[0] == 1
            assert db.execute("SELECT COUNT(*) FROM audit_entry WHERE action = 'sale.complete' AND subject = ?",
                              (uuid,)).fetchone()[0] == 1
        # nothing of a sale that did not complete leaked out
        assert db.execute("SELECT COUNT(*) FROM outbox o LEFT JOIN sale s ON s.uuid = o.record_uuid "
                          "WHERE o.kind = 'sale' AND (s.status IS NULL OR s.status <> 'completed')").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM stock_move m JOIN sale s ON s.uuid = m.reference "
                          "WHERE s.status <> 'completed'").fetchone()[0] == 0
        numbers = sorted(int(r[0].rsplit("-", 1)[1]) for r in db.execute(
            "SELECT receipt_no FROM sale WHERE receipt_no IS NOT NULL"))
        assert numbers == list(range(1, len(numbers) + 1)), "receipt numbers repeat or skip"
        counter = db.execute("SELECT value FROM counter WHERE name = 'receipt:till-1'").fetchone()
        assert (counter[0] if counter else 0) == len(numbers)
        return len(completed)
    finally:
        db.close()


def test_sigkill_never_leaves_half_a_sale(tmp_path):
    from appliance.app import open_till

    config = make_config(tmp_path)
    till = open_till(config)
    seed(till)
    till.db.close()
    config_path = tmp_path / "till.toml"
    config_path.write_text(f'[data]\ndir = "{config.data.dir}"\n[security]\npin_hash_cost = 4\n')
    seed_value = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed_value)
    completed_before = 0
    for round_no in range(ROUNDS):
        worker = subprocess.Popen([sys.executable, str(WORKER), str(config_path), ",".join([COLA, CHIPS, MILK])],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
            time.sleep(rng.uniform(0.05, 0.5))
            assert worker.poll() is None, f"worker died on its own: {worker.stderr.read()}"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            worker.stdout.close()
            worker.stderr.close()
        completed = check_consistent(config.database_path)
        assert completed >= completed_before, f"seed {seed_value}: completed sales went down"
        completed_before = completed
    assert completed_before > ROUNDS, f"seed {seed_value}: the worker completed too few sales to prove anything"
