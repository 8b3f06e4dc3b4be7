"""The sync agent (`fleetpos sync`): the till's link to head office.

One process beside the till, sharing its SQLite file. It keeps a persistent MQTT session
(so change sets queue on the broker while the store is away), ships the outbox, applies
the catalog, publishes its status (retained, with a last will of `offline`) and applies
scheduled prices on a timer. All database work happens on the agent's own thread, in
short transactions; the MQTT network thread only hands messages over.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fleetpos import messages
from fleetpos.messages import CatalogReport, MessageError, RecordAck
from fleetpos.mqtt import BrokerAddress, MqttClient, Will

from ..context import TillContext
from .applier import catalog_state, receive
from .identity import Identity
from .prices import apply_due_prices
from .shipper import OutboxShipper
from .status import current_status, offline_status

log = logging.getLogger(__name__)

ENV_PREFIX = "FLEETPOS_SYNC__"


@dataclass(frozen=True)
class SyncSettings:
    #: status heartbeat; None = what head office said at enrollment
    heartbeat_seconds: float | None = None
    #: outbox rows per MQTT message, and at most this many waiting for head office's ack
    batch_size: int = 50
    window: int = 1000
    #: rows not acked in this time are sent again
    ack_timeout: float = 15.0
    #: how often the outbox is looked at for new rows
    poll_interval: float = 0.2
    price_check_seconds: float = 5.0
    #: behind the announced head for this long without the change sets arriving: ask
    head_grace_seconds: float = 2.0
    #: ask again if a catalog request got no answer in this time
    request_retry_seconds: float = 30.0
    keepalive: int = 30
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 30.0

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "SyncSettings":
        """Defaults, then FLEETPOS_SYNC__<SETTING> variables, then `overrides`."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                try:
                    values[f.name] = (int if f.type.startswith("int") else float)(raw)
                except ValueError:
                    raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class SyncAgent:
    def __init__(self, ctx: TillContext, identity: Identity, settings: SyncSettings | None = None):
        self.ctx = ctx
        self.identity = identity
        self.settings = settings or SyncSettings()
        self.heartbeat = self.settings.heartbeat_seconds or identity.heartbeat_seconds
        store, device = identity.store_id, identity.device_id
        self.topics = {
            "records": messages.up_topic(store, device, "records"),
            "status": messages.up_topic(store, device, "status"),
            "report": messages.up_topic(store, device, "catalog"),
            "ack": messages.down_topic(store, device, "ack"),
            "catalog": messages.down_topic(store, device, "catalog"),
            "store_catalog": messages.store_catalog_topic(store),
            "head": messages.store_head_topic(store),
        }
        self.client = MqttClient(
            BrokerAddress(identity.broker_host, identity.broker_port, self._ca_file()), identity.username,
            username=identity.username, password=identity.password, persistent=True,
            will=Will(self.topics["status"], offline_status(store, device).encode()), keepalive=self.settings.keepalive,
            reconnect_delay=(self.settings.reconnect_min_seconds, self.settings.reconnect_max_seconds))
        self.inbox: queue.Queue = queue.Queue()
        for name in ("ack", "catalog", "store_catalog", "head"):
            self.client.subscribe(self.topics[name], self._enqueue)
        self.client.on_connect(lambda _session_present: self.inbox.put(("connected", None, None)))
        self.client.on_disconnect(lambda: self.inbox.put(("disconnected", None, None)))
        self.shipper = OutboxShipper(ctx, self._publish_records, batch_size=self.settings.batch_size,
                                     window=self.settings.window, ack_timeout=self.settings.ack_timeout)
        self.online = False
        self._next_heartbeat = 0.0
        self._next_price_check = 0.0
        self._behind_since: float | None = None
        self._requested_at: float | None = None

    def _ca_file(self) -> str | None:
        if not self.identity.broker_tls:
            return None
        path = Path(self.ctx.config.data_dir) / "broker-ca.pem"
        if not path.exists() or path.read_text() != self.identity.ca_pem:
            path.write_text(self.identity.ca_pem)
        return str(path)

    def _enqueue(self, message) -> None:
        self.inbox.put(("message", message.topic, message.payload))

    def _publish_records(self, payload: bytes):
        return self.client.publish(self.topics["records"], payload, qos=1)

    # -- the loop ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        self.client.start()
        try:
            while not stop.is_set():
                try:
                    item = self.inbox.get(timeout=self.settings.poll_interval)
                except queue.Empty:
                    item = None
                handled = 0
                while item is not None and handled < 200:
                    self._handle(*item)
                    handled += 1
                    try:
                        item = self.inbox.get_nowait()
                    except queue.Empty:
                        item = None
                if item is not None:
                    self._handle(*item)
                self._tick()
        finally:
            if self.online:
                # a clean goodbye does not fire the will: say offline ourselves
                info = self.client.publish(self.topics["status"],
                                           offline_status(self.identity.store_id, self.identity.device_id).encode(),
                                           qos=1, retain=True)
                try:
                    info.wait_for_publish(2)
                except (RuntimeError, ValueError):
                    pass
            self.client.stop()
            self.ctx.db.close()

    def _handle(self, kind: str, topic: str | None, payload: bytes | None) -> None:
        try:
            if kind == "connected":
                self.online = True
                self.shipper.restart()
                self._next_heartbeat = 0.0
                self._requested_at = None
                version, head, _ = catalog_state(self.ctx)
                self._report(version, request=version == 0, reason="empty" if version == 0 else None)
            elif kind == "disconnected":
                self.online = False
            elif topic == self.topics["ack"]:
                self.shipper.on_ack(RecordAck.parse(payload))
            else:
                self._catalog(payload)
        except MessageError as exc:
            log.warning("dead letter on %s: %s", topic, exc)
        except Exception:
            log.exception("could not handle %s %s; it will come again", kind, topic or "")

    def _catalog(self, payload: bytes) -> None:
        outcome = receive(self.ctx, payload, store_id=self.identity.store_id)
        now = time.monotonic()
        if outcome.action == "applied":
            self._report(outcome.version)
            self._next_heartbeat = 0.0
        elif outcome.action == "gap":
            log.warning("catalog gap: %s; asking head office for what is missing", outcome.detail)
            self._request(outcome.version, "gap")
        elif outcome.action == "rejected":
            log.error("catalog message refused: %s", outcome.detail)
            self._report(outcome.version, error=outcome.detail)
        if outcome.head > outcome.version:
            self._behind_since = self._behind_since or now
        else:
            self._behind_since = None
            self._requested_at = None

    def _report(self, version: int, *, request: bool = False, reason: str | None = None,
                error: str | None = None) -> None:
        if not self.online:
            return
        self.client.publish(self.topics["report"],
                            CatalogReport(version=version, request=request, reason=reason, error=error).encode(), qos=1)
        if request:
            self._requested_at = time.monotonic()

    def _request(self, version: int, reason: str) -> None:
        now = time.monotonic()
        if self._requested_at is not None and now - self._requested_at < self.settings.request_retry_seconds:
            return  # an answer is on its way
        self._report(version, request=True, reason=reason)

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_price_check:
            self._next_price_check = now + self.settings.price_check_seconds
            try:
                if apply_due_prices(self.ctx):
                    self._next_heartbeat = 0.0
            except Exception:
                log.exception("could not apply scheduled prices; trying again")
        if not self.online:
            return
        self.shipper.pump()
        if self._behind_since is not None and now - self._behind_since >= self.settings.head_grace_seconds:
            version, head, _ = catalog_state(self.ctx)
            if head > version:
                self._request(version, "behind")
            else:
                self._behind_since = None
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat
            status = current_status(self.ctx, self.identity.store_id, self.identity.device_id,
                                    max(1, round(self.heartbeat)))
            self.client.publish(self.topics["status"], status.encode(), qos=1, retain=True)
