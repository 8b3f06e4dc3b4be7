"""The shared message module: what is accepted, what is refused and why."""

import json

import pytest

from fleetpos import messages
from fleetpos.messages import (CatalogHead, CatalogReport, Change, ChangeSet, DeviceStatus, Enrollment, MessageError,
                               RecordAck, RecordBatch, Rejection, SigningKey, open_sealed)


@pytest.fixture
def key():
    return SigningKey.generate()[0]


def test_topics_name_store_and_device_and_parse_back():
    assert messages.up_topic("s1", "till-1", "records") == "fleetpos/up/s1/till-1/records"
    assert messages.parse_up_topic("fleetpos/up/s1/till-1/status") == ("s1", "till-1", "status")
    for bad in ("fleetpos/down/s1/till-1/ack", "fleetpos/up/s1/till-1/other", "fleetpos/up/s1/records",
                "fleetpos/up/+/till-1/records"):
        with pytest.raises(MessageError):
            messages.parse_up_topic(bad)
    assert messages.mqtt_username("s1", "till-1") == "s1/till-1"
    with pytest.raises(MessageError):
        messages.mqtt_username("s1/x", "till-1")


def test_messages_round_trip_with_their_version():
    ack = RecordAck(("a", "b"), (Rejection("c", "bad"),))
    assert RecordAck.parse(ack.encode()) == ack
    status = DeviceStatus("online", "s1", "till-1", at="2026-11-23T09:00:00Z", catalog_version=3, outbox_backlog=0,
                          devices={"printer": {"available": False, "message": "paper out"}}, heartbeat_seconds=60)
    assert DeviceStatus.parse(status.encode()) == status
    report = CatalogReport(version=4, request=True, reason="gap")
    assert CatalogReport.parse(report.encode()) == report
    changes = ChangeSet("s1", 2, "2026-11-23T09:00:00Z",
                        (Change("tax_class", "upsert", {"code": "std", "name": "VAT", "rate_bp": 1300}),))
    assert ChangeSet.parse(changes.encode()) == changes
    assert json.loads(changes.encode())["v"] == messages.PROTOCOL_VERSION


@pytest.mark.parametrize("payload, problem", [
    (b"[1]", "JSON object"),
    (b'{"v": 2, "type": "ack", "stored": []}', "version 2"),
    (b'{"v": 1, "type": "status", "stored": []}', "expected a ack"),
    (b'{"v": 1, "type": "ack", "stored": [1]}', "uuids"),
    (b'{"v": 1, "type": "ack", "stored": [], "rejected": [{"uuid": 1}]}', "rejected"),
])
def test_a_malformed_ack_is_refused_with_the_reason(payload, problem):
    with pytest.raises(MessageError, match=problem):
        RecordAck.parse(payload)


@pytest.mark.parametrize("change, problem", [
    ({"entity": "product", "data": {"sku": "A", "name": "a", "unit": "box", "price": 1, "tax_class": "t",
                                    "active": True, "barcodes": []}}, "unit"),
    ({"entity": "product", "data": {"sku": "A", "name": "a", "unit": "each", "price": -1, "tax_class": "t",
                                    "active": True, "barcodes": []}}, "price"),
    ({"entity": "product", "data": {"sku": "A", "name": "a", "unit": "each", "price": True, "tax_class": "t",
                                    "active": True, "barcodes": []}}, "price"),
    ({"entity": "cashier", "data": {"code": "1", "name": "a", "role": "root", "pin_hash": "x", "active": True}},
     "role"),
    ({"entity": "cashier", "data": {"code": "1", "name": "a", "role": "cashier", "pin_hash": "1234",
                                    "active": True}}, "pin_hash"),
    ({"entity": "price_schedule", "data": {"id": "p", "sku": "A", "price": 1, "effective_at": "tomorrow"}},
     "effective_at"),
    ({"entity": "coupon", "data": {}}, "unknown catalog entity"),
    ({"entity": "product", "op": "delete", "data": {}}, "unknown op"),
])
def test_a_change_is_checked_before_anything_is_applied(change, problem):
    with pytest.raises(MessageError, match=problem):
        Change.parse(change)


def test_sealed_bodies_open_only_with_the_right_key_and_intact(key):
    body = CatalogHead("s1", 5, "2026-11-23T09:00:00Z").encode()
    trusted = {key.key_id: key.public_key}
    assert open_sealed(key.seal(body), trusted) == body
    assert open_sealed(key.seal(body, compress=True), trusted) == body
    with pytest.raises(MessageError, match="unknown key"):
        open_sealed(key.seal(body), {})
    envelope = json.loads(key.seal(body))
    envelope["body"] = envelope["body"].replace('"version":5', '"version":6')
    with pytest.raises(MessageError, match="bad signature"):
        open_sealed(json.dumps(envelope).encode(), trusted)
    envelope = json.loads(key.seal(body))
    envelope["sig"] = "!!!"
    with pytest.raises(MessageError, match="bad signature"):
        open_sealed(json.dumps(envelope).encode(), trusted)


def test_a_signed_body_cannot_inflate_beyond_the_limit(key, monkeypatch):
    monkeypatch.setattr(messages, "MAX_BODY_BYTES", 1000)
    bomb = key.seal(b"{" + b" " * 5000 + b"}", compress=True)
    assert len(bomb) < 500
    with pytest.raises(MessageError, match="larger than allowed"):
        open_sealed(bomb, {key.key_id: key.public_key})


def test_a_record_batch_carries_payloads_verbatim_and_judges_each_record():
    texts = ['{"v":1,"kind":"sale","uuid":"0f8fad5b-d9cb-469f-a165-70867728950e","store_id":"s1",'
             '"device_id":"till-1","total":5,"名":"可乐"}', '{"v":1}']
    batch = RecordBatch.parse(RecordBatch.encode_raw(texts))
    good, bad = batch.parse_records()
    assert [r.amount for r in good] == [5] and good[0].payload["名"] == "可乐"
    assert good[0].text == texts[0]  # head office stores the till's own text
    assert len(bad) == 1 and bad[0].uuid is None and bad[0].record == {"v": 1}
    # the same records in any other JSON layout are read too, just not kept verbatim
    relaid = json.dumps({"type": "records", "v": 1, "records": [json.loads(t) for t in texts]}, indent=1)
    good, bad = RecordBatch.parse(relaid.encode()).parse_records()
    assert good[0].payload == json.loads(texts[0]) and good[0].text is None and len(bad) == 1
    spaced = RecordBatch.parse((RecordBatch.PREFIX + texts[0] + " ]}").encode())
    assert spaced.items == (json.loads(texts[0]),) and spaced.texts is None
    for broken in (RecordBatch.PREFIX + texts[0] + "]}x", RecordBatch.PREFIX + "]}"):
        with pytest.raises(MessageError):
            RecordBatch.parse(broken.encode())


def test_a_record_total_beyond_what_a_column_holds_is_refused_not_stored():
    base = {"v": 1, "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "store_id": "s1", "device_id": "till-1"}
    for total in (2 ** 63, -(2 ** 63) - 1, messages.MAX_RECORD_AMOUNT + 1):
        with pytest.raises(MessageError, match="total must be between"):
            messages.Record.from_payload({**base, "kind": "sale", "total": total})
        # a kind whose total is informational keeps the record, without an amount
        assert messages.Record.from_payload({**base, "kind": "shift_close", "total": total}).amount is None
    assert messages.Record.from_payload({**base, "kind": "refund", "total": -500}).amount == -500


def test_enrollment_checks_keys_and_tls(key):
    enrollment = Enrollment(store_id="s1", device_id="till-1", broker_host="mqtt.example", broker_port=8883,
                            username="s1/till-1", password="p" * 40, catalog_keys={key.key_id: key.public_key_b64},
                            heartbeat_seconds=60)
    assert Enrollment.parse(enrollment.to_dict()) == enrollment
    wrong_id = {**enrollment.to_dict(), "catalog_keys": {"0000": key.public_key_b64}}
    with pytest.raises(MessageError, match="not a valid ed25519 key"):
        Enrollment.parse(wrong_id)
    no_ca = enrollment.to_dict()
    no_ca["broker"]["tls"] = True
    with pytest.raises(MessageError, match="CA certificate"):
        Enrollment.parse(no_ca)


def test_utc_times_have_one_form():
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 11, 23, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    assert messages.utc_iso(moment) == "2026-11-23T09:00:00Z"
    assert messages.parse_utc("2026-11-23T09:00:00.5Z", "t") == datetime(2026, 11, 23, 9, 0, 0, 500000)
    with pytest.raises(MessageError):
        messages.parse_utc("2026-11-23T09:00:00+08:00", "t")
