from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import NotFound, ValidationError
from ..models import Sale
from ..services import payments, sales
from ..services.views import line_view, sale_view
from .common import actor, body, int_arg, override, till

bp = Blueprint("sales", __name__, url_prefix="/api")


def _sale(sale, status=200, **extra):
    return jsonify({"sale": sale_view(till(), sale), **extra}), status


@bp.get("/sale/current")
def current():
    actor()
    sale = sales.current_sale(till())
    return jsonify({"sale": sale_view(till(), sale) if sale else None})


@bp.post("/sales")
def start():
    return _sale(sales.start_sale(till(), actor()), 201)


@bp.get("/sales")
def list_sales():
    actor()
    status = request.args.get("status", "parked")
    if status not in ("open", "parked", "completed", "voided"):
        raise ValidationError("status must be open, parked, completed or voided", code="invalid")
    query = (Sale.select().where((Sale.device_id == till().device_id) & (Sale.status == status))
             .order_by(Sale.updated_at.desc()).limit(int_arg("limit", 50, 1, 500)))
    return jsonify({"sales": [sale_view(till(), s) for s in query]})


@bp.get("/sales/<sale_uuid>")
def get(sale_uuid):
    actor()
    return _sale(sales.get_sale(till(), sale_uuid))


@bp.get("/sales/by-receipt/<receipt_no>")
def by_receipt(receipt_no):
    actor()
    sale = Sale.get_or_none(Sale.receipt_no == receipt_no)
    if sale is None:
        raise NotFound(f"no sale with receipt number {receipt_no}", code="sale_not_found")
    return _sale(sale)


@bp.post("/sales/<sale_uuid>/lines")
def add_line(sale_uuid):
    data = body()
    line = sales.add_item(till(), actor(), sale_uuid, code=data.get("code"), product_id=data.get("product_id"),
                          qty_milli=data.get("qty_milli"))
    return _sale(sales.get_sale(till(), sale_uuid), 201, line=line_view(line))


@bp.patch("/sales/<sale_uuid>/lines/<int:line_id>")
def change_line(sale_uuid, line_id):
    data = body()
    discount = data.get("discount", ...)
    if discount is not ... and discount is not None and not isinstance(discount, dict):
        raise ValidationError("discount must be {\"kind\": ..., \"value\": ...} or null", code="invalid_discount")
    sales.change_line(till(), actor(), sale_uuid, line_id, qty_milli=data.get("qty_milli"),
                      unit_price=data.get("unit_price"), discount=discount if isinstance(discount, dict) else None,
                      clear_discount=discount is None, override=override(data))
    return _sale(sales.get_sale(till(), sale_uuid))


@bp.delete("/sales/<sale_uuid>/lines/<int:line_id>")
def remove_line(sale_uuid, line_id):
    return _sale(sales.remove_line(till(), actor(), sale_uuid, line_id, override(body())))


@bp.put("/sales/<sale_uuid>/discount")
def order_discount(sale_uuid):
    data = body()
    return _sale(sales.set_order_discount(till(), actor(), sale_uuid, data.get("kind"), data.get("value"),
                                          override(data)))


@bp.delete("/sales/<sale_uuid>/discount")
def clear_order_discount(sale_uuid):
    return _sale(sales.set_order_discount(till(), actor(), sale_uuid, None, None, override(body())))


@bp.post("/sales/<sale_uuid>/payments")
def pay(sale_uuid):
    data = body()
    sale, payment = payments.add_payment(till(), actor(), sale_uuid, data.get("method"), data.get("amount"),
                                         data.get("reference"))
    return _sale(sale, 201, completed=sale.status == "completed", payment_id=payment.id)


@bp.delete("/sales/<sale_uuid>/payments/<int:payment_id>")
def remove_payment(sale_uuid, payment_id):
    return _sale(payments.remove_payment(till(), actor(), sale_uuid, payment_id, override(body())))


@bp.put("/sales/<sale_uuid>/receipt")
def receipt_choice(sale_uuid):
    """{"print": false}: the customer wants no printed receipt for this sale (true undoes it)."""
    wanted = body().get("print")
    return _sale(sales.set_receipt_wanted(till(), actor(), sale_uuid, wanted), print=wanted)


@bp.post("/sales/<sale_uuid>/park")
def park(sale_uuid):
    return _sale(sales.park(till(), actor(), sale_uuid))


@bp.post("/sales/<sale_uuid>/resume")
def resume(sale_uuid):
    return _sale(sales.resume(till(), actor(), sale_uuid))


@bp.post("/sales/<sale_uuid>/void")
def void(sale_uuid):
    data = body()
    return _sale(sales.void(till(), actor(), sale_uuid, data.get("reason", ""), override(data)))
