"""Members, refunds, stock and reports."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import ValidationError
from ..models import Refund, StockTake
from ..services import members, refunds, reports, stock
from ..services.auth import authorize
from ..services.catalog import get_product
from ..services.views import sale_view
from .common import actor, body, int_arg, override, till

bp = Blueprint("store", __name__, url_prefix="/api")


# -- members

@bp.get("/members/find")
def find_member():
    actor()
    member = members.find_member(request.args.get("q", ""))
    return jsonify({"member": members.member_view(member), "history": members.history(member, 20)})


@bp.post("/members")
def create_member():
    data = body()
    member = members.create_member(till(), actor(), card_no=data.get("card_no"), name=data.get("name"),
                                   phone=data.get("phone"))
    return jsonify({"member": members.member_view(member)}), 201


@bp.put("/sales/<sale_uuid>/member")
def attach_member(sale_uuid):
    data = body()
    return jsonify({"sale": sale_view(till(), members.attach(till(), actor(), sale_uuid, data.get("query")))})


@bp.delete("/sales/<sale_uuid>/member")
def detach_member(sale_uuid):
    return jsonify({"sale": sale_view(till(), members.attach(till(), actor(), sale_uuid, None))})


@bp.put("/sales/<sale_uuid>/points")
def redeem_points(sale_uuid):
    data = body()
    return jsonify({"sale": sale_view(till(), members.redeem(till(), actor(), sale_uuid, data.get("points")))})


# -- refunds

@bp.get("/refunds/sale")
def refundable():
    actor()
    sale = refunds.sale_for_refund(till(), sale_uuid=request.args.get("uuid"),
                                   receipt_no=request.args.get("receipt_no"))
    return jsonify({"sale": sale_view(till(), sale), "lines": refunds.refundable(till(), sale)})


@bp.post("/refunds")
def create_refund():
    data = body()
    if data.get("without_receipt"):
        refund = refunds.create_refund_without_receipt(till(), actor(), reason=data.get("reason"),
                                                       lines=data.get("lines"), override=override(data))
    else:
        refund = refunds.create_refund(till(), actor(), reason=data.get("reason"), sale_uuid=data.get("sale_uuid"),
                                       receipt_no=data.get("receipt_no"), lines=data.get("lines"),
                                       method=data.get("method", "original"), override=override(data))
    return jsonify({"refund": refunds.refund_view(refund)}), 201


@bp.get("/refunds/<refund_uuid>")
def get_refund(refund_uuid):
    actor()
    refund = Refund.get_or_none(Refund.uuid == refund_uuid)
    if refund is None:
        raise ValidationError(f"no refund {refund_uuid}", code="refund_not_found")
    return jsonify({"refund": refunds.refund_view(refund)})


# -- stock

@bp.get("/stock/<int:product_id>")
def stock_of(product_id):
    authorize(till(), actor(), "stock.view")
    return jsonify({"stock": stock.stock_view(till(), get_product(product_id))})


@bp.get("/stock/low")
def low_stock():
    authorize(till(), actor(), "stock.view")
    return jsonify({"products": stock.low_stock(till())})


@bp.put("/stock/<int:product_id>/threshold")
def set_threshold(product_id):
    data = body()
    product = stock.set_threshold(till(), actor(), product_id, data.get("low_stock_milli"), override(data))
    return jsonify({"stock": stock.stock_view(till(), product)})


@bp.post("/stock/receipts")
def receive():
    data = body()
    return jsonify({"receipt": stock.receive_goods(till(), actor(), supplier=data.get("supplier"),
                                                   lines=data.get("lines"), reference=data.get("reference"),
                                                   override=override(data))}), 201


@bp.post("/stock/adjustments")
def adjust():
    data = body()
    ref = {"code": data.get("code"), "product_id": data.get("product_id")}
    return jsonify({"stock": stock.adjust(till(), actor(), ref, data.get("delta_milli"), data.get("reason"),
                                          override(data))}), 201


@bp.post("/stock/takes")
def start_take():
    data = body()
    take = stock.start_stock_take(till(), actor(), data.get("note"), override(data))
    return jsonify({"stock_take": stock.variance(till(), take.uuid)}), 201


@bp.get("/stock/takes/open")
def open_take():
    authorize(till(), actor(), "stock.view")
    take = StockTake.get_or_none(StockTake.status == "open")
    return jsonify({"stock_take": stock.variance(till(), take.uuid) if take else None})


@bp.post("/stock/takes/<take_uuid>/counts")
def count(take_uuid):
    data = body()
    ref = {"code": data.get("code"), "product_id": data.get("product_id")}
    return jsonify({"count": stock.count(till(), actor(), take_uuid, ref, data.get("qty_milli"),
                                         data.get("mode", "add"))})


@bp.get("/stock/takes/<take_uuid>")
def take_variance(take_uuid):
    authorize(till(), actor(), "stock.view")
    return jsonify({"stock_take": stock.variance(till(), take_uuid)})


@bp.post("/stock/takes/<take_uuid>/apply")
def apply_take(take_uuid):
    return jsonify({"stock_take": stock.apply_stock_take(till(), actor(), take_uuid, override(body()))})


@bp.post("/stock/takes/<take_uuid>/cancel")
def cancel_take(take_uuid):
    stock.cancel_stock_take(till(), actor(), take_uuid)
    return jsonify({"ok": True})


# -- reports

@bp.get("/reports/day")
def day_report():
    authorize(till(), actor(), "report.view")
    return jsonify({"report": reports.day_report(till(), reports.parse_day(request.args.get("date"), till()))})


@bp.get("/reports/day.csv")
def day_report_csv():
    authorize(till(), actor(), "report.view")
    day = reports.parse_day(request.args.get("date"), till())
    section = request.args.get("section", "by_product")
    text = reports.report_csv(reports.day_report(till(), day), section)
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{till().store_id}-{day.isoformat()}-{section}.csv"'})
