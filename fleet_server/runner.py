"""The head-office processes: `fleetpos fleet serve` (HTTP API + catalog publisher) and
`fleetpos fleet ingest` (ingest workers, several processes)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from .app import create_app, open_fleet
from .config import FleetConfig
from .ingest import IngestWorker, server_client
from .publisher import CatalogPublisher, publish_heads

log = logging.getLogger(__name__)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum, _frame):
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


class Publisher:
    """The catalog publisher on its own thread with its own broker connection."""

    def __init__(self, ctx, *, poll_interval: float = 0.5):
        self.ctx = ctx
        self.client = server_client(ctx.config, f"fleet-publisher-{socket.gethostname()}-{os.getpid()}")
        self.publisher = CatalogPublisher(ctx.config, ctx.key, self.client, poll_interval=poll_interval)
        self.client.on_connect(self._connected)
        ctx.catalog_listeners.append(self.publisher.nudge.set)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.publisher.run, args=(self._stop,), name="fleet-publisher",
                                        daemon=True)

    def _connected(self, _session_present: bool) -> None:
        threading.Thread(target=self._heads, name="fleet-heads", daemon=True).start()

    def _heads(self) -> None:
        try:
            with self.ctx.db.connection_context():
                publish_heads(self.client, self.ctx.key)
        except Exception:
            log.exception("could not publish the stores' catalog heads")

    def start(self) -> None:
        self.client.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.publisher.nudge.set()
        self._thread.join(10)
        self.client.stop()


def http_server(config: FleetConfig, app):
    """Waitress on [server] host:port, not running yet (run_http_server runs it)."""
    from waitress import create_server

    proxy = {}
    if config.server.trusted_proxy:
        proxy = {"trusted_proxy": config.server.trusted_proxy, "clear_untrusted_proxy_headers": True,
                 "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}}
    return create_server(app, host=config.server.host, port=config.server.port,
                         threads=config.console.http_threads, ident="fleetpos", **proxy)


def run_http_server(server, stop: threading.Event) -> None:
    """Serve until `stop` is set, then close waitress' sockets and workers (in this thread:
    closing them under a running select() from another thread races with it)."""
    from waitress import wasyncore

    try:
        while not stop.is_set() and server._map:
            wasyncore.loop(timeout=0.2, map=server._map, count=1)
    finally:
        server.close()
        wasyncore.close_all(server._map)
        server.task_dispatcher.shutdown()


def serve(config: FleetConfig) -> None:
    """The HTTP API and console (waitress, a production WSGI server, with
    [console] http_threads worker threads) and the catalog publisher."""
    ctx = open_fleet(config)
    app = create_app(ctx=ctx)
    publisher = Publisher(ctx)
    publisher.start()
    server = http_server(config, app)
    stop = _stop_on_signals()
    thread = threading.Thread(target=run_http_server, args=(server, stop), name="fleet-http", daemon=True)
    thread.start()
    log.info("head office listening on http://%s:%d/ (console /console/, API /api/v1, catalog key %s)",
             config.server.host, config.server.port, ctx.key.key_id)
    try:
        stop.wait()
    finally:
        stop.set()
        thread.join(10)
        publisher.stop()


def ingest(config: FleetConfig, workers: int, config_path: str | None) -> None:
    """Run `workers` ingest processes (each one worker); 1 runs it in this process."""
    stop = _stop_on_signals()
    if workers <= 1:
        open_fleet(config)
        worker = IngestWorker(config)
        log.info("ingest worker %s started", worker.name)
        worker.run(stop)
        return
    command = [sys.executable, "-m", "fleetpos.cli", "fleet", "ingest", "--workers", "1"]
    if config_path:
        command += ["--config", config_path]
    children: dict[int, subprocess.Popen] = {}
    while not stop.is_set():
        for index in range(workers):
            child = children.get(index)
            if child is None or child.poll() is not None:
                if child is not None:
                    log.error("ingest worker %d exited with %s: starting it again", index, child.returncode)
                children[index] = subprocess.Popen(command)
        stop.wait(1.0)
    for child in children.values():
        child.terminate()
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
