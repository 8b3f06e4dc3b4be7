import pytest

from appliance.errors import Conflict, NotFound, OverrideRequired, ValidationError
from appliance.models import AuditEntry, Outbox, Product, StockMove
from appliance.services import refunds, sales, stock

from .conftest import CHIPS, COLA, MANAGER_OK, make_config, login, seed, sell


def pid(sku):
    return Product.get(Product.sku == sku).id


def test_stock_follows_receipt_sale_refund_and_adjustment(till, cashier, manager, shift):
    receipt = stock.receive_goods(till, manager, supplier="Coca-Cola 中粮", reference="PO-1",
                                  lines=[{"code": COLA, "qty_milli": 24_000, "cost_price": 175}])
    assert stock.on_hand(till, pid("COLA")) == 24_000
    assert Product.get(Product.sku == "COLA").cost_price == 175
    assert Outbox.get(Outbox.record_uuid == receipt["uuid"]).kind == "goods_receipt"
    sale = sell(till, cashier, [COLA, COLA, COLA])
    assert stock.on_hand(till, pid("COLA")) == 21_000
    refunds.create_refund(till, cashier, sale_uuid=sale.uuid, reason="x",
                          lines=[{"line_id": sales.lines_of(sale)[0].id, "qty_milli": 1000}])
    assert stock.on_hand(till, pid("COLA")) == 22_000
    stock.adjust(till, manager, {"code": COLA}, -2000, "broken bottles")
    assert stock.on_hand(till, pid("COLA")) == 20_000
    kinds = [m.kind for m in StockMove.select().where(StockMove.product == pid("COLA")).order_by(StockMove.id)]
    assert kinds == ["receipt", "sale", "refund", "adjustment"]
    assert sum(m.qty_milli for m in StockMove.select().where(StockMove.product == pid("COLA"))) == 20_000


def test_receipts_and_adjustments_need_a_manager(till, cashier):
    with pytest.raises(OverrideRequired):
        stock.receive_goods(till, cashier, supplier="x", lines=[{"code": COLA, "qty_milli": 1000}])
    with pytest.raises(OverrideRequired):
        stock.adjust(till, cashier, {"code": COLA}, 1000, "found")
    stock.adjust(till, cashier, {"code": COLA}, 1000, "found", override=MANAGER_OK)
    assert AuditEntry.get(AuditEntry.action == "stock.adjust").approved_by.code == "2001"


@pytest.mark.parametrize("lines, code", [
    ([{"code": COLA, "qty_milli": 0}], "invalid_quantity"),
    ([{"code": COLA, "qty_milli": 1500}], "invalid_quantity"),
    ([{"code": COLA, "qty_milli": 1000, "cost_price": -1}], "invalid_amount"),
    ([{"code": "NOPE", "qty_milli": 1000}], "unknown_barcode"),
    ([], "invalid"),
])
def test_bad_goods_receipt_changes_nothing(till, manager, lines, code):
    with pytest.raises((ValidationError, NotFound)) as info:
        stock.receive_goods(till, manager, supplier="x", lines=[{"code": CHIPS, "qty_milli": 1000}, *lines]
                            if lines else [])
    assert info.value.code == code
    assert StockMove.select().count() == 0


def test_low_stock_alert_list(till, manager):
    stock.set_threshold(till, manager, pid("COLA"), 5000)
    stock.set_threshold(till, manager, pid("CHIPS"), 2000)
    stock.receive_goods(till, manager, supplier="x", lines=[{"code": COLA, "qty_milli": 6000},
                                                              {"code": CHIPS, "qty_milli": 1000}])
    assert [row["sku"] for row in stock.low_stock(till)] == ["CHIPS"]
    stock.adjust(till, manager, {"code": COLA}, -1000, "count")
    assert [row["sku"] for row in stock.low_stock(till)] == ["CHIPS", "COLA"]


def test_stock_take_by_scanning_variance_and_apply(till, manager):
    stock.receive_goods(till, manager, supplier="x", lines=[{"code": COLA, "qty_milli": 10_000, "cost_price": 180},
                                                              {"code": CHIPS, "qty_milli": 5000, "cost_price": 480}])
    take = stock.start_stock_take(till, manager, "monthly")
    with pytest.raises(Conflict):
        stock.start_stock_take(till, manager)
    for _ in range(3):
        stock.count(till, manager, take.uuid, {"code": COLA})  # each scan counts one
    stock.count(till, manager, take.uuid, {"code": COLA}, 9000, mode="set")
    stock.count(till, manager, take.uuid, {"code": CHIPS}, 6000, mode="set")
    with pytest.raises(NotFound):
        stock.count(till, manager, take.uuid, {"code": "NOPE"})
    report = stock.variance(till, take.uuid)
    lines = {line["sku"]: line for line in report["lines"]}
    assert (lines["COLA"]["expected_milli"], lines["COLA"]["counted_milli"], lines["COLA"]["variance_milli"]) == \
        (10_000, 9000, -1000)
    assert lines["COLA"]["variance_value"] == -180 and lines["CHIPS"]["variance_value"] == 480
    applied = stock.apply_stock_take(till, manager, take.uuid)
    assert applied["status"] == "applied" and applied["total_variance_value"] == 300
    assert stock.on_hand(till, pid("COLA")) == 9000 and stock.on_hand(till, pid("CHIPS")) == 6000
    with pytest.raises(Conflict):
        stock.count(till, manager, take.uuid, {"code": COLA})
    assert Outbox.get(Outbox.record_uuid == take.uuid).kind == "stock_take"
    assert stock.variance(till, take.uuid)["status"] == "applied"  # the stored report


def test_stock_take_of_nothing_cannot_be_applied(till, manager):
    take = stock.start_stock_take(till, manager)
    with pytest.raises(Conflict):
        stock.apply_stock_take(till, manager, take.uuid)
    stock.cancel_stock_take(till, manager, take.uuid)
    stock.start_stock_take(till, manager)  # a new one can start


def test_store_can_refuse_selling_below_zero(tmp_path, clock):
    from appliance.app import open_till

    till = open_till(make_config(tmp_path, store={"allow_negative_stock": False}), clock=clock)
    seed(till)
    actor = login(till, "1001")
    from appliance.services import shifts, auth

    shifts.open_shift(till, actor, 0)
    manager = auth.Actor(auth.Cashier.get(auth.Cashier.code == "2001"))
    stock.receive_goods(till, manager, supplier="x", lines=[{"code": COLA, "qty_milli": 1000}])
    sale = sales.start_sale(till, actor)
    sales.add_item(till, actor, sale.uuid, code=COLA)
    with pytest.raises(Conflict) as info:
        sales.add_item(till, actor, sale.uuid, code=COLA)
    assert info.value.code == "out_of_stock"
    assert sales.lines_of(sale)[0].qty_milli == 1000
    till.db.close()
