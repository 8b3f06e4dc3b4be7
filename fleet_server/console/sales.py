"""Console pages for sales and refunds across stores: search, one sale with its receipt."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import receipts, sales
from ..auth import require
from ..errors import FleetError
from ..models import Store

bp = Blueprint("console_sales", __name__, url_prefix="/console")

PAGE = 50


@bp.get("/sales")
@require("sales.read")
def search():
    args = {"kind": request.args.get("kind") or "sale", "store": request.args.get("store") or None,
            "date_from": request.args.get("from") or None, "date_to": request.args.get("to") or None,
            "receipt": (request.args.get("receipt") or "")[:64] or None,
            "cashier": (request.args.get("cashier") or "")[:16] or None,
            "sku": (request.args.get("sku") or "")[:64] or None}
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    error, rows, total = None, [], 0
    try:
        query = sales.search_query(**args)
        total = query.count()
        rows = [sales.summarize(r) for r in query.paginate(page, PAGE)]
    except FleetError as exc:
        error = exc.message
    return render_template("console/sales.html", active="sales", rows=rows, total=total, page=page, per_page=PAGE,
                           args=args, error=error, stores=list(Store.select().order_by(Store.id)),
                           query_string=request.query_string.decode()), 400 if error else 200


@bp.get("/sales/<record_uuid>")
@require("sales.read")
def sale(record_uuid):
    record = sales.get_record(record_uuid)
    language = request.args.get("language") if request.args.get("language") in ("zh-CN", "en") else None
    # the record read once, the store once: the receipt says the language it took
    receipt = receipts.receipt_of(record, language=language)
    rendered = receipts.render_receipt(receipt)
    refunds = sales.refunds_of(record_uuid) if record["kind"] == "sale" else []
    return render_template("console/sale.html", active="sales", record=record, receipt_text=rendered.text,
                           refunds=refunds, language=receipt.language)
