"""Sends the stored change sets to the stores, and answers stores that are behind.

Change sets go out in version order on the store's catalog topic (QoS 1; each store's
devices hold a persistent session, so the broker queues them while a store is away),
followed by the store's retained head. A device's catalog report updates what head
office knows of it; a request is answered on the device's own catalog topic with the
missing change sets, or a snapshot when it is too far behind.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from fleetpos import messages
from fleetpos.messages import CatalogReport, MessageError
from fleetpos.mqtt import MqttClient

from . import catalog
from .config import FleetConfig
from .ingest import dead_letter
from .models import CatalogChange, Device, Store, database_proxy, utcnow

log = logging.getLogger(__name__)

REPORTS_FILTER = f"$share/fleetpos-catalog/{messages.ROOT}/up/+/+/catalog"
#: how often the publisher looks for stores moved to another store group
REPRICE_SECONDS = 2.0


def handle_catalog_report(config: FleetConfig, key: messages.SigningKey, topic: str,
                          payload: bytes) -> list[tuple[str, bytes]]:
    """Record what a device says of its catalog; return what to send it (topic, payload)."""
    store_id, device_id, _ = messages.parse_up_topic(topic)
    report = CatalogReport.parse(payload)
    Device.update(catalog_version=report.version, catalog_error=report.error, last_seen=utcnow()).where(
        (Device.store == store_id) & (Device.device_id == device_id)).execute()
    if report.error:
        log.error("%s/%s could not apply its catalog at version %d: %s", store_id, device_id, report.version,
                  report.error)
    if not report.request:
        return []
    topic_out = messages.down_topic(store_id, device_id, "catalog")
    payloads = catalog.replay(store_id, report.version, config.catalog.replay_limit)
    if payloads is None:
        version, snapshot = catalog.snapshot(key, store_id)
        log.info("%s/%s is at catalog version %d (%s): sending a snapshot at version %d (%d bytes)", store_id,
                 device_id, report.version, report.reason, version, len(snapshot))
        return [(topic_out, snapshot)]
    log.info("%s/%s is at catalog version %d (%s): sending %d change sets again", store_id, device_id,
             report.version, report.reason, len(payloads))
    return [(topic_out, p) for p in payloads]


class CatalogPublisher:
    def __init__(self, config: FleetConfig, key: messages.SigningKey, client: MqttClient, *,
                 poll_interval: float = 0.5):
        self.config = config
        self.key = key
        self.client = client
        self.poll_interval = poll_interval
        self.reports: queue.Queue = queue.Queue()
        self.nudge = threading.Event()
        client.subscribe(REPORTS_FILTER, self._on_report)
        client.on_connect(lambda _session_present: self.nudge.set())

    def _on_report(self, message) -> None:
        self.reports.put((message.topic, message.payload))
        self.nudge.set()

    def run(self, stop: threading.Event) -> None:
        last_due_check = 0.0
        last_group_check = 0.0
        while not stop.is_set():
            self.nudge.wait(self.poll_interval)
            self.nudge.clear()
            if not self.client.connected.is_set():
                continue
            try:
                with database_proxy.obj.connection_context():
                    if time.monotonic() - last_due_check > 30:
                        with database_proxy.obj.atomic():
                            catalog.apply_due_schedules(utcnow())
                        last_due_check = time.monotonic()
                    if time.monotonic() - last_group_check > REPRICE_SECONDS:
                        # a store moved to another group gets the prices the move changes
                        catalog.reprice_moved_stores(self.key)
                        last_group_check = time.monotonic()
                    self.publish_pending()
                    self.answer_reports()
            except Exception:
                log.exception("catalog publisher: will try again")
                stop.wait(1.0)

    def publish_pending(self, limit: int = 200) -> int:
        """Publish unpublished change sets in order; mark each once the broker has it."""
        rows = list(CatalogChange.select(CatalogChange.id, CatalogChange.store, CatalogChange.version,
                                         CatalogChange.payload)
                    .where(CatalogChange.published_at.is_null()).order_by(CatalogChange.store, CatalogChange.version)
                    .limit(limit))
        if not rows:
            return 0
        sent = [(row, self.client.publish(messages.store_catalog_topic(row.store_id), row.payload.encode(), qos=1))
                for row in rows]
        done, stores = [], set()
        for row, info in sent:
            try:
                info.wait_for_publish(10)
            except (RuntimeError, ValueError):
                break
            if not info.is_published():
                break
            done.append(row.id)
            stores.add(row.store_id)
        if done:
            CatalogChange.update(published_at=utcnow()).where(CatalogChange.id.in_(done)).execute()
        for store in Store.select().where(Store.id.in_(sorted(stores))):
            self.client.publish(messages.store_head_topic(store.id), catalog.head_payload(self.key, store),
                                qos=1, retain=True)
        if len(done) == limit:
            self.nudge.set()
        return len(done)

    def answer_reports(self) -> None:
        while True:
            try:
                topic, payload = self.reports.get_nowait()
            except queue.Empty:
                return
            try:
                with database_proxy.obj.atomic():
                    replies = handle_catalog_report(self.config, self.key, topic, payload)
            except MessageError as exc:
                log.warning("dead letter on %s: %s", topic, exc)
                dead_letter(topic, str(exc), payload)
                continue
            for reply_topic, reply in replies:
                self.client.publish(reply_topic, reply, qos=1)


def publish_heads(client: MqttClient, key: messages.SigningKey) -> None:
    """The retained head of every store (at start, so a store can see it is behind)."""
    for store in Store.select():
        client.publish(messages.store_head_topic(store.id), catalog.head_payload(key, store), qos=1, retain=True)

