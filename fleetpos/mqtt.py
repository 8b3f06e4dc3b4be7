"""The one MQTT client class both the store's sync agent and head office use.

All connection setup sits here: MQTT 5, credentials, TLS verified against the project's
CA, the last will, a persistent or clean session, reconnecting with backoff, and
subscribing again after every reconnect. Handlers are plain functions
`handler(message)` registered per topic filter; an exception in one is logged and never
stops the network thread.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

Handler = Callable[[paho.MQTTMessage], None]


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    #: CA certificate (PEM file) that the broker's certificate must chain to; None = plain TCP
    ca_file: str | None = None


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


class MqttClient:
    """A broker connection that keeps itself up.

    `persistent` keeps the session (subscriptions and queued QoS 1 messages) on the broker
    while the client is away, for `session_expiry` seconds; a clean session is dropped at
    disconnect.
    """

    def __init__(self, broker: BrokerAddress, client_id: str, *, username: str | None = None,
                 password: str | None = None, persistent: bool = False, session_expiry: int = 7 * 86400,
                 will: Will | None = None, keepalive: int = 30, max_inflight: int = 100, reconnect_delay: tuple[float, float] = (0.5, 30.0)):
        self.broker = broker
        self.client_id = client_id
        self.persistent = persistent
        self.session_expiry = session_expiry
        self.keepalive = keepalive
        self._handlers: list[tuple[str, int, Handler]] = []
        self._connect_hooks: list[Callable[[bool], None]] = []
        self._disconnect_hooks: list[Callable[[], None]] = []
        self._pending_subscribes: dict[int, list[str]] = {}
        self._publish_results: OrderedDict[int, int] = OrderedDict()
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        #: topic filters the broker refused (ACL), with its reason
        self.refused_subscriptions: dict[str, str] = {}
        self.last_connect_error: str | None = None
        self._started = False

        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        if username is not None:
            client.username_pw_set(username, password)
        if broker.ca_file:
            client.tls_set(ca_certs=broker.ca_file, cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
            client.tls_insecure_set(False)
        if will is not None:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        client.max_inflight_messages_set(max_inflight)
        client.reconnect_delay_set(min_delay=reconnect_delay[0], max_delay=reconnect_delay[1])
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        self._client = client

    # -- set-up -----------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Register a handler; the filter is subscribed now if connected and after every reconnect."""
        with self._lock:
            self._handlers.append((topic_filter, qos, handler))
        if self.connected.is_set():
            self._subscribe([(topic_filter, qos)])

    def on_connect(self, hook: Callable[[bool], None]) -> None:
        """`hook(session_present)` runs on the network thread after each successful connect."""
        self._connect_hooks.append(hook)

    def on_disconnect(self, hook: Callable[[], None]) -> None:
        self._disconnect_hooks.append(hook)

    def start(self) -> None:
        """Connect in the background and keep reconnecting until `stop()`."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry if self.persistent else 0
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive,
                                   clean_start=not self.persistent, properties=properties)
        self._client.loop_start()
        self._started = True

    def stop(self, *, timeout: float = 5.0) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        if not self._started:
            return
        self._started = False
        if self.connected.is_set():
            self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout) and self.subscribed.wait(timeout)

    # -- traffic ------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> paho.MQTTMessageInfo:
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def publish_and_wait(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False,
                         timeout: float = 10.0) -> int | None:
        """Publish and wait for the broker's PUBACK; return its MQTT 5 reason code
        (0 success, 135 not authorized...), None if no answer came in time."""
        info = self.publish(topic, payload, qos=qos, retain=retain)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return None
        if not info.is_published():
            return None
        with self._lock:
            return self._publish_results.get(info.mid, 0)

    # -- paho callbacks (network thread) ---------------------------------------------

    def _subscribe(self, filters: list[tuple[str, int]]) -> None:
        if not filters:
            self.subscribed.set()
            return
        result, mid = self._client.subscribe(filters)
        if result == paho.MQTT_ERR_SUCCESS:
            with self._lock:
                self._pending_subscribes[mid] = [f for f, _ in filters]

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.last_connect_error = str(reason_code)
            log.error("%s: broker %s:%d refused the connection: %s", self.client_id, self.broker.host,
                      self.broker.port, reason_code)
            return
        self.last_connect_error = None
        log.info("%s: connected to %s:%d (session %s)", self.client_id, self.broker.host, self.broker.port,
                 "resumed" if flags.session_present else "new")
        with self._lock:
            filters = [(f, q) for f, q, _ in self._handlers]
        self.subscribed.clear()
        self._subscribe(filters)
        self.connected.set()
        for hook in self._connect_hooks:
            try:
                hook(flags.session_present)
            except Exception:
                log.exception("%s: connect hook failed", self.client_id)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        was_connected = self.connected.is_set()
        self.connected.clear()
        self.subscribed.clear()
        if was_connected and self._started:
            log.warning("%s: disconnected from the broker (%s); reconnecting", self.client_id, reason_code)
        for hook in self._disconnect_hooks:
            try:
                hook()
            except Exception:
                log.exception("%s: disconnect hook failed", self.client_id)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._lock:
            filters = self._pending_subscribes.pop(mid, [])
        for topic_filter, code in zip(filters, reason_codes):
            if code.is_failure:
                self.refused_subscriptions[topic_filter] = str(code)
                log.error("%s: the broker refused the subscription to %s: %s", self.client_id, topic_filter, code)
            else:
                self.refused_subscriptions.pop(topic_filter, None)
        with self._lock:
            done = not self._pending_subscribes
        if done:
            self.subscribed.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        code = reason_code.value if hasattr(reason_code, "value") else int(reason_code or 0)
        with self._lock:
            self._publish_results[mid] = code
            while len(self._publish_results) > 10_000:
                self._publish_results.popitem(last=False)
        if code >= 0x80:
            log.error("%s: the broker refused a publish (mid %d): %s", self.client_id, mid, reason_code)

    def _on_message(self, client, userdata, message: paho.MQTTMessage):
        with self._lock:
            handlers = [h for f, _, h in self._handlers if paho.topic_matches_sub(_plain_filter(f), message.topic)]
        if not handlers:
            log.warning("%s: message on %s matches no handler", self.client_id, message.topic)
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("%s: handler for %s failed", self.client_id, message.topic)


def _plain_filter(topic_filter: str) -> str:
    """The topic filter of a shared subscription ('$share/<group>/<filter>')."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
