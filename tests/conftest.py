"""Fixtures shared by every test: no network beyond loopback, no leftover threads."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import threading
import time

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock, address):
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise RuntimeError(f"test tried to reach {host!r}: tests only use loopback") from None
        return
    if not ip.is_loopback:
        raise RuntimeError(f"test tried to reach {host}: tests only use loopback")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    def connect(sock, address):
        _check_address(sock, address)
        return _real_connect(sock, address)

    def connect_ex(sock, address):
        _check_address(sock, address)
        return _real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"test left threads running: {[t.name for t in left]}"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, driven by Playwright's sync API) for the whole run:
    the kiosk's and the console's browser tests share it, since a second sync Playwright
    cannot start while one is running in the same thread."""
    from tests.kiosk.harness import CHROMIUM, launch_chromium

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"browser tests need Chromium at {CHROMIUM} (Debian package chromium; scripts/setup.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright import sync_api

    playwright = sync_api.sync_playwright().start()
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()
    playwright.stop()
