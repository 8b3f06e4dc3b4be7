"""Sync fixtures: a real Mosquitto and (for ingest) a real PostgreSQL, each started by the
test on a free loopback port with its own files; head office in-process (HTTP server,
publisher, ingest worker threads) or as `fleetpos` processes; tills on temp SQLite files
with their sync agents.

Needs Debian's `mosquitto` and `postgresql` packages (scripts/setup.sh installs them).
Without them the tests are skipped on a developer's machine and fail in CI.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from appliance.app import open_till
from appliance.config import load_config
from appliance.context import TillContext
from appliance.db import PRAGMAS
from appliance.models import MODELS
from appliance.services import auth, payments, sales, shifts
from appliance.sync.agent import SyncAgent, SyncSettings
from appliance.sync.identity import enroll, load_identity
from fleet_server import provisioning
from fleet_server.app import create_app, open_fleet
from fleet_server.config import load_fleet_config
from fleet_server.ingest import IngestWorker
from fleet_server.runner import Publisher

MOSQUITTO = "/usr/sbin/mosquitto"
ADMIN_TOKEN = "test-admin-token"
REPO = Path(__file__).resolve().parents[2]
PIN = "1234"


def _missing(what: str):
    message = f"{what} is not installed (apt-get install mosquitto postgresql; scripts/setup.sh does it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


# -- the broker ---------------------------------------------------------------------

class Broker:
    """Mosquitto with its own config, password and ACL files, on a free loopback port."""

    def __init__(self, directory: Path, server_password: str, *, max_queued: int = 100_000, max_inflight: int = 100,
                 tls: dict | None = None):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.server_password = server_password
        self.port = free_port()
        self.password_file = self.dir / "passwd"
        self.acl_file = self.dir / "acl"
        self.pid_file = self.dir / "mosquitto.pid"
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(provisioning.broker_config(
            port=self.port, data_dir=self.dir, password_file=self.password_file, acl_file=self.acl_file,
            max_queued_messages=max_queued, max_inflight_messages=max_inflight, tls=tls))
        # head office's own user, so head office can connect before any device exists
        self.password_file.write_text(f"fleet-server:{provisioning.hash_password(server_password)}\n")
        self.acl_file.write_text("user fleet-server\n" + "".join(r + "\n" for r in provisioning.SERVER_ACL))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        def listening():
            if self.process.poll() is not None:
                raise AssertionError(f"mosquitto exited: {(self.dir / 'mosquitto.log').read_text()[-2000:]}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for(listening, 10, message="mosquitto to listen")

    def stop(self) -> None:
        """Stop as an operator would (SIGTERM): persistent sessions are saved."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.dir / "mosquitto.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def broker_factory(tmp_path):
    if not os.path.exists(MOSQUITTO):
        _missing("mosquitto")
    made = []

    def make(**kwargs) -> Broker:
        broker = Broker(tmp_path / f"broker{len(made)}", secrets.token_urlsafe(16), **kwargs)
        made.append(broker)
        broker.start()
        return broker

    yield make
    for broker in made:
        broker.stop()


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


# -- PostgreSQL -----------------------------------------------------------------------

class PostgresCluster:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            _missing("postgresql")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="fleetpos-pg-"))
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = "postgres"
            owner = pwd.getpwnam(self.user)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        os.chmod(self.dir, 0o700)
        self.data = self.dir / "data"
        self.run(self.bin / "initdb", "-D", self.data, "-U", "fleetpos", "--auth=trust", "-E", "UTF8", "--no-sync")

    def run(self, *command, check=True):
        command = [str(c) for c in command]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self, *, durable: bool = False) -> None:
        settings = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:  # tests: crash safety of PostgreSQL itself is not what they check
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.run(self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "log", "-o", settings, "-w", "start")

    def stop(self) -> None:
        self.run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="fleetpos", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return f"postgresql://fleetpos@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Head office's DATABASE_URL: each ingest test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.sqlite3'}"
    cluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"t_{secrets.token_hex(6)}")


# -- head office ------------------------------------------------------------------------

class HeadOffice:
    """Head office against `broker`: HTTP API on a loopback port, the catalog publisher and
    ingest workers on threads, or ingest as a separate `fleetpos fleet ingest` process."""

    def __init__(self, directory: Path, broker: Broker, server_password: str, *, database_url: str | None = None,
                 replay_limit: int = 100, tls_ca: str | None = None):
        self.dir = directory
        self.broker = broker
        self.http_port = free_port()
        sections = {
            "server": {"host": "127.0.0.1", "port": self.http_port, "data_dir": str(directory),
                       "admin_token": ADMIN_TOKEN},
            "database": {"url": database_url or f"sqlite:///{directory / 'fleet.sqlite3'}"},
            "mqtt": {"host": "127.0.0.1", "port": broker.port, "username": "fleet-server",
                     "password": server_password},
            "devices": {"broker_host": "127.0.0.1", "broker_port": broker.port, "heartbeat_seconds": 1},
            "broker": {"password_file": str(broker.password_file), "acl_file": str(broker.acl_file),
                       "pid_file": str(broker.pid_file)},
            "catalog": {"replay_limit": replay_limit, "pin_hash_cost": 4},
            "ingest": {"batch_max": 500},
        }
        if tls_ca:
            sections["mqtt"]["ca_file"] = tls_ca
            sections["devices"].update({"broker_tls": True, "ca_file": tls_ca})
        self.config_file = directory / "fleet.toml"
        directory.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(_toml(sections))
        self.config = load_fleet_config(self.config_file, environ={})
        self.ctx = open_fleet(self.config)
        self.app = create_app(ctx=self.ctx)
        self.client = self.app.test_client()
        self._threads: list[tuple[threading.Event, threading.Thread, object]] = []
        self.ingest_processes: list[subprocess.Popen] = []
        self.publisher: Publisher | None = None
        self._http = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *, ingest_workers: int = 1) -> "HeadOffice":
        from werkzeug.serving import make_server

        self._http = make_server("127.0.0.1", self.http_port, self.app, threaded=True)
        thread = threading.Thread(target=self._http.serve_forever, name="test-fleet-http", daemon=True)
        thread.start()
        self.publisher = Publisher(self.ctx, poll_interval=0.05)
        self.publisher.start()
        for index in range(ingest_workers):
            self.start_ingest_thread(index)
        wait_for(lambda: self.publisher.client.wait_connected(0.1), message="head office to connect")
        return self

    def start_ingest_thread(self, index: int = 0) -> IngestWorker:
        worker = IngestWorker(self.config, name=f"test-ingest-{index}-{secrets.token_hex(3)}")
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"test-ingest-{index}", daemon=True)
        thread.start()
        self._threads.append((stop, thread, worker))
        wait_for(lambda: worker.client.wait_connected(0.1), message="ingest worker to connect")
        return worker

    def stop_ingest_threads(self) -> None:
        for stop, thread, _worker in self._threads:
            stop.set()
        for stop, thread, _worker in self._threads:
            thread.join(10)
        self._threads.clear()

    def start_ingest_process(self) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "--log-level", "WARNING", "fleet",
                                    "ingest", "--workers", "1", "--config", str(self.config_file)],
                                   cwd=REPO, env=_child_env())
        self.ingest_processes.append(process)
        return process

    def stop(self) -> None:
        self.stop_ingest_threads()
        for process in self.ingest_processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.publisher:
            self.publisher.stop()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
        self.ctx.db.close()

    # -- admin calls (the JSON API) --

    def call(self, method: str, path: str, body=None, expect: int = 200):
        response = self.client.open(path, method=method, json=body,
                                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == expect, (response.status_code, response.get_json())
        return response.get_json()

    def add_store(self, store_id: str, name: str | None = None):
        return self.call("POST", "/api/stores", {"id": store_id, "name": name or store_id}, expect=201)

    def token(self, store_id: str, device_id: str) -> str:
        return self.call("POST", f"/api/stores/{store_id}/devices", {"device_id": device_id}, expect=201)["token"]

    def version(self, store_id: str) -> int:
        return self.call("GET", f"/api/stores/{store_id}")["store"]["catalog_version"]

    def records(self, store_id: str | None = None) -> list:
        from fleet_server.models import ReceivedRecord

        with self.ctx.db.connection_context():
            query = ReceivedRecord.select()
            if store_id:
                query = query.where(ReceivedRecord.store_id == store_id)
            return list(query)

    def seed_catalog(self, store_ids=()):
        self.call("PUT", "/api/catalog/tax-classes", {"tax_classes": [
            {"code": "standard", "name": "VAT 13%", "rate_bp": 1300},
            {"code": "reduced", "name": "VAT 9%", "rate_bp": 900}]})
        self.call("PUT", "/api/catalog/categories", {"categories": [{"code": "drinks", "name": "饮料"}]})
        self.call("PUT", "/api/catalog/products", {"products": [
            {"sku": "COLA", "name": "可口可乐 330ml", "price": 300, "tax_class": "standard", "category": "drinks",
             "barcodes": [COLA]},
            {"sku": "MILK", "name": "蒙牛纯牛奶", "price": 380, "tax_class": "reduced", "barcodes": [MILK]},
            {"sku": "CHIPS", "name": "Lay's chips 70g", "price": 750, "tax_class": "standard",
             "barcodes": [CHIPS]}]})
        for store_id in store_ids:
            self.call("PUT", f"/api/stores/{store_id}/cashiers", {"cashiers": [
                {"code": "1001", "name": "王芳", "role": "cashier", "pin": PIN},
                {"code": "2001", "name": "李强", "role": "manager", "pin": PIN}]})


def _toml(sections: dict) -> str:
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def fleet_factory(tmp_path, broker_factory):
    made = []

    def make(broker: Broker | None = None, **kwargs) -> HeadOffice:
        broker = broker or broker_factory()
        office = HeadOffice(tmp_path / f"fleet{len(made)}", broker, broker.server_password, **kwargs)
        made.append(office)
        return office

    yield make
    for office in made:
        office.stop()


# -- tills --------------------------------------------------------------------------------

def ean13(body12: str) -> str:
    from appliance.barcodes import gtin_check_digit

    return body12 + str(gtin_check_digit(body12))


COLA = ean13("690123456789")
CHIPS = ean13("690123456790")
MILK = ean13("690123456791")


class Till:
    """A store's till on a temp SQLite file, and its sync agent (a thread here, or the
    `fleetpos sync` process)."""

    def __init__(self, directory: Path, store_id: str, device_id: str = "till-1", **store):
        self.dir = directory
        self.config_file = directory / "till.toml"
        directory.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(_toml({"store": {"id": store_id, **store}, "device": {"id": device_id},
                                           "data": {"dir": str(directory / "data")},
                                           "security": {"pin_hash_cost": 4}}))
        self.config = load_config(self.config_file, environ={})
        self.ctx = open_till(self.config)
        self.agent_thread: tuple[threading.Event, threading.Thread, SyncAgent] | None = None
        self.agent_process: subprocess.Popen | None = None

    @property
    def store_id(self) -> str:
        return self.config.store.id

    def use(self) -> TillContext:
        """Bind the till's models to this till (several tills share one test process)."""
        self.ctx.db.bind(MODELS, bind_refs=False, bind_backrefs=False)
        return self.ctx

    def enroll(self, office: HeadOffice, token: str | None = None):
        return enroll(self.ctx, office.url, token or office.token(self.store_id, self.config.device.id))

    def agent_context(self) -> TillContext:
        """The agent's own connection to the file, as a separate process would have."""
        from peewee import SqliteDatabase

        return TillContext(config=self.config, db=SqliteDatabase(str(self.config.database_path), pragmas=PRAGMAS,
                                                                 check_same_thread=False))

    def start_agent(self, **settings) -> SyncAgent:
        ctx = self.agent_context()
        defaults = dict(poll_interval=0.02, heartbeat_seconds=1, head_grace_seconds=0.3, ack_timeout=3.0,
                        price_check_seconds=0.2, request_retry_seconds=3.0, reconnect_min_seconds=0.1,
                        reconnect_max_seconds=0.5)
        agent = SyncAgent(ctx, load_identity(ctx), SyncSettings(**{**defaults, **settings}))
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), name=f"test-agent-{self.store_id}", daemon=True)
        thread.start()
        self.agent_thread = (stop, thread, agent)
        return agent

    def stop_agent(self) -> None:
        if self.agent_thread:
            stop, thread, _agent = self.agent_thread
            stop.set()
            thread.join(10)
            self.agent_thread = None

    def start_agent_process(self, **settings) -> subprocess.Popen:
        env = _child_env()
        defaults = dict(poll_interval=0.02, ack_timeout=3.0, reconnect_min_seconds=0.1, reconnect_max_seconds=0.5)
        for key, value in {**defaults, **settings}.items():
            env[f"FLEETPOS_SYNC__{key.upper()}"] = str(value)
        self.agent_process = subprocess.Popen(
            [sys.executable, "-m", "fleetpos.cli", "--log-level", "WARNING", "sync", "--config",
             str(self.config_file), "--heartbeat", "1"], cwd=REPO, env=env)
        return self.agent_process

    def stop(self) -> None:
        self.stop_agent()
        if self.agent_process and self.agent_process.poll() is None:
            self.agent_process.terminate()
            try:
                self.agent_process.wait(10)
            except subprocess.TimeoutExpired:
                self.agent_process.kill()
        self.ctx.db.close()

    # -- what the till knows --

    def catalog_version(self) -> int:
        return self.ctx.sql("SELECT version FROM catalog_state").fetchone()[0]

    def outbox(self) -> list[tuple]:
        return self.ctx.sql("SELECT kind, record_uuid, payload, acked_at FROM outbox ORDER BY seq").fetchall()

    def backlog(self) -> int:
        return self.ctx.sql("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]

    def products(self) -> dict:
        barcodes = {}
        for code, sku in self.ctx.sql("SELECT b.code, p.sku FROM barcode b JOIN product p ON p.id = b.product_id"):
            barcodes.setdefault(sku, []).append(code)
        return {sku: {"name": name, "price": price, "active": bool(active), "tax_class": tax,
                      "barcodes": sorted(barcodes.get(sku, []))}
                for sku, name, price, active, tax in self.ctx.sql(
                    "SELECT sku, name, price, active, tax_class_id FROM product")}

    # -- selling (the till's own services) --

    def login(self, code: str = "1001") -> auth.Actor:
        ctx = self.use()
        return auth.resolve_session(ctx, auth.login(ctx, code, PIN).token)

    def open_shift(self, actor) -> None:
        shifts.open_shift(self.use(), actor, 10_000)

    def close_shift(self, actor) -> dict:
        ctx = self.use()
        expected = shifts.x_report(ctx, actor)["expected"]
        return shifts.close_shift(ctx, actor, {method: amount for method, amount in expected.items()})

    def sell(self, actor, codes) -> object:
        ctx = self.use()
        sale = sales.start_sale(ctx, actor)
        for code in codes:
            sales.add_item(ctx, actor, sale.uuid, code=code)
        sale = sales.get_sale(ctx, sale.uuid)
        sale, _payment = payments.add_payment(ctx, actor, sale.uuid, "card", sale.total, reference="T1")
        return sale


@pytest.fixture
def till_factory(tmp_path):
    made = []

    def make(store_id: str, device_id: str = "till-1", **store) -> Till:
        """A till of `store_id`; `store`: more of its `[store]` settings (timezone=...)."""
        till = Till(tmp_path / f"till{len(made)}-{store_id}-{device_id}", store_id, device_id, **store)
        made.append(till)
        return till

    yield make
    for till in made:
        till.stop()

