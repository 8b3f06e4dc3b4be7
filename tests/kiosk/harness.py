"""Run a real till (`fleetpos till` in a subprocess) and a real headless Chromium.

Used by the browser tests and by bench/bench_kiosk.py. Chromium is Debian's package
(`/usr/bin/chromium`), driven by Playwright's Python package; Playwright's own browser
downloads are not used.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from appliance.app import open_till
from appliance.config import load_config

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FLEETPOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SIMULATED_DEVICES = ("scanner", "printer", "drawer", "display", "buzzer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_chromium(playwright):
    """Headless Chromium with a fresh temporary profile (Playwright makes one per launch)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class TillProcess:
    """A till on a free loopback port with its own data dir, seeded by `seed(ctx)`."""

    def __init__(self, directory: Path, seed, *, store: dict | None = None, security: dict | None = None,
                 kiosk: dict | None = None, simulated: bool = False):
        """`simulated`: every device is a simulator and `/_sim/...` drives them
        (tests/kiosk/sim_till.py); otherwise the till runs as `fleetpos till` with no devices."""
        self.directory = directory
        self.simulated = simulated
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = directory / "till.toml"
        lines = [f'[data]\ndir = "{directory / "data"}"', f"[server]\nhost = \"127.0.0.1\"\nport = {self.port}"]
        kiosk = {"enrollment_file": str(directory / "enrollment.json"), **(kiosk or {})}
        for section, values in (("store", store or {}), ("security", {"pin_hash_cost": 4, **(security or {})}),
                                ("kiosk", kiosk)):
            lines.append(f"[{section}]\n" + "\n".join(f"{key} = {json.dumps(value, ensure_ascii=False)}"
                                                      for key, value in values.items()))
        if simulated:
            lines += [f'[hardware.{kind}]\nbackend = "simulator"' for kind in SIMULATED_DEVICES]
        self.config_path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        ctx = open_till(load_config(self.config_path, environ={}))
        try:
            seed(ctx)
        finally:
            ctx.db.close()
        self.log_path = directory / "till.log"
        self.process = None

    def start(self, timeout: float = 30.0) -> "TillProcess":
        env = {key: value for key, value in os.environ.items() if not key.startswith("FLEETPOS_")}
        self._log = open(self.log_path, "w")
        command = (["-m", "tests.kiosk.sim_till", "--config"] if self.simulated
                   else ["-m", "fleetpos.cli", "till", "--config"])
        self.process = subprocess.Popen([sys.executable, *command, str(self.config_path)],
                                        cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if json.loads(response.read())["ok"]:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the till did not start; its log:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read the till's database directly (the tests' view of what was committed)."""
        db = sqlite3.connect(f"file:{self.directory / 'data' / 'till.sqlite3'}?mode=ro", uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def price(self, sku: str) -> int:
        return self.query("SELECT price FROM product WHERE sku = ?", (sku,))[0][0]

    def sim(self, method: str, what: str, body=None) -> dict:
        """Act on a simulated device: ("POST", "scan", {"code"}), ("GET", "printer"),
        ("POST", "printer", {"paper": "out"}), ("POST", "drawer", {"open": False})."""
        return self.api(method, f"/_sim/{what}", body)

    def api(self, method: str, path: str, body=None, token: str | None = None) -> dict:
        request = urllib.request.Request(self.url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json",
                                                  **({"X-Till-Session": token} if token else {})})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
