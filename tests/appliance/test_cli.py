"""The `fleetpos` command as a user runs it: real processes, real ports on loopback."""

import io
import os
import shutil
import signal
import json
import logging
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from appliance.logs import JournalFormatter, configure_logging


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stop(proc, *, group=False):
    """Ctrl-C: to the process, or (group=True) to its whole process group, as a terminal sends it."""
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def test_till_demo_starts_a_till_with_the_demo_catalog(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "till-demo", "--data-dir", str(tmp_path / "demo"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health["ok"] is True and health["store_id"] == "demo-store"
        token = call("POST", f"http://127.0.0.1:{port}/api/auth/login", {"cashier_code": "1001", "pin": "1234"})["token"]
        names = [p["name"] for p in call("GET", f"http://127.0.0.1:{port}/api/products/search?q=%E5%8F%AF%E5%8F%A3",
                                         headers={"X-Till-Session": token})["products"]]
        assert "可口可乐 330ml" in names
    finally:
        output = stop(proc)
    assert "<6>appliance.db: applying schema migration 1" in output  # journald priority prefix


@pytest.mark.skipif(not shutil.which("mosquitto") and not os.path.exists("/usr/sbin/mosquitto"),
                    reason="mosquitto is not installed (scripts/setup.sh installs it)")
def test_demo_runs_the_fleet_and_a_sale_reaches_head_office(tmp_path):
    till_port, fleet_port, mqtt_port = free_port(), free_port(), free_port()
    root = tmp_path / "fleet-demo"
    proc = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "demo", "--data-dir", str(root),
                             "--port", str(till_port), "--fleet-port", str(fleet_port), "--mqtt-port", str(mqtt_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, process_group=0)
    try:
        assert wait_for(f"http://127.0.0.1:{till_port}/healthz", timeout=60)["ok"] is True
        base = f"http://127.0.0.1:{till_port}"
        session = {"X-Till-Session": call("POST", f"{base}/api/auth/login",
                                          {"cashier_code": "1001", "pin": "1234"})["token"]}
        call("POST", f"{base}/api/shifts", {"opening_float": 0}, session)
        sale = call("POST", f"{base}/api/sales", {}, session)["sale"]
        sale = call("POST", f"{base}/api/sales/{sale['uuid']}/lines", {"code": "DR-001"}, session)["sale"]
        assert sale["lines"][0]["name"] == "可口可乐 330ml"  # the catalog came from head office
        call("POST", f"{base}/api/sales/{sale['uuid']}/payments", {"method": "cash", "amount": 500}, session)
        admin = {"Authorization": "Bearer " + json.loads((root / "fleet" / "demo-secrets.json").read_text())["admin_token"]}
        deadline = time.monotonic() + 30
        while True:
            kinds = call("GET", f"http://127.0.0.1:{fleet_port}/api/stores/demo-store/records", headers=admin)["kinds"]
            if kinds.get("sale", {}).get("count") == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert kinds["sale"] == {"count": 1, "amount": 300}
    finally:
        output = stop(proc, group=True)
    assert "fleetpos demo is up" in output
    # Ctrl-C in a terminal reaches the whole group: the demo stops its parts and exits cleanly
    assert proc.returncode == 0 and " stopped (status" not in output, output[-2000:]


def test_a_bad_config_file_stops_the_till_with_the_key_named(tmp_path):
    config = tmp_path / "till.toml"
    config.write_text('[store]\ncurrency = "RMB"\n')
    result = subprocess.run([sys.executable, "-m", "fleetpos.cli", "till", "--config", str(config)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "store.currency" in result.stderr and "RMB" in result.stderr


def test_cashier_add_creates_the_first_admin(tmp_path):
    config = tmp_path / "till.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[security]\npin_hash_cost = 4\n')
    result = subprocess.run([sys.executable, "-m", "fleetpos.cli", "cashier-add", "--config", str(config),
                             "--code", "9001", "--name", "Owner", "--role", "admin"],
                            capture_output=True, text=True, timeout=30, env={"FLEETPOS_NEW_PIN": "8080",
                                                                              "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    again = subprocess.run([sys.executable, "-m", "fleetpos.cli", "cashier-add", "--config", str(config),
                            "--code", "9001", "--name", "Owner", "--role", "admin"],
                           capture_output=True, text=True, timeout=30, env={"FLEETPOS_NEW_PIN": "8080"})
    assert again.returncode != 0 and "already taken" in again.stderr


def test_journal_format_prefixes_every_line_with_the_priority():
    record = logging.LogRecord("appliance.x", logging.ERROR, __file__, 1, "two\nlines", None, None)
    assert JournalFormatter().format(record) == "<3>appliance.x: two\n<3>lines"
    stream = io.StringIO()
    configure_logging("WARNING", stream)
    logging.getLogger("appliance.y").warning("disk low")
    logging.getLogger("appliance.y").info("hidden")
    assert stream.getvalue() == "<4>appliance.y: disk low\n"
    configure_logging("INFO")
