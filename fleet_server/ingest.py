"""Ingest: the tills' records and statuses, stored once each, acknowledged after commit.

Workers share one subscription (MQTT 5 shared subscription), so any number of them, in
any number of processes, split the traffic. A worker takes what has arrived, stores it
in one transaction (a record's UUID is UNIQUE, so a record sent again changes nothing),
commits, and only then sends each device an `ack` listing the stored records, on which
the till marks its outbox rows done. A worker that dies before its commit acked nothing,
and the tills send the records again.

The broker's PUBACK is given on receipt: a worker's session is clean, so the broker
would not deliver an unacknowledged message again anyway, and holding PUBACKs back would
only let the broker's per-client queue fill (and drop messages) while a transaction runs.

The functions at the top are the handlers; `IngestWorker` only feeds them.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
from dataclasses import dataclass, field

from peewee import Case, fn

from fleetpos import messages
from fleetpos.messages import DeviceStatus, MessageError, RecordAck, RecordBatch, Rejection
from fleetpos.mqtt import BrokerAddress, MqttClient

from .config import FleetConfig
from . import stores
from .db import write_transaction
from .models import DeadLetter, Device, database_proxy, utcnow
from .sales import index_records

log = logging.getLogger(__name__)

DEAD_LETTER_PAYLOAD_LIMIT = 64 * 1024


@dataclass
class Incoming:
    """What one records message carried, ready to store."""
    store_id: str
    device_id: str
    records: list[messages.Record] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def parse_records_message(topic: str, payload: bytes) -> Incoming:
    """Check a records message and each record in it. A record that claims another store
    or device than the topic it came on (which the broker vouches for) is rejected."""
    store_id, device_id, kind = messages.parse_up_topic(topic)
    if kind != "records":
        raise MessageError(f"not a records topic: {topic}")
    good, bad = RecordBatch.parse(payload).parse_records()
    incoming = Incoming(store_id, device_id, rejected=bad)
    for record in good:
        if (record.store_id, record.device_id) != (store_id, device_id):
            incoming.rejected.append(Rejection(record.uuid, f"record says it is from {record.store_id}/"
                                                            f"{record.device_id} but came from {store_id}/{device_id}",
                                               record=record.payload))
        else:
            incoming.records.append(record)
    return incoming


_RECORD_COLUMNS = ("uuid", "kind", "store_id", "device_id", "amount", "payload", "received_at")
_INSERT_ROWS = 100


def _insert_sql(database, rows: int) -> str:
    """A multi-row INSERT that skips records already held (SQLite and PostgreSQL alike).
    Plain SQL: building it through the ORM per batch cost more than running it."""
    param = database.param
    values = ", ".join(["(" + ", ".join([param] * len(_RECORD_COLUMNS)) + ")"] * rows)
    return (f"INSERT INTO received_record ({', '.join(_RECORD_COLUMNS)}) VALUES {values} "
            f"ON CONFLICT (uuid) DO NOTHING")


def store_records(incoming: list[Incoming]) -> None:
    """Inside the caller's transaction: every record once (by UUID) with its report rows,
    rejections as dead letters."""
    database = database_proxy.obj
    now = utcnow()
    rows, seen = [], set()
    for item in incoming:
        for record in item.records:
            if record.uuid not in seen:
                seen.add(record.uuid)
                text = record.text or json.dumps(record.payload, ensure_ascii=False, separators=(",", ":"))
                rows.append((record.uuid, record.kind, record.store_id, record.device_id, record.amount, text, now))
        for rejection in item.rejected:
            topic = messages.up_topic(item.store_id, item.device_id, "records")
            DeadLetter.create(topic=topic, store_id=item.store_id, device_id=item.device_id,
                              record_uuid=rejection.uuid, error=rejection.error[:2000], received_at=now,
                              payload=json.dumps(rejection.record, ensure_ascii=False)[:DEAD_LETTER_PAYLOAD_LIMIT])
    for start in range(0, len(rows), _INSERT_ROWS):
        chunk = rows[start:start + _INSERT_ROWS]
        database.execute_sql(_insert_sql(database, len(chunk)), [value for row in chunk for value in row])
    # the report tables (fleet_server/sales.py), in the same transaction: a record is
    # reported exactly when it is stored
    index_records([record.payload for item in incoming for record in item.records])


def acks_for(incoming: list[Incoming]) -> list[tuple[str, bytes]]:
    """One ack per device for what was stored (and rejected) from it."""
    by_device: dict[tuple[str, str], tuple[list[str], list[Rejection]]] = {}
    for item in incoming:
        stored, rejected = by_device.setdefault((item.store_id, item.device_id), ([], []))
        stored.extend(r.uuid for r in item.records)
        rejected.extend(item.rejected)
    return [(messages.down_topic(store, device, "ack"), RecordAck(tuple(stored), tuple(rejected)).encode())
            for (store, device), (stored, rejected) in by_device.items()]


def parse_status(topic: str, payload: bytes) -> DeviceStatus:
    store_id, device_id, _ = messages.parse_up_topic(topic)
    status = DeviceStatus.parse(payload)
    if (status.store_id, status.device_id) != (store_id, device_id):
        raise MessageError(f"status names {status.store_id}/{status.device_id} but came from {store_id}/{device_id}")
    return status


def store_status(status: DeviceStatus, payload: bytes) -> None:
    """Inside the caller's transaction: remember a device's latest status."""
    update = {Device.online: status.state == "online", Device.last_seen: utcnow(),
              Device.last_status: payload.decode()}
    if status.catalog_version is not None:
        update[Device.catalog_version] = status.catalog_version
    if status.outbox_backlog is not None:
        # the console's "growing backlog" alert: when did the backlog last stop shrinking
        update[Device.outbox_backlog] = status.outbox_backlog
        update[Device.backlog_rising_since] = None if status.outbox_backlog == 0 else Case(None, [
            (fn.COALESCE(Device.outbox_backlog, 0) < status.outbox_backlog,
             fn.COALESCE(Device.backlog_rising_since, utcnow())),
            (Device.outbox_backlog > status.outbox_backlog, None)], Device.backlog_rising_since)
    Device.update(update).where((Device.store == status.store_id) & (Device.device_id == status.device_id)).execute()
    # the store's time zone, locale and currency as its till has them fill those the store
    # does not have yet (what was set on the store's page wins; a till that differs is an
    # alert, and its values stay visible in its status); a time zone so learnt moves the
    # store's report rows to their local days and hours in this same transaction
    reported = {key: getattr(status, key) for key in stores.SETTINGS if getattr(status, key) is not None}
    if reported:
        stores.set_store_settings(status.store_id, reported, by_till=True)


def dead_letter(topic: str, error: str, payload: bytes) -> None:
    try:
        store_id, device_id, _ = messages.parse_up_topic(topic)
    except MessageError:
        store_id = device_id = None
    text = payload[:DEAD_LETTER_PAYLOAD_LIMIT].decode("utf-8", "replace")
    DeadLetter.create(topic=topic[:300], store_id=store_id, device_id=device_id, error=error[:2000], payload=text,
                      received_at=utcnow())


# -- the worker ---------------------------------------------------------------------------

def server_client(config: FleetConfig, client_id: str, **kwargs) -> MqttClient:
    """Head office's broker connection (its own user, full access to the fleet's topics)."""
    broker = BrokerAddress(config.mqtt.host, config.mqtt.port, config.mqtt.ca_file or None)
    return MqttClient(broker, client_id, username=config.mqtt.username, password=config.mqtt.password, **kwargs)


class IngestWorker:
    """One ingest worker: a clean-session member of the shared subscriptions (a worker
    that goes away leaves no queue behind; the tills resend what it did not ack)."""

    def __init__(self, config: FleetConfig, *, name: str | None = None):
        self.config = config
        self.name = name or f"fleet-ingest-{socket.gethostname()}-{os.getpid()}-{id(self) % 10000}"
        self.inbox: queue.Queue = queue.Queue()
        self.client = server_client(config, self.name, max_inflight=1000)
        group = config.ingest.share_group
        self.client.subscribe(f"$share/{group}/{messages.ROOT}/up/+/+/records", self.inbox.put)
        self.client.subscribe(f"$share/{group}/{messages.ROOT}/up/+/+/status", self.inbox.put)
        self.stored = 0
        self._stop = threading.Event()

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        self.client.start()
        database_proxy.obj.connect(reuse_if_open=True)  # one connection for the worker's life
        try:
            while not stop.is_set():
                try:
                    first = self.inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                batch = [first]
                while len(batch) < self.config.ingest.batch_max:
                    try:
                        batch.append(self.inbox.get_nowait())
                    except queue.Empty:
                        break
                self.process(batch)
        finally:
            self.client.stop()
            database_proxy.obj.close()

    def process(self, batch: list) -> None:
        incoming, statuses, bad = [], [], []
        for message in batch:
            try:
                if message.topic.endswith("/records"):
                    incoming.append(parse_records_message(message.topic, message.payload))
                else:
                    statuses.append((parse_status(message.topic, message.payload), message.payload))
            except MessageError as exc:
                bad.append((message, str(exc)))
        database = database_proxy.obj
        while True:
            try:
                database.connect(reuse_if_open=True)
                with write_transaction(database):
                    store_records(incoming)
                    for status, payload in statuses:
                        store_status(status, payload)
                    for message, error in bad:
                        dead_letter(message.topic, error, message.payload)
                break
            except Exception:
                # the database is away or busy: keep the messages (unacknowledged) and retry
                log.exception("%s: could not store a batch of %d messages; retrying", self.name, len(batch))
                if not database.is_closed():
                    database.close()
                if self._stop.wait(1.0):
                    return
        for message, error in bad:
            log.warning("dead letter on %s: %s", message.topic, error)
        for topic, payload in acks_for(incoming):
            self.client.publish(topic, payload, qos=1)
        self.stored += sum(len(i.records) for i in incoming)
