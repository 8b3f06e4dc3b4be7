"""Head office's ingest on SQLite and on PostgreSQL: each record stored once whatever
arrives twice, workers sharing one subscription, bad input dead-lettered without
stopping anything."""

import json
import uuid

import pytest

from fleet_server import ingest
from fleet_server.models import DeadLetter, ReceivedRecord
from fleetpos import messages
from fleetpos.messages import MessageError, RecordAck, RecordBatch
from fleetpos.mqtt import BrokerAddress, MqttClient

from .conftest import wait_for


def record(store="s1", device="till-1", kind="sale", total=100, **extra):
    return {"v": 1, "kind": kind, "uuid": str(uuid.uuid4()), "store_id": store, "device_id": device, "total": total,
            **extra}


def batch(records):
    return RecordBatch.encode_raw(json.dumps(r, ensure_ascii=False) for r in records)


@pytest.fixture
def office(fleet_factory, database_url):
    office = fleet_factory(database_url=database_url)
    office.add_store("s1")
    office.add_store("s2")
    return office


def device_client(office, store_id, till_factory):
    identity = till_factory(store_id).enroll(office)
    acks = []
    client = MqttClient(BrokerAddress("127.0.0.1", identity.broker_port), identity.username,
                        username=identity.username, password=identity.password)
    client.subscribe(messages.down_topic(store_id, "till-1", "ack"), lambda m: acks.append(RecordAck.parse(m.payload)))
    client.start()
    assert client.wait_connected(5)
    return client, acks


def test_storing_the_same_records_twice_keeps_one_of_each(office):
    records = [record(total=n) for n in range(5)]
    topic = messages.up_topic("s1", "till-1", "records")
    for _ in range(2):
        incoming = ingest.parse_records_message(topic, batch(records + records[:2]))
        with office.ctx.db.connection_context(), office.ctx.db.atomic():
            ingest.store_records([incoming])
    assert sorted(r.amount for r in office.records("s1")) == [0, 1, 2, 3, 4]
    [(ack_topic, payload)] = ingest.acks_for([incoming])
    assert ack_topic == messages.down_topic("s1", "till-1", "ack")
    assert len(RecordAck.parse(payload).stored) == 7  # every copy is acked: the till marks them all done


def test_a_resend_over_the_broker_is_a_no_op_and_is_acked_again(office, till_factory):
    office.start()
    client, acks = device_client(office, "s1", till_factory)
    try:
        records = [record(total=10 * n) for n in range(20)]
        topic = messages.up_topic("s1", "till-1", "records")
        assert client.publish_and_wait(topic, batch(records)) == 0
        assert client.publish_and_wait(topic, batch(records[5:])) == 0
        wait_for(lambda: sum(len(a.stored) for a in acks) == 35, message="both acks")
    finally:
        client.stop()
    held = office.records("s1")
    assert len(held) == 20 and sum(r.amount for r in held) == sum(10 * n for n in range(20))
    assert {a for ack in acks for a in ack.stored} == {r["uuid"] for r in records}


def test_workers_share_the_subscription_and_store_each_record_once(office, till_factory):
    office.start(ingest_workers=2)
    workers = [worker for _stop, _thread, worker in office._threads]
    client, acks = device_client(office, "s1", till_factory)
    try:
        records = [record(total=n) for n in range(300)]
        topic = messages.up_topic("s1", "till-1", "records")
        for start in range(0, 300, 5):
            client.publish(topic, batch(records[start:start + 5]))
        wait_for(lambda: sum(len(a.stored) for a in acks) == 300, timeout=20, message="all acks")
    finally:
        client.stop()
    assert len(office.records("s1")) == 300
    assert all(worker.stored > 0 for worker in workers), [w.stored for w in workers]
    assert sum(worker.stored for worker in workers) == 300


def test_bad_messages_are_dead_lettered_and_ingest_goes_on(office, till_factory):
    office.start()
    client, acks = device_client(office, "s1", till_factory)
    topic = messages.up_topic("s1", "till-1", "records")
    good, claims_other_store, no_uuid = record(total=7), record(store="s2"), record()
    del no_uuid["uuid"]
    try:
        for payload in (b"\xff not json", b'{"v": 99, "type": "records", "records": [{}]}',
                        b'{"v": 1, "type": "records", "records": []}'):
            assert client.publish_and_wait(topic, payload) == 0
        assert client.publish_and_wait(topic, batch([claims_other_store, no_uuid, good])) == 0
        wait_for(lambda: acks, message="the ack")
    finally:
        client.stop()
    [ack] = acks
    assert ack.stored == (good["uuid"],)
    assert {r.uuid for r in ack.rejected} == {claims_other_store["uuid"], None}
    assert [r.uuid for r in office.records()] == [good["uuid"]]
    with office.ctx.db.connection_context():
        letters = list(DeadLetter.select().order_by(DeadLetter.id))
        assert ReceivedRecord.select().count() == 1
    assert len(letters) == 5
    errors = " | ".join(letter.error for letter in letters)
    for problem in ("not JSON", "version 99", "non-empty list", "came from s1/till-1", "uuid must be"):
        assert problem in errors
    kept = [json.loads(letter.payload) for letter in letters if letter.record_uuid == claims_other_store["uuid"]]
    assert kept == [claims_other_store]  # a refused record is kept whole for a person to look at


def test_status_and_the_last_will_reach_head_office(office, till_factory):
    office.start()
    till = till_factory("s1")
    till.enroll(office)
    process = till.start_agent_process()
    device = lambda: office.call("GET", "/api/stores/s1/devices/till-1")["device"]  # noqa: E731
    wait_for(lambda: device()["online"], timeout=15, message="the device online")
    status = device()["status"]
    assert status["state"] == "online" and status["outbox_backlog"] is not None
    process.kill()  # no goodbye: the broker publishes the last will after the keepalive lapses
    process.wait(10)
    # the will fires when the broker notices the dead TCP connection (closed by the kernel here)
    wait_for(lambda: not device()["online"], timeout=15, message="the last will")
    assert device()["status"]["state"] == "offline"


def test_a_record_envelope_is_checked_field_by_field():
    assert messages.Record.from_payload(record(kind="refund", total=250)).amount == 250
    assert messages.Record.from_payload(record(kind="shift_close", total="x")).amount is None
    for broken, problem in ((dict(record(), uuid="nope"), "uuid"), (dict(record(), kind="Sale!"), "kind"),
                            (dict(record(), v=2), "version"), (dict(record(), store_id="a/b"), "store_id"),
                            (dict(record(), total=True), "total")):
        with pytest.raises(MessageError, match=problem):
            messages.Record.from_payload(broken)
