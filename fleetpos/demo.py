"""`fleetpos demo`: the whole demo fleet on one machine, all on loopback.

Mosquitto (its own config, password file and ACL), head office (`fleetpos fleet serve`
with the catalog publisher, `fleetpos fleet ingest`), and one store whose till enrolls
with a one-time token, receives the demo catalog and cashiers from head office, and runs
with simulated hardware (`fleetpos till`, with its kiosk pages) beside its sync agent
(`fleetpos sync`). Everything lives under one data directory; a second run reuses it.
The secrets it writes there (head office's broker password, admin token and the console
user `admin`'s password, in fleet/demo-secrets.json) are made for this demo directory only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
STORE_ID, DEVICE_ID = "demo-store", "till-1"


def _toml(sections: dict) -> str:
    out = []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out.extend(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items())
        out.append("")
    return "\n".join(out)


def _wait_port(port: int, what: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"demo: {what} exited with status {process.returncode}; see the log above")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: {what} did not start listening on 127.0.0.1:{port}")
        time.sleep(0.2)


class Fleet:
    def __init__(self, root: Path, till_port: int, fleet_port: int, mqtt_port: int):
        self.root = root
        self.till_port, self.fleet_port, self.mqtt_port = till_port, fleet_port, mqtt_port
        self.fleet_dir, self.broker_dir, self.store_dir = root / "fleet", root / "broker", root / "store"
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.fleet_config = self.fleet_dir / "fleet.toml"
        self.till_config = self.store_dir / "till.toml"
        self.secrets_file = self.fleet_dir / "demo-secrets.json"

    # -- files

    def write_configs(self) -> dict:
        for directory in (self.fleet_dir, self.broker_dir, self.store_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if self.secrets_file.exists():
            demo_secrets = json.loads(self.secrets_file.read_text())
        else:  # made for this demo directory only
            demo_secrets = {"mqtt_password": secrets.token_urlsafe(18), "admin_token": secrets.token_urlsafe(24)}
        if "console_password" not in demo_secrets:  # a demo directory from before the console gets one too
            demo_secrets["console_user"] = "admin"
            demo_secrets["console_password"] = secrets.token_urlsafe(12)
        self.secrets_file.write_text(json.dumps(demo_secrets))
        self.secrets_file.chmod(0o600)
        self.fleet_config.write_text(_toml({
            "server": {"host": "127.0.0.1", "port": self.fleet_port, "data_dir": str(self.fleet_dir),
                       "admin_token": demo_secrets["admin_token"]},
            "database": {"url": f"sqlite:///{self.fleet_dir / 'fleet.sqlite3'}"},
            "mqtt": {"host": "127.0.0.1", "port": self.mqtt_port, "username": "fleet-server",
                     "password": demo_secrets["mqtt_password"]},
            "devices": {"broker_host": "127.0.0.1", "broker_port": self.mqtt_port, "heartbeat_seconds": 10},
            "broker": {"password_file": str(self.broker_dir / "passwd"), "acl_file": str(self.broker_dir / "acl"),
                       "pid_file": str(self.broker_dir / "mosquitto.pid")},
            # the demo serves plain HTTP on loopback: the session cookie cannot be HTTPS-only
            "console": {"secure_cookies": False},
        }), encoding="utf-8")
        from fleet_server import provisioning

        (self.broker_dir / "mosquitto.conf").write_text(provisioning.broker_config(
            port=self.mqtt_port, data_dir=self.broker_dir, password_file=self.broker_dir / "passwd",
            acl_file=self.broker_dir / "acl"))
        hardware = {f"hardware.{kind}": {"backend": "simulator"}
                    for kind in ("scanner", "printer", "drawer", "display", "buzzer")}
        self.till_config.write_text(_toml({
            "store": {"id": STORE_ID, "name": "演示门店 Demo Store", "currency": "CNY", "locale": "zh-CN",
                      "timezone": "Asia/Shanghai", "tax_mode": "inclusive"},
            "device": {"id": DEVICE_ID},
            "data": {"dir": str(self.store_dir / "data")},
            "server": {"host": "127.0.0.1", "port": self.till_port},
            **hardware,
        }), encoding="utf-8")
        return demo_secrets

    # -- processes

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        command = [MOSQUITTO, *args] if name == "broker" else [sys.executable, "-m", "fleetpos.cli", *args]
        # Its own process group: a terminal's Ctrl-C reaches the demo alone, which stops the
        # parts in order (a part that saw the Ctrl-C too could exit first and be reported as
        # a part that stopped by itself, ending the demo with an error).
        process = subprocess.Popen(command, process_group=0)
        self.processes.append((name, process))
        return process

    def run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "fleetpos.cli", *args])
        if result.returncode:
            raise SystemExit(f"demo: `fleetpos {' '.join(args)}` failed")

    def api(self, method: str, path: str, token: str, body=None) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.fleet_port}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def seed_head_office(self, token: str) -> None:
        from appliance.demo import CATEGORIES, DEMO_CASHIERS, PRODUCTS, TAX_CLASSES, ean13

        self.api("PUT", "/api/catalog/tax-classes", token, {"tax_classes": [
            {"code": code, "name": name, "rate_bp": rate} for code, name, rate in TAX_CLASSES]})
        self.api("PUT", "/api/catalog/categories", token, {"categories": [
            {"code": code, "name": name} for code, name in CATEGORIES]})
        self.api("PUT", "/api/catalog/products", token, {"products": [
            {"sku": sku, "name": name, "category": category, "unit": unit, "price": price, "cost_price": cost,
             "tax_class": tax, "scale_code": scale,
             "barcodes": [] if unit == "kg" or scale else [ean13(f"69{index:010d}")]}
            for index, (sku, name, category, unit, price, cost, tax, scale) in enumerate(PRODUCTS)]})
        self.api("POST", "/api/v1/stores", token, {"id": STORE_ID, "name": "演示门店 Demo Store", "region": "east",
                                                  "group": "demo"})
        self.api("PUT", f"/api/stores/{STORE_ID}/cashiers", token, {"cashiers": [
            {"code": code, "name": name, "role": role, "pin": pin} for code, name, role, pin in DEMO_CASHIERS]})

    def ensure_console_user(self, demo_secrets: dict) -> None:
        """The demo's console admin (password in demo-secrets.json), made once."""
        from fleet_server import users
        from fleet_server.app import open_fleet
        from fleet_server.config import load_fleet_config
        from fleet_server.models import User

        config = load_fleet_config(self.fleet_config, environ={})
        ctx = open_fleet(config)
        try:
            with ctx.db.connection_context():
                if not User.select().where(User.username == demo_secrets["console_user"]).exists():
                    users.create_user(config.console, demo_secrets["console_user"], demo_secrets["console_password"],
                                      "admin", "Demo admin", actor="fleetpos demo")
        finally:
            ctx.db.close()

    def start(self) -> None:
        demo_secrets = self.write_configs()
        first_run = not (self.fleet_dir / "fleet.sqlite3").exists()
        self.run("--log-level", "WARNING", "fleet", "init", "--config", str(self.fleet_config))
        self.ensure_console_user(demo_secrets)
        broker = self.spawn("broker", "-c", str(self.broker_dir / "mosquitto.conf"))
        _wait_port(self.mqtt_port, "mosquitto", broker)
        serve = self.spawn("fleet", "fleet", "serve", "--config", str(self.fleet_config))
        self.spawn("ingest", "fleet", "ingest", "--config", str(self.fleet_config))
        _wait_port(self.fleet_port, "fleet server", serve)
        enrolled = (self.store_dir / "data" / "enrolled").exists()
        if first_run:
            self.seed_head_office(demo_secrets["admin_token"])
        if not enrolled:
            token = self.api("POST", f"/api/stores/{STORE_ID}/devices", demo_secrets["admin_token"],
                             {"device_id": DEVICE_ID})["token"]
            self.run("enroll", "--config", str(self.till_config), "--url", f"http://127.0.0.1:{self.fleet_port}",
                     "--token", token)
            (self.store_dir / "data" / "enrolled").write_text("yes\n")
        till = self.spawn("till", "till", "--config", str(self.till_config))
        self.spawn("sync", "sync", "--config", str(self.till_config))
        _wait_port(self.till_port, "till", till)

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for _name, process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def watch(self) -> None:
        """Until Ctrl-C (or SIGTERM, or the terminal closing): say so if a part stops."""
        stopping = []
        for number in (signal.SIGTERM, signal.SIGHUP):  # the parts are in their own groups: stop them
            signal.signal(number, lambda *_: stopping.append(True))
        try:
            while not stopping:
                for name, process in self.processes:
                    if process.poll() is not None:
                        raise SystemExit(f"demo: {name} stopped (status {process.returncode})")
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


def run_demo(root: Path, *, till_port: int, fleet_port: int, mqtt_port: int) -> None:
    from appliance.demo import DEMO_CASHIERS

    if not os.path.exists(MOSQUITTO):
        raise SystemExit("demo: mosquitto is not installed (scripts/setup.sh installs it)")
    fleet = Fleet(root.resolve(), till_port, fleet_port, mqtt_port)
    try:
        fleet.start()
        demo_secrets = json.loads(fleet.secrets_file.read_text())
        print(f"\nfleetpos demo is up (data in {fleet.root}):\n"
              f"  kiosk (till {STORE_ID}/{DEVICE_ID}):  http://127.0.0.1:{till_port}/\n"
              f"  customer display:                 http://127.0.0.1:{till_port}/display\n"
              f"  head office console:              http://127.0.0.1:{fleet_port}/console/ "
              f"(user {demo_secrets['console_user']}, password {demo_secrets['console_password']}; "
              f"kept in {fleet.secrets_file})\n"
              f"  head office API:                  http://127.0.0.1:{fleet_port}/api/v1/openapi.json "
              f"(admin token in {fleet.secrets_file})\n"
              f"  MQTT broker:                      127.0.0.1:{mqtt_port}\n"
              "  demo cashiers (throwaway demo PINs): "
              + ", ".join(f"{code} {role} PIN {pin}" for code, _name, role, pin in DEMO_CASHIERS)
              + "\nCtrl-C stops everything.", flush=True)
        fleet.watch()
    finally:
        fleet.stop()
