"""What the till's records and status carry for head office: every stock move names its
product's SKU (sale, refund, goods receipt, adjustment, stock take), a sale line and a
refund line their cost when sold, and the status the store's time zone, locale and currency."""

from appliance.models import Outbox
from appliance.services import refunds, sales, stock
from appliance.sync.status import current_status

from .conftest import CHIPS, COLA, MILK, make_config, sell


def _sku_of(till, product_id):
    return till.sql("SELECT sku FROM product WHERE id = ?", (product_id,)).fetchone()[0]


def test_every_stock_move_in_every_record_names_its_products_sku(till, cashier, manager, shift):
    sale = sell(till, cashier, [COLA, CHIPS, CHIPS])
    chips_line = {line.sku: line.id for line in sales.lines_of(sale)}["CHIPS"]
    refunds.create_refund(till, cashier, receipt_no=sale.receipt_no, reason="damaged",
                          lines=[{"line_id": chips_line, "qty_milli": 1000, "restock": True}])
    stock.receive_goods(till, manager, supplier="Metro", lines=[{"code": MILK, "qty_milli": 6000, "cost_price": 250}])
    stock.adjust(till, manager, {"code": MILK}, -1000, "broken carton")
    take = stock.start_stock_take(till, manager)
    stock.count(till, manager, take.uuid, {"code": MILK}, 4000, mode="set")
    stock.apply_stock_take(till, manager, take.uuid)
    kinds = {}
    for row in Outbox.select().where(Outbox.kind != "audit"):
        for move in row.payload.get("stock_moves") or []:
            kinds.setdefault(row.kind, []).append(move["sku"])
            assert move["sku"] == _sku_of(till, move["product_id"]), (row.kind, move)
    assert kinds == {"sale": ["COLA", "CHIPS"], "refund": ["CHIPS"], "goods_receipt": ["MILK"],
                     "stock_adjustment": ["MILK"], "stock_take": ["MILK"]}


def test_sale_and_refund_lines_carry_the_cost_when_sold(till, cashier, manager, shift):
    sale = sell(till, cashier, [CHIPS])
    record = Outbox.get((Outbox.kind == "sale") & (Outbox.record_uuid == sale.uuid)).payload
    assert [line["cost_price"] for line in record["lines"]] == [480]
    # the cost changes afterwards; the refund still carries the cost of the sale
    stock.receive_goods(till, manager, supplier="Metro", lines=[{"code": CHIPS, "qty_milli": 1000, "cost_price": 500}])
    line_id = sales.lines_of(sale)[0].id
    refund = refunds.create_refund(till, cashier, receipt_no=sale.receipt_no, reason="stale",
                                   lines=[{"line_id": line_id, "qty_milli": 1000}])
    record = Outbox.get((Outbox.kind == "refund") & (Outbox.record_uuid == refund.uuid)).payload
    assert [line["cost_price"] for line in record["lines"]] == [480]


def test_the_status_carries_the_stores_time_zone_locale_and_currency(tmp_path):
    from appliance.app import open_till

    ctx = open_till(make_config(tmp_path, store={"timezone": "Europe/Berlin", "locale": "de-DE",
                                                 "currency": "EUR"}))
    try:
        status = current_status(ctx, "s1", "till-1", 30)
        assert (status.timezone, status.locale, status.currency) == ("Europe/Berlin", "de-DE", "EUR")
    finally:
        ctx.db.close()
