"""Nothing is lost and nothing is counted twice when the link, head office or the
store's agent goes away in the middle: after each outage head office holds exactly the
till's outbox (500 sales, 20 refunds, the shift close, every audit entry), with the
same totals. The shipper knows no record kinds, so each kind the till writes is checked
the same way."""

import json
import signal

import pytest

from appliance.services import refunds

from .conftest import CHIPS, COLA, MILK, wait_for

SALES, REFUNDS = 500, 20


def busy_day(till):
    """A store's day while it cannot reach head office."""
    ctx = till.use()
    cashier = till.login("1001")
    till.open_shift(cashier)
    sold = [till.sell(cashier, [COLA, MILK] if i % 3 else [CHIPS, COLA, COLA]) for i in range(SALES)]
    for sale in sold[:REFUNDS]:
        refunds.create_refund(ctx, cashier, reason="damaged", sale_uuid=sale.uuid)
    till.close_shift(till.login("2001"))


def assert_head_office_has_exactly_the_outbox(office, till):
    outbox = till.outbox()
    assert outbox and all(acked for _kind, _uuid, _payload, acked in outbox), "rows left unacked"
    held = {r.uuid: r for r in office.records(till.store_id)}
    assert len(held) == len(office.records(till.store_id))
    assert set(held) == {uuid for _kind, uuid, _payload, _acked in outbox}, "missing or extra records"
    kinds = {}
    for kind, uuid, payload, _acked in outbox:
        record = held[uuid]
        assert record.kind == kind and json.loads(record.payload) == json.loads(payload)
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds["sale"] == SALES and kinds["refund"] == REFUNDS and kinds["shift_close"] == 1
    assert kinds["audit"] > SALES
    sales_total = till.ctx.sql("SELECT SUM(total) FROM sale WHERE status = 'completed'").fetchone()[0]
    refunds_total = till.ctx.sql("SELECT SUM(total) FROM refund").fetchone()[0]
    assert sum(r.amount for r in held.values() if r.kind == "sale") == sales_total
    assert sum(r.amount for r in held.values() if r.kind == "refund") == refunds_total
    summary = office.call("GET", f"/api/stores/{till.store_id}/records")["kinds"]
    assert summary["sale"] == {"count": SALES, "amount": sales_total}
    assert summary["refund"] == {"count": REFUNDS, "amount": refunds_total}


def enrolled_store(office, till_factory, *, synced=False):
    office.add_store("s1")
    office.seed_catalog(["s1"])
    till = till_factory("s1")
    till.enroll(office)
    if synced:  # the catalog comes first, then the agent goes away
        till.start_agent()
        wait_for(lambda: till.catalog_version() == office.version("s1"), message="the catalog")
        till.stop_agent()
    return till


def test_broker_down_while_the_store_sells_loses_and_doubles_nothing(fleet_factory, till_factory):
    office = fleet_factory().start()
    till = enrolled_store(office, till_factory)
    till.start_agent()
    wait_for(lambda: till.catalog_version() == office.version("s1"), message="the catalog")
    office.broker.stop()
    busy_day(till)
    assert [r for r in office.records("s1") if r.kind == "sale"] == []
    assert till.backlog() > SALES + REFUNDS
    office.broker.start()
    wait_for(lambda: till.backlog() == 0, timeout=60, message="the backlog to drain")
    assert_head_office_has_exactly_the_outbox(office, till)


def test_head_office_killed_during_ingestion(fleet_factory, till_factory, database_url):
    office = fleet_factory(database_url=database_url).start(ingest_workers=0)
    till = enrolled_store(office, till_factory, synced=True)
    ingest = office.start_ingest_process()
    busy_day(till)
    total = len(till.outbox())
    # small batches so that the kill lands in the middle of the stream
    till.start_agent(batch_size=5, window=40)
    wait_for(lambda: len(office.records("s1")) >= 100, timeout=30, message="ingestion to be under way")
    ingest.send_signal(signal.SIGKILL)
    ingest.wait(10)
    held_at_kill = len(office.records("s1"))
    assert held_at_kill < total, "the kill came after everything was stored: the test proved nothing"
    assert till.backlog() > 0
    office.start_ingest_process()
    wait_for(lambda: till.backlog() == 0, timeout=60, message="the backlog to drain")
    assert_head_office_has_exactly_the_outbox(office, till)


def test_store_agent_killed_during_shipping(fleet_factory, till_factory):
    office = fleet_factory().start()
    till = enrolled_store(office, till_factory, synced=True)
    busy_day(till)
    total = len(till.outbox())
    agent = till.start_agent_process(batch_size=5, window=40)
    wait_for(lambda: total - till.backlog() >= 100, timeout=30, message="shipping to be under way")
    agent.send_signal(signal.SIGKILL)
    agent.wait(10)
    assert 0 < till.backlog() < total, "the kill came before or after shipping: the test proved nothing"
    till.start_agent_process()
    wait_for(lambda: till.backlog() == 0, timeout=60, message="the backlog to drain")
    assert_head_office_has_exactly_the_outbox(office, till)


@pytest.mark.parametrize("kind", ["stock_adjustment", "some_future_kind"])
def test_any_outbox_kind_flows_through(fleet_factory, till_factory, kind):
    from appliance.services.records import enqueue, new_uuid

    office = fleet_factory().start()
    till = enrolled_store(office, till_factory)
    uuid = new_uuid()
    with till.ctx.transaction():
        enqueue(till.ctx, kind, uuid, {"detail": {"n": 1, "text": "任意"}})
    till.start_agent()
    wait_for(lambda: till.backlog() == 0, message="the record to be acked")
    [record] = [r for r in office.records("s1") if r.uuid == uuid]
    assert record.kind == kind and json.loads(record.payload)["detail"] == {"n": 1, "text": "任意"}
