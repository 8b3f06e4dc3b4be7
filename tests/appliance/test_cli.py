"""The `fleetpos` command as a user runs it: real processes, real ports on loopback."""

import io
import json
import logging
import socket
import subprocess
import sys
import time
import urllib.request

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


def test_demo_command_starts_a_till_with_the_demo_catalog(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "demo", "--data-dir", str(tmp_path / "demo"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health["ok"] is True and health["store_id"] == "demo-store"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/login", method="POST",
                                         data=json.dumps({"cashier_code": "1001", "pin": "1234"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            token = json.loads(response.read())["token"]
        search = urllib.request.Request(f"http://127.0.0.1:{port}/api/products/search?q=%E5%8F%AF%E5%8F%A3",
                                        headers={"X-Till-Session": token})
        with urllib.request.urlopen(search, timeout=5) as response:
            names = [p["name"] for p in json.loads(response.read())["products"]]
        assert "可口可乐 330ml" in names
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert "<6>appliance.db: applying schema migration 1" in output  # journald priority prefix


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
