"""`fleetpos fleet user-add`, and `fleetpos demo` giving a console login served by waitress."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from .conftest import REPO, free_port


def _fleet_config(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text(f'[server]\ndata_dir = "{tmp_path / "fleet"}"\n[console]\npassword_hash_cost = 10\n')
    return config


def _user_add(config, *args, password="first admin password"):
    return subprocess.run([sys.executable, "-m", "fleetpos.cli", "--log-level", "WARNING", "fleet", "user-add",
                           *args, "--password-stdin", "--config", str(config)], input=password + "\n",
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def test_user_add_creates_the_first_admin_and_audits_it(tmp_path):
    config = _fleet_config(tmp_path)
    result = _user_add(config, "boss", "--display-name", "The Boss")
    assert result.returncode == 0, result.stderr
    assert "console user boss (admin) created" in result.stdout
    again = _user_add(config, "boss")
    assert again.returncode != 0 and "already exists" in again.stderr
    weak = _user_add(config, "clerk", "--role", "viewer", password="short")
    assert weak.returncode != 0 and "10-200 characters" in weak.stderr

    from fleet_server import users
    from fleet_server.config import load_fleet_config
    from fleet_server.db import open_database
    from fleet_server.models import AuditEntry, User

    fleet = load_fleet_config(config, environ={})
    database = open_database(fleet.database_url)
    try:
        with database.connection_context():
            boss = User.get(User.username == "boss")
            assert boss.role == "admin" and boss.display_name == "The Boss"
            assert users.verify_password("first admin password", boss.password_hash)
            assert not User.select().where(User.username == "clerk").exists()
            entry = AuditEntry.get(AuditEntry.action == "user.create")
            assert entry.actor.startswith("cli (") and entry.target == "user:boss"
    finally:
        database.close()


@pytest.mark.skipif(not shutil.which("mosquitto") and not os.path.exists("/usr/sbin/mosquitto"),
                    reason="mosquitto is not installed (scripts/setup.sh installs it)")
def test_demo_prints_a_console_login_that_works(tmp_path):
    till_port, fleet_port, mqtt_port = free_port(), free_port(), free_port()
    root = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "demo", "--data-dir", str(root), "--port",
                             str(till_port), "--fleet-port", str(fleet_port), "--mqtt-port", str(mqtt_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    base = f"http://127.0.0.1:{fleet_port}"
    lines = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        output = "".join(lines)
        assert "fleetpos demo is up" in output, output[-3000:]
        demo_secrets = json.loads((root / "fleet" / "demo-secrets.json").read_text())
        assert f"password {demo_secrets['console_password']}" in output
        assert f"{base}/console/" in output

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{base}/console/login", timeout=30) as response:
            assert response.headers["Server"] == "fleetpos"  # waitress (its ident), not Werkzeug
            form = response.read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"username": demo_secrets["console_user"],
                                       "password": demo_secrets["console_password"], "csrf_token": csrf}).encode()
        with opener.open(f"{base}/console/login", data=data, timeout=30) as response:
            assert response.url.endswith("/console/")
        deadline = time.monotonic() + 60
        while True:  # the demo till reports online over the broker
            with opener.open(f"{base}/api/v1/stores/demo-store", timeout=30) as response:
                store = json.loads(response.read())
            if store["online"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert store["online"] and (store["region"], store["group"]) == ("east", "demo")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
