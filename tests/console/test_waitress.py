"""`fleetpos fleet serve`'s HTTP server: waitress, and a TLS proxy's headers believed only
from [server] trusted_proxy."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from fleet_server.app import create_app, open_fleet
from fleet_server.config import load_fleet_config
from fleet_server.runner import http_server, run_http_server

from .conftest import ADMIN_TOKEN, TEST_CONSOLE, free_port


@pytest.fixture
def serve(tmp_path):
    running = []

    def start(**server):
        port = free_port()
        config = load_fleet_config(environ={}, overrides={
            "server": {"host": "127.0.0.1", "port": port, "data_dir": str(tmp_path / f"fleet{port}"),
                       "admin_token": ADMIN_TOKEN, **server},
            "console": {**TEST_CONSOLE, "http_threads": 2}})
        ctx = open_fleet(config)
        server_ = http_server(config, create_app(ctx=ctx))
        stop = threading.Event()
        thread = threading.Thread(target=run_http_server, args=(server_, stop), name="test-waitress", daemon=True)
        thread.start()
        running.append((stop, thread, ctx))
        return f"http://127.0.0.1:{port}"

    yield start
    for stop, thread, ctx in running:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()
        ctx.db.close()


def _post(base, path, body, headers):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                              "Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, json.loads(response.read())


def _audit(base):
    request = urllib.request.Request(base + "/api/v1/audit?action=store.create",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["items"][0]


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ho.example.com"}


def test_proxy_headers_are_believed_from_the_trusted_proxy(serve):
    base = serve(trusted_proxy="127.0.0.1")
    headers, _ = _post(base, "/api/v1/stores", {"id": "s1", "name": "One"}, FORWARDED)
    assert headers["Server"] == "fleetpos"
    _, issued = _post(base, "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, FORWARDED)
    assert issued["enroll_file"].startswith('url = "https://ho.example.com"')
    assert _audit(base)["remote_addr"] == "203.0.113.7"


def test_proxy_headers_are_ignored_without_a_trusted_proxy(serve):
    base = serve()
    _post(base, "/api/v1/stores", {"id": "s1", "name": "One"}, FORWARDED)
    _, issued = _post(base, "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, FORWARDED)
    assert issued["enroll_file"].startswith(f'url = "{base}"')
    assert _audit(base)["remote_addr"] == "127.0.0.1"
