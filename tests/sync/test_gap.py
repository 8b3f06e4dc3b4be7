"""A store away for longer than the broker queues for it catches up by a snapshot."""

from .conftest import wait_for

CHANGES = 12


def test_a_store_offline_through_more_change_sets_than_the_broker_queues_catches_up(broker_factory, fleet_factory,
                                                                                      till_factory):
    # the broker keeps at most 2 in flight + 3 queued messages for a device that is away,
    # and head office replays at most 4 change sets before it sends a snapshot instead
    broker = broker_factory(max_queued=3, max_inflight=2)
    office = fleet_factory(broker, replay_limit=4).start()
    office.add_store("s1")
    office.seed_catalog(["s1"])
    till = till_factory("s1")
    till.enroll(office)
    till.start_agent()
    wait_for(lambda: till.catalog_version() == office.version("s1"), message="the first snapshot")
    start = till.catalog_version()
    till.stop_agent()  # the store goes dark; its session (and queue) stays on the broker

    for n in range(CHANGES):
        office.call("POST", "/api/catalog/prices", {"prices": [{"sku": "COLA", "price": 300 + n}]})
    office.call("PUT", "/api/catalog/products", {"products": [
        {"sku": "TEA", "name": "乌龙茶", "price": 600, "tax_class": "standard", "barcodes": ["6901234567892"]},
        {"sku": "CHIPS", "name": "Lay's chips 70g", "price": 750, "tax_class": "standard", "active": False}]})
    final = office.version("s1")
    assert final == start + CHANGES + 1
    wait_for(lambda: office.call("GET", "/api/stores/s1")["store"]["catalog_version"] == final)

    till.start_agent()
    wait_for(lambda: till.catalog_version() == final, timeout=20, message="the store to catch up")
    log = till.ctx.sql("SELECT version, kind FROM catalog_change_log WHERE version > ? ORDER BY id",
                       (start,)).fetchall()
    # change sets from the broker's queue (at most 2 + 3) and, depending on timing, a head
    # office replay (at most 4) may be applied first; the rest were lost there, and a snapshot
    # closed the gap. The broker may also drop the oldest queued one, so that the first to
    # arrive is already a gap (seen in CI: 7, 8, 9 after 5) and only the snapshot is applied.
    assert log[-1] == (final, "snapshot")
    changesets = [version for version, kind in log if kind == "changeset"]
    assert len(changesets) <= 5 + 4 and changesets == list(range(start + 1, start + 1 + len(changesets)))
    with office.ctx.db.connection_context():
        from fleet_server.catalog import catalog_content

        expected = catalog_content("s1")
    assert expected["version"] == till.catalog_version()
    assert till.products() == expected["products"]
    assert till.products()["COLA"]["price"] == 300 + CHANGES - 1
    assert till.products()["CHIPS"]["active"] is False and till.products()["TEA"]["barcodes"] == ["6901234567892"]
    # head office knows the store caught up
    wait_for(lambda: office.call("GET", "/api/stores/s1/devices/till-1")["device"]["catalog_version"] == final)


def test_a_small_gap_is_closed_by_replaying_the_missing_change_sets(broker_factory, fleet_factory, till_factory):
    broker = broker_factory(max_queued=2, max_inflight=2)
    office = fleet_factory(broker, replay_limit=50).start()
    office.add_store("s1")
    office.seed_catalog(["s1"])
    till = till_factory("s1")
    till.enroll(office)
    till.start_agent()
    wait_for(lambda: till.catalog_version() == office.version("s1"), message="the first snapshot")
    start = till.catalog_version()
    till.stop_agent()
    for n in range(6):
        office.call("POST", "/api/catalog/prices", {"prices": [{"sku": "COLA", "price": 400 + n}]})
    final = office.version("s1")
    till.start_agent()
    wait_for(lambda: till.catalog_version() == final, timeout=20, message="the store to catch up")
    kinds = [kind for _v, kind in till.ctx.sql("SELECT version, kind FROM catalog_change_log WHERE version > ?",
                                               (start,))]
    assert kinds == ["changeset"] * (final - start)
    assert till.products()["COLA"]["price"] == 405
