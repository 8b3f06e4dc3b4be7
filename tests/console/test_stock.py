"""Stock at head office from the moves the tills sent over a real Mosquitto: on hand per
store, low stock, stock-take variances; and group prices reaching only the group's tills."""

from appliance.services import stock as till_stock

from fleet_server import stock

from tests.sync.conftest import CHIPS, COLA, MILK, wait_for


def _tills(office, till_factory, groups):
    for store_id, group in groups.items():
        office.call("POST", "/api/v1/stores", {"id": store_id, "name": store_id, "group": group}, expect=201)
    office.seed_catalog(list(groups))
    tills = {}
    for store_id in groups:
        till = till_factory(store_id)
        till.enroll(office)
        till.start_agent()
        tills[store_id] = till
    for store_id, till in tills.items():
        version = office.version(store_id)
        wait_for(lambda: till.catalog_version() == version, message=f"{store_id} to get its catalog")
    return tills


def test_on_hand_low_stock_and_stock_take_variances_from_the_tills(fleet_factory, till_factory):
    office = fleet_factory().start()
    till = _tills(office, till_factory, {"s1": ""})["s1"]
    ctx = till.use()
    manager = till.login("2001")
    till.open_shift(manager)
    till_stock.receive_goods(ctx, manager, supplier="Metro", lines=[
        {"code": COLA, "qty_milli": 24000, "cost_price": 180}, {"code": CHIPS, "qty_milli": 6000, "cost_price": 400},
        {"code": MILK, "qty_milli": 10000}])
    till.sell(manager, [COLA, COLA, CHIPS, CHIPS])
    till_stock.adjust(ctx, manager, {"code": MILK}, -1000, "broken carton")
    take = till_stock.start_stock_take(ctx, manager, "month end")
    till_stock.count(ctx, manager, take.uuid, {"code": COLA}, 21000, mode="set")  # expected 22: one missing
    till_stock.count(ctx, manager, take.uuid, {"code": CHIPS}, 4000, mode="set")  # as expected
    till_stock.apply_stock_take(ctx, manager, take.uuid)
    wait_for(lambda: till.backlog() == 0, timeout=20, message="every record acked")

    with office.ctx.db.connection_context():
        # MILK was received and adjusted but never sold: the moves' own SKU names it
        levels = {r["sku"]: r["qty_milli"] for r in stock.on_hand("s1")}
        assert levels == {"COLA": 21000, "CHIPS": 4000, "MILK": 9000}
        assert [r["name"] for r in stock.on_hand("s1", sku="MILK")] == ["蒙牛纯牛奶"]
    till.sell(manager, [MILK])
    wait_for(lambda: till.backlog() == 0, timeout=20, message="the sale acked")
    with office.ctx.db.connection_context():
        levels = {r["sku"]: r["qty_milli"] for r in stock.on_hand("s1")}
        assert levels == {"COLA": 21000, "CHIPS": 4000, "MILK": 8000}
        till_levels = dict(ctx.sql("SELECT p.sku, l.qty_milli FROM stock_level l JOIN product p ON p.id = l.product_id"))
        assert till_levels == levels  # head office agrees with the till
        assert [r["sku"] for r in stock.low_stock("s1", 5000)] == ["CHIPS"]
        takes = stock.stock_take_variances("s1")
        assert len(takes) == 1
        lines = {line["sku"]: line for line in takes[0]["lines"]}
        assert lines["COLA"]["variance_milli"] == -1000 and lines["CHIPS"]["variance_milli"] == 0
        assert takes[0]["total_variance_value"] == lines["COLA"]["variance_value"] == -180
    page = office.call("GET", "/api/v1/stock/low?store=s1&below_milli=5000")
    assert [r["sku"] for r in page["items"]] == ["CHIPS"]


def test_a_group_price_reaches_only_the_groups_tills(fleet_factory, till_factory):
    office = fleet_factory().start()
    tills = _tills(office, till_factory, {"s1": "north", "s2": "north", "s3": "south"})
    versions = office.call("POST", "/api/v1/catalog/prices",
                           {"prices": [{"sku": "COLA", "group": "north", "price": 280}]})["versions"]
    assert set(versions) == {"s1", "s2"}
    for store_id in ("s1", "s2"):
        wait_for(lambda: tills[store_id].catalog_version() == versions[store_id], message=f"{store_id} to update")
        assert tills[store_id].products()["COLA"]["price"] == 280
    # the south store got no change set and still sells at the chain price
    assert tills["s3"].catalog_version() == office.version("s3")
    assert tills["s3"].products()["COLA"]["price"] == 300
    actor = tills["s1"].login()
    tills["s1"].open_shift(actor)
    assert tills["s1"].sell(actor, [COLA]).total == 280


def test_a_store_moved_to_another_group_sells_at_the_new_groups_price(fleet_factory, till_factory):
    office = fleet_factory().start()
    tills = _tills(office, till_factory, {"s1": "north", "s2": "south"})
    office.call("POST", "/api/v1/catalog/prices", {"prices": [{"sku": "COLA", "group": "south", "price": 260}]})
    wait_for(lambda: tills["s2"].products()["COLA"]["price"] == 260, message="the south price at s2")
    assert tills["s1"].products()["COLA"]["price"] == 300
    # the publisher notices the move (however the group was changed) and sends s1 its new price
    office.call("PATCH", "/api/v1/stores/s1", {"group": "south"})
    wait_for(lambda: tills["s1"].products()["COLA"]["price"] == 260, timeout=15, message="s1 to get the south price")


def _old_record(kind, uuid, moves, **extra):
    """A record as tills before the stock moves' SKU sent it."""
    return {"v": 1, "kind": kind, "uuid": uuid, "store_id": "s1", "device_id": "till-1",
            "at": "2026-12-05T02:00:00Z", "stock_moves": moves, **extra}


def test_stock_moves_without_a_sku_from_older_tills_still_count(tmp_path):
    from fleet_server.db import open_database, write_transaction
    from fleet_server.ingest import Incoming, store_records
    from fleet_server.models import Store
    from fleetpos.messages import Record

    database = open_database(f"sqlite:///{tmp_path}/office.db")
    receipt = _old_record("goods_receipt", "0193a0c0-0000-7000-8000-0000000000a1",
                          [{"uuid": "0193a0c0-0000-7000-8000-0000000000b1", "product_id": 7, "qty_milli": 5000}],
                          number="till-1-G000001", supplier="Metro", cashier="2001")
    newer = _old_record("stock_adjustment", "0193a0c0-0000-7000-8000-0000000000a2",
                        [{"uuid": "0193a0c0-0000-7000-8000-0000000000b2", "product_id": 8, "sku": "TEA",
                          "qty_milli": 2000}], cashier="2001")
    with database.connection_context():
        Store.create(id="s1", name="s1")
        with write_transaction(database):
            store_records([Incoming("s1", "till-1", records=[Record.from_payload(r) for r in (receipt, newer)])])
        levels = {r["sku"]: r["qty_milli"] for r in stock.on_hand("s1")}
        # the old record's move is counted under the till's id until something names it
        assert levels == {"till product 7": 5000, "TEA": 2000}
        later = _old_record("stock_adjustment", "0193a0c0-0000-7000-8000-0000000000a3",
                            [{"uuid": "0193a0c0-0000-7000-8000-0000000000b3", "product_id": 7, "sku": "MILK",
                              "qty_milli": -1000}], cashier="2001")
        with write_transaction(database):
            store_records([Incoming("s1", "till-1", records=[Record.from_payload(later)])])
        assert {r["sku"]: r["qty_milli"] for r in stock.on_hand("s1")} == {"MILK": 4000, "TEA": 2000}
    database.close()
