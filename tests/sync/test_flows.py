"""Store and head office together over a real Mosquitto: prices reach the stores and
their next sale, scheduled prices work offline, the broker enforces each device's ACL."""

import json
import time
from datetime import datetime, timedelta, timezone

from fleetpos import messages
from fleetpos.messages import RecordBatch
from fleetpos.mqtt import BrokerAddress, MqttClient

from .conftest import CHIPS, COLA, MILK, wait_for


def synced(office, till):
    version = office.version(till.store_id)
    wait_for(lambda: till.catalog_version() == version, message=f"{till.store_id} to reach catalog {version}")
    return version


def stores(office, till_factory, *store_ids, agents=True):
    for store_id in store_ids:
        office.add_store(store_id)
    office.seed_catalog(store_ids)
    tills = []
    for store_id in store_ids:
        till = till_factory(store_id)
        till.enroll(office)
        if agents:
            till.start_agent()
        tills.append(till)
    return tills


def test_a_price_change_at_head_office_reaches_two_stores_and_their_next_sale(fleet_factory, till_factory,
                                                                              database_url):
    office = fleet_factory(database_url=database_url).start()
    tills = stores(office, till_factory, "s1", "s2")
    for till in tills:
        synced(office, till)
        assert till.products()["COLA"]["price"] == 300
    versions = office.call("POST", "/api/catalog/prices", {"prices": [{"sku": "COLA", "price": 350}]})["versions"]
    assert set(versions) == {"s1", "s2"}
    for till in tills:
        assert synced(office, till) == versions[till.store_id]
        assert till.products()["COLA"]["price"] == 350
        actor = till.login()
        till.open_shift(actor)
        sale = till.sell(actor, [COLA, CHIPS])
        assert sale.total == 350 + 750
    for till in tills:
        sale_records = wait_for(lambda: [r for r in office.records(till.store_id) if r.kind == "sale"],
                                message="the sale at head office")
        assert [r.amount for r in sale_records] == [1100]
        lines = json.loads(sale_records[0].payload)["lines"]
        assert {line["sku"]: line["unit_price"] for line in lines} == {"COLA": 350, "CHIPS": 750}
    # each store reported the version it applied
    for till in tills:
        device = office.call("GET", f"/api/stores/{till.store_id}/devices/till-1")["device"]
        assert device["catalog_version"] == versions[till.store_id]


def test_a_scheduled_price_takes_effect_in_a_store_that_is_offline_then(fleet_factory, till_factory):
    office = fleet_factory().start()
    [till] = stores(office, till_factory, "s1")
    synced(office, till)
    effective = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=2)
    office.call("POST", "/api/catalog/prices", {"prices": [{"sku": "MILK", "price": 333,
                                                             "effective_at": messages.utc_iso(effective)}]})
    synced(office, till)
    assert till.products()["MILK"]["price"] == 380
    office.broker.stop()  # the store is cut off before the price is due
    actor = till.login()
    till.open_shift(actor)
    assert till.sell(actor, [MILK]).total == 380
    wait_for(lambda: till.products()["MILK"]["price"] == 333, timeout=10, message="the scheduled price")
    assert datetime.now(timezone.utc).replace(tzinfo=None) >= effective
    assert till.sell(actor, [MILK]).total == 333
    office.broker.start()
    wait_for(lambda: till.backlog() == 0, timeout=20, message="the outbox to drain")
    amounts = sorted(r.amount for r in office.records("s1") if r.kind == "sale")
    assert amounts == [333, 380]
    assert office.call("GET", "/api/stores/s1")["store"]["catalog_version"] == till.catalog_version()


def test_the_broker_refuses_what_a_device_may_not_do(fleet_factory, till_factory):
    office = fleet_factory().start()
    mine, _other = stores(office, till_factory, "s1", "s2", agents=False)
    identity = mine.enroll(office)
    received = []
    client = MqttClient(BrokerAddress("127.0.0.1", identity.broker_port), identity.username,
                        username=identity.username, password=identity.password)
    client.subscribe(messages.store_catalog_topic("s1"), received.append)
    client.subscribe(f"{messages.ROOT}/store/s2/#", received.append)
    client.subscribe(messages.down_topic("s2", "till-1", "#"), received.append)
    client.start()
    try:
        assert client.wait_connected(5)
        record = {"v": 1, "kind": "sale", "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "store_id": "s2",
                  "device_id": "till-1", "total": 1}
        forged = RecordBatch.encode_raw([json.dumps(record)])
        # publishing under another device's topic, or into head office's, is refused
        not_authorized = 135
        assert client.publish_and_wait(messages.up_topic("s2", "till-1", "records"), forged) == not_authorized
        assert client.publish_and_wait(messages.store_catalog_topic("s1"), b"{}") == not_authorized
        assert client.publish_and_wait(messages.down_topic("s1", "till-1", "ack"), b"{}") == not_authorized
        assert client.publish_and_wait(messages.up_topic("s1", "till-1", "status"),
                                       messages.DeviceStatus("offline", "s1", "till-1").encode()) == 0
        # reading another store's catalog or another device's topics is refused: Mosquitto's
        # ACL file accepts the subscription but never delivers a message the device may not read
        office.call("POST", "/api/catalog/prices", {"prices": [{"sku": "COLA", "price": 320}]})
        office.call("PUT", "/api/stores/s2/cashiers", {"cashiers": [{"code": "1003", "name": "x", "pin": "1234"}]})
        wait_for(lambda: any(m.topic == messages.store_catalog_topic("s1") for m in received),
                 message="the own store's change set")
        office.publisher.client.publish_and_wait(messages.down_topic("s2", "till-1", "ack"), b"{}")
        time.sleep(0.5)
        assert {m.topic for m in received} == {messages.store_catalog_topic("s1")}
    finally:
        client.stop()
    assert office.records("s2") == []
    # head office's view of s2 was not touched by the forged status either
    assert office.call("GET", "/api/stores/s2/devices/till-1")["device"]["status"] is None
