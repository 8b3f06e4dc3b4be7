"""Sync benchmark: head-office ingest, backlog drain, catalog change sets and snapshots.

    .venv/bin/python bench/bench_sync.py [--devices 100] [--sales-per-device 100]

Starts its own Mosquitto and a durable PostgreSQL (fsync on), as the tests do, and prints:

- sales ingested per second at head office from simulated devices (each its own broker
  user, publishing real sale records as the agent does), on SQLite and on PostgreSQL,
  one sale per message (a live store) and 50 per message (a store catching up); next to
  what the same broker carries for bare publish/subscribe of the same messages
- the time to drain a 10,000-sale backlog after a reconnect (`fleetpos sync` process)
- the time for a 1,000-price change set to be applied at a store, end to end
- the time for a 100,000-product snapshot to be applied at a new store, end to end
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INGEST_WORKERS = 2
SIM_PROCESSES = 2


# -- simulated devices (run as `bench_sync.py --simulate spec.json`) ---------------------------

def simulate(spec_path: str) -> None:
    """Connect the devices in the spec, wait for 'go' on stdin, publish every message,
    wait for every PUBACK, print the elapsed seconds."""
    from fleetpos.mqtt import BrokerAddress, MqttClient

    spec = json.loads(Path(spec_path).read_text())
    template = spec["template"]
    clients = []
    for device in spec["devices"]:
        client = MqttClient(BrokerAddress("127.0.0.1", spec["port"]), f"bench-{device['username']}",
                            username=device["username"], password=device["password"], max_inflight=200)
        client.start()
        clients.append((client, device))
    for client, _device in clients:
        assert client.connected.wait(30), client.last_connect_error
    payloads = []
    for client, device in clients:
        topic = f"fleetpos/up/{device['store']}/{device['device']}/records"
        texts = [template.replace("@UUID@", str(uuid.uuid4())).replace("@STORE@", device["store"])
                 .replace("@DEVICE@", device["device"]) for _ in range(spec["per_device"])]
        batch = spec["batch"]
        payloads.append((client, topic, ['{"v":1,"type":"records","records":[' + ",".join(texts[i:i + batch]) + "]}"
                                         for i in range(0, len(texts), batch)]))
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()

    def send(client, topic, messages):
        infos = [client.publish(topic, m.encode(), qos=1) for m in messages]
        for info in infos:
            info.wait_for_publish(120)

    threads = [threading.Thread(target=send, args=p) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"done {time.perf_counter() - start:.3f}", flush=True)
    for client, _device in clients:
        client.stop()


def bare_subscriber(port: int, password: str, expected: int) -> None:
    """Count messages on the records topics through a shared subscription, as ingest
    workers receive them, but store nothing."""
    from fleetpos.mqtt import BrokerAddress, MqttClient

    count = 0
    done = threading.Event()
    lock = threading.Lock()

    def on_message(_message):
        nonlocal count
        with lock:
            count += 1

    client = MqttClient(BrokerAddress("127.0.0.1", port), f"bench-bare-{os.getpid()}", username="fleet-server",
                        password=password, max_inflight=1000)
    client.subscribe("$share/bare/fleetpos/up/+/+/records", on_message)
    client.start()
    client.wait_connected(30)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(count, flush=True)
        elif line.strip() == "stop":
            break
    done.set()
    client.stop()


# -- the benchmark ---------------------------------------------------------------------------

def sale_template() -> str:
    """A real sale record from a till (3 lines, card), with placeholders for the ids."""
    from appliance.app import open_till
    from appliance.config import load_config
    from appliance.demo import DEMO_CASHIERS, seed_demo
    from appliance.services import auth, payments, sales, shifts

    directory = tempfile.mkdtemp(prefix="bench-sync-till-")
    ctx = open_till(load_config(environ={}, overrides={"data": {"dir": directory}, "security": {"pin_hash_cost": 4}}))
    seed_demo(ctx)
    code, _name, _role, pin = DEMO_CASHIERS[0]
    actor = auth.resolve_session(ctx, auth.login(ctx, code, pin).token)
    shifts.open_shift(ctx, actor, 0)
    sale = sales.start_sale(ctx, actor)
    for product_id in (1, 2, 7):
        sales.add_item(ctx, actor, sale.uuid, product_id=product_id)
    sale = sales.get_sale(ctx, sale.uuid)
    payments.add_payment(ctx, actor, sale.uuid, "card", sale.total, reference="BENCH")
    payload = ctx.sql("SELECT payload FROM outbox WHERE kind = 'sale'").fetchone()[0]
    ctx.db.close()
    shutil.rmtree(directory, ignore_errors=True)
    return (payload.replace(sale.uuid, "@UUID@").replace('"store_id":"demo-store"', '"store_id":"@STORE@"')
            .replace('"device_id":"till-1"', '"device_id":"@DEVICE@"'))


class Devices:
    """Broker users for N simulated devices, enrolled through head office."""

    def __init__(self, office, count: int):
        from fleet_server import enrollment

        self.devices = []
        stores = max(1, count // 10)
        with office.ctx.db.connection_context():
            for s in range(stores):
                enrollment.create_store(f"bench-{s:03d}", f"bench store {s}")
            for n in range(count):
                store, device = f"bench-{n % stores:03d}", f"till-{n // stores + 1}"
                _d, token, _e = enrollment.issue_token(office.config, store, device)
                result = enrollment.enroll(office.config, office.ctx.key, token)
                self.devices.append({"store": store, "device": device, "username": result.username,
                                     "password": result.password})


def run_simulators(port: int, devices: list, template: str, per_device: int, batch: int, workdir: Path):
    processes = []
    share = (len(devices) + SIM_PROCESSES - 1) // SIM_PROCESSES
    for index in range(SIM_PROCESSES):
        spec = workdir / f"sim-{index}.json"
        spec.write_text(json.dumps({"port": port, "devices": devices[index * share:(index + 1) * share],
                                    "template": template, "per_device": per_device, "batch": batch}))
        processes.append(subprocess.Popen([sys.executable, __file__, "--simulate", str(spec)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True, cwd=ROOT))
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    return processes


def go(processes) -> float:
    start = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    return start


def finish(processes) -> None:
    for process in processes:
        process.stdout.readline()
        process.wait(60)


def ingest_rate(office, devices, template, per_device, batch, workdir) -> tuple[float, int]:
    from fleet_server.models import ReceivedRecord

    with office.ctx.db.connection_context():
        before = ReceivedRecord.select().count()
    expected = before + len(devices) * per_device
    sims = run_simulators(office.broker.port, devices, template, per_device, batch, workdir)
    start = go(sims)
    with office.ctx.db.connection_context():
        while ReceivedRecord.select().count() < expected:
            if time.perf_counter() - start > 180:
                raise RuntimeError("ingest did not finish in 180 s (simulated devices do not resend what the "
                                   "broker dropped)")
            time.sleep(0.02)
    elapsed = time.perf_counter() - start
    finish(sims)
    return (expected - before) / elapsed, len(template)


def bare_rate(broker, devices, template, per_device, batch, workdir) -> float:
    subscribers = [subprocess.Popen([sys.executable, __file__, "--bare", str(broker.port), broker.server_password],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
                   for _ in range(INGEST_WORKERS)]
    for process in subscribers:
        assert process.stdout.readline().strip() == "ready"
    messages = len(devices) * ((per_device + batch - 1) // batch)
    sims = run_simulators(broker.port, devices, template, per_device, batch, workdir)
    start = go(sims)

    def received():
        total = 0
        for process in subscribers:
            process.stdin.write("count\n")
            process.stdin.flush()
            total += int(process.stdout.readline())
        return total

    while received() < messages:
        if time.perf_counter() - start > 300:
            raise RuntimeError("bare pub/sub did not finish in 300 s")
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    finish(sims)
    for process in subscribers:
        process.stdin.write("stop\n")
        process.stdin.flush()
        process.wait(30)
    return len(devices) * per_device / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--sales-per-device", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--snapshot-products", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (databases, broker log)")
    parser.add_argument("--simulate", help=argparse.SUPPRESS)
    parser.add_argument("--bare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulate:
        return simulate(args.simulate)
    if args.bare:
        return bare_subscriber(int(args.bare[0]), args.bare[1], 0)

    import logging
    import signal

    logging.basicConfig(level=logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean up the broker and PostgreSQL
    from tests.sync.conftest import Broker, HeadOffice, PostgresCluster

    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    template = sale_template()
    print(f"fleetpos sync benchmark on {os.cpu_count()} cores; a sale record is {len(template)} bytes; "
          f"{INGEST_WORKERS} ingest worker processes, {SIM_PROCESSES} processes of simulated devices, broker and "
          f"PostgreSQL (fsync on) all on this machine")
    # a queue deep enough for the burst of 100 stores sending at once: what the broker drops
    # the tills would send again, but these simulated devices do not
    broker = Broker(workdir / "broker", "bench-server-password", max_queued=1_000_000)
    broker.start()
    cluster = PostgresCluster()
    cluster.start(durable=True)
    results = {}
    try:
        databases = {"SQLite": f"sqlite:///{workdir / 'fleet.sqlite3'}",
                     "PostgreSQL": cluster.create_database("bench")}
        per = args.sales_per_device
        for name, url in databases.items():
            office = HeadOffice(workdir / f"fleet-{name}", broker, broker.server_password, database_url=url)
            office.start(ingest_workers=0)
            try:
                devices = Devices(office, args.devices).devices
                for _ in range(INGEST_WORKERS):
                    office.start_ingest_process()
                time.sleep(1.5)
                for batch in (1, 50):
                    count = per if batch == 1 else per * 5
                    rate, _size = ingest_rate(office, devices, template, count, batch, workdir)
                    results[(name, batch)] = rate
                    print(f"  ingest {name:10s} {args.devices} devices x {count} sales, {batch:2d} per message: "
                          f"{rate:8.0f} sales/s", flush=True)
                for process in office.ingest_processes:
                    process.terminate()
                    process.wait(10)
                office.ingest_processes.clear()
                if name == "PostgreSQL":
                    for batch in (1, 50):
                        count = per if batch == 1 else per * 5
                        bare = bare_rate(broker, devices, template, count, batch, workdir)
                        results[("bare", batch)] = bare
                        print(f"  bare publish/subscribe, same messages, {batch:2d} per message: "
                              f"{bare:8.0f} sales/s", flush=True)
                    office.start_ingest_process()
                    drain(office, workdir, template, args.backlog, results)
                    price_change(office, workdir, results)
                    snapshot(office, workdir, args.snapshot_products, results)
            finally:
                office.stop()
    finally:
        broker.stop()
        cluster.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def _till(office, workdir: Path, store_id: str):
    from tests.sync.conftest import Till

    with office.ctx.db.connection_context():
        from fleet_server import enrollment

        enrollment.create_store(store_id, store_id)
    till = Till(workdir / f"till-{store_id}", store_id)
    till.enroll(office)
    return till


def drain(office, workdir, template, backlog, results) -> None:
    from appliance.services.records import db_time
    from appliance.models import utcnow

    till = _till(office, workdir, "drain")
    now = db_time(utcnow())
    rows = []
    for _ in range(backlog):
        record = str(uuid.uuid4())
        rows.append(("sale", record, template.replace("@UUID@", record).replace("@STORE@", "drain")
                     .replace("@DEVICE@", "till-1"), now))
    with till.ctx.transaction():
        till.ctx.db.connection().executemany(
            "INSERT INTO outbox (kind, record_uuid, payload, created_at) VALUES (?, ?, ?, ?)", rows)
    office.broker.stop()
    till.start_agent_process(reconnect_max_seconds=1, ack_timeout=15, poll_interval=0.2)  # production settings,
    # but a quick reconnect: the figure is the drain, not the backoff
    time.sleep(1.0)
    office.broker.start()
    start = time.perf_counter()
    while till.backlog():
        if time.perf_counter() - start > 120:
            raise RuntimeError("backlog did not drain in 120 s")
        time.sleep(0.05)
    results["drain"] = time.perf_counter() - start
    print(f"  drain {backlog} sales after a reconnect (fleetpos sync, 50 per message, window 1000): "
          f"{results['drain']:.1f} s", flush=True)
    till.stop()


def price_change(office, workdir, results) -> None:
    skus = [f"P{n:05d}" for n in range(2000)]
    office.call("PUT", "/api/catalog/tax-classes", {"tax_classes": [{"code": "std", "name": "VAT", "rate_bp": 1300}]})
    office.call("PUT", "/api/catalog/products", {"products": [
        {"sku": sku, "name": f"商品 {sku}", "price": 1000, "tax_class": "std"} for sku in skus]})
    till = _till(office, workdir, "prices")
    till.start_agent()
    _wait(lambda: till.catalog_version() == office.version("prices"), 60)
    times = []
    for round_ in range(5):
        start = time.perf_counter()
        versions = office.call("POST", "/api/catalog/prices", {"prices": [
            {"sku": sku, "price": 1001 + round_} for sku in skus[:1000]]})["versions"]
        _wait(lambda: till.catalog_version() == versions["prices"], 30)
        times.append(time.perf_counter() - start)
    assert till.products()[skus[0]]["price"] == 1005
    results["prices"] = times
    print(f"  1,000-price change set, head office API call to applied at the store: median "
          f"{statistics.median(times):.2f} s, max {max(times):.2f} s (5 runs)", flush=True)
    till.stop()


def snapshot(office, workdir, count, results) -> None:
    from appliance.sync.applier import receive
    from fleet_server import catalog
    from tests.sync.conftest import Till

    start = time.perf_counter()
    with office.ctx.db.connection_context():
        for first in range(0, count, 5000):
            catalog.upsert_products(office.ctx.key, {"products": [
                {"sku": f"S{n:06d}", "name": f"商品 {n} product", "price": 100 + n % 9000, "tax_class": "std",
                 "barcodes": [ean13(f"69{n:010d}")]} for n in range(first, min(count, first + 5000))]})
    load = time.perf_counter() - start
    till = _till(office, workdir, "snap")
    start = time.perf_counter()
    till.start_agent()
    _wait(lambda: till.catalog_version() == office.version("snap"), 120)
    end_to_end = time.perf_counter() - start
    products = till.ctx.sql("SELECT COUNT(*) FROM product").fetchone()[0]
    till.stop()
    with office.ctx.db.connection_context():
        start = time.perf_counter()
        version, payload = catalog.snapshot(office.ctx.key, "snap")
        build = time.perf_counter() - start
    fresh = Till(workdir / "till-snap-apply", "snap")
    fresh.ctx.sql("INSERT INTO catalog_key VALUES (?, ?, '2026-01-01 00:00:00')",
                  (office.ctx.key.key_id, office.ctx.key.public_key_b64))
    start = time.perf_counter()
    outcome = receive(fresh.ctx, payload, store_id="snap")
    apply = time.perf_counter() - start
    fresh.stop()
    assert outcome.action == "applied", outcome
    results["snapshot"] = end_to_end
    print(f"  {products:,} products at the store (head office loaded them in {load:.1f} s)")
    print(f"  snapshot end to end (request, build, sign, publish, verify, apply): {end_to_end:.1f} s; "
          f"of which head office builds+signs {build:.1f} s ({len(payload) / 1e6:.1f} MB compressed), "
          f"the till verifies+applies {apply:.1f} s", flush=True)


def ean13(body12: str) -> str:
    from appliance.barcodes import gtin_check_digit

    return body12 + str(gtin_check_digit(body12))


def _wait(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.01)


def report(results, args) -> None:
    print("\nsummary (target in brackets)")
    for batch in (1, 50):
        print(f"  {batch:2d} sale(s)/message: PostgreSQL {results[('PostgreSQL', batch)]:7.0f}/s [>= 2000], "
              f"SQLite {results[('SQLite', batch)]:7.0f}/s, bare pub/sub {results[('bare', batch)]:7.0f}/s")
    print(f"  drain {args.backlog} after reconnect: {results['drain']:.1f} s [<= 30 s]")
    print(f"  1,000-price change set: {max(results['prices']):.2f} s worst of 5 [<= 1 s]")
    print(f"  {args.snapshot_products:,}-product snapshot: {results['snapshot']:.1f} s [<= 10 s]")


if __name__ == "__main__":
    main()
