"""The outbox shipper without a broker: order, window, acks, resends."""

import json

import pytest

from appliance.services.records import enqueue, new_uuid
from appliance.sync.shipper import OutboxShipper, backlog
from fleetpos.messages import RecordAck, RecordBatch, Rejection

from .conftest import Till


class Now:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def till(tmp_path):
    till = Till(tmp_path / "till", "s1")
    with till.ctx.transaction():
        for n in range(25):
            enqueue(till.ctx, "sale" if n % 2 else "audit", new_uuid(), {"n": n, "total": n})
    yield till
    till.stop()


def make(till, **kwargs):
    sent, now = [], Now()
    shipper = OutboxShipper(till.ctx, lambda payload: sent.append(RecordBatch.parse(payload).items),
                            monotonic=now, **kwargs)
    return shipper, sent, now


def test_rows_go_oldest_first_in_batches_within_the_window(till):
    shipper, sent, _now = make(till, batch_size=4, window=10)
    assert shipper.pump() == 10
    assert [len(b) for b in sent] == [4, 4, 2]
    assert [r["n"] for b in sent for r in b] == list(range(10))
    assert shipper.pump() == 0  # the window is full until head office acks
    shipper.on_ack(RecordAck(tuple(r["uuid"] for r in sent[0])))
    assert shipper.pump() == 4 and [r["n"] for r in sent[-1]] == [10, 11, 12, 13]
    assert backlog(till.ctx) == 21


def test_a_row_is_done_only_when_acked_and_a_rejection_is_kept(till):
    shipper, sent, _now = make(till, batch_size=50, window=100)
    shipper.pump()
    uuids = [r["uuid"] for r in sent[0]]
    assert shipper.on_ack(RecordAck(tuple(uuids[:20]), (Rejection(uuids[20], "bad total"),))) == 21
    assert shipper.on_ack(RecordAck(tuple(uuids[:20]))) == 0  # a repeated ack changes nothing
    assert backlog(till.ctx) == 4
    assert till.ctx.sql("SELECT record_uuid, error FROM outbox_rejection").fetchall() == [(uuids[20], "bad total")]


def test_unacked_rows_are_sent_again_after_the_timeout_or_a_reconnect(till):
    shipper, sent, now = make(till, batch_size=25, window=100, ack_timeout=10)
    shipper.pump()
    shipper.on_ack(RecordAck(tuple(r["uuid"] for r in sent[0][:5])))
    now.t += 5
    assert shipper.pump() == 0
    now.t += 6
    assert shipper.pump() == 20  # the 20 unacked, again, oldest first
    assert [r["n"] for r in sent[-1]] == list(range(5, 25))
    shipper.restart()
    assert shipper.pump() == 20


def test_payloads_are_shipped_exactly_as_stored(till):
    stored = [json.loads(p) for (p,) in till.ctx.sql("SELECT payload FROM outbox ORDER BY seq")]
    shipper, sent, _now = make(till, batch_size=100, window=100)
    shipper.pump()
    assert list(sent[0]) == stored
