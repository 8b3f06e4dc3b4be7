"""/api/v1/sales: search sales and refunds across stores, one record, its receipt."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from fleetpos.messages import MessageError, check_timezone

from ... import receipts, sales
from ...auth import require
from ...errors import FleetError
from .common import PAGE_PARAMETERS, operation, page_of, paginate, path_param, query_param, ref, text_arg

bp = Blueprint("api_v1_sales", __name__, url_prefix="/api/v1")


def search_args() -> dict:
    return {"kind": request.args.get("kind", "sale"), "store": text_arg("store", 64),
            "date_from": text_arg("from", 10), "date_to": text_arg("to", 10), "receipt": text_arg("receipt", 64),
            "cashier": text_arg("cashier", 16), "sku": text_arg("sku", 64)}


@bp.get("/sales")
@require("sales.read")
def search():
    return paginate(sales.search_query(**search_args()), sales.summarize)


@bp.get("/sales/<record_uuid>")
@require("sales.read")
def get_sale(record_uuid):
    record = sales.get_record(record_uuid)
    refunds = sales.refunds_of(record_uuid) if record["kind"] == "sale" else []
    return jsonify({"record": record, "refunds": refunds})


def receipt_options() -> dict:
    """language/timezone as asked for; those not given are the store's (receipts.render)."""
    language = request.args.get("language") or None
    if language not in (None, "zh-CN", "en"):
        raise FleetError("language must be zh-CN or en", code="invalid_query")
    timezone = request.args.get("timezone") or None
    if timezone is not None:
        try:
            check_timezone(timezone)
        except MessageError:
            raise FleetError(f"unknown timezone {timezone[:64]!r}", code="invalid_query") from None
    return {"language": language, "timezone": timezone}


@bp.get("/sales/<record_uuid>/receipt")
@require("sales.read")
def receipt(record_uuid):
    fmt = request.args.get("format", "text")
    if fmt not in ("text", "png"):
        raise FleetError("format must be text or png", code="invalid_format")
    rendered = receipts.render(record_uuid, **receipt_options())
    if fmt == "png":
        return Response(rendered.png(), mimetype="image/png")
    return Response(rendered.text, mimetype="text/plain; charset=utf-8")


_KIND = query_param("kind", {"type": "string", "enum": ["sale", "refund"], "default": "sale"})
_FILTERS = [_KIND, query_param("store", {"type": "string", "maxLength": 64}),
            query_param("from", {"type": "string", "format": "date"}, "first day (the store's local day)"),
            query_param("to", {"type": "string", "format": "date"}, "last day (the store's local day)"),
            query_param("receipt", {"type": "string", "maxLength": 64}, "receipt or refund number contains"),
            query_param("cashier", {"type": "string", "maxLength": 16}, "cashier code"),
            query_param("sku", {"type": "string", "maxLength": 64}, "only those with a line of this product")]
_UUID = path_param("record_uuid", {"type": "string", "maxLength": 36}, "the sale's or refund's UUID")

OPENAPI_SCHEMAS = {
    "SaleSummary": {"type": "object", "required": ["uuid", "kind", "store_id", "at", "total"], "properties": {
        "uuid": {"type": "string"}, "kind": {"type": "string", "enum": ["sale", "refund"]},
        "store_id": {"type": "string"}, "device_id": {"type": "string"},
        "receipt_no": {"type": ["string", "null"]}, "number": {"type": "string"},
        "sale_uuid": {"type": ["string", "null"]}, "cashier": {"type": "string"}, "at": {"type": "string"},
        "currency": {"type": "string"}, "lines": {"type": "integer"}, "total": {"type": "integer"},
        "tax_total": {"type": "integer"}, "payout": {"type": "integer"}, "reason": {"type": ["string", "null"]}}},
}

OPENAPI_PATHS = {
    "/api/v1/sales": {
        "get": operation("Search sales (or refunds, kind=refund) across stores, newest first", "sales.read",
                         {200: ("a page of sales", page_of("SaleSummary"))}, parameters=PAGE_PARAMETERS + _FILTERS,
                         tag="sales", operation_id="searchSales"),
    },
    "/api/v1/sales/{record_uuid}": {
        "get": operation("A sale or refund as the till sent it, with the sale's refunds", "sales.read",
                         {200: ("the record", {"type": "object", "required": ["record", "refunds"], "properties": {
                             "record": {"type": "object"}, "refunds": {"type": "array",
                                                                       "items": ref("SaleSummary")}}})},
                         parameters=[_UUID], tag="sales", operation_id="getSale"),
    },
    "/api/v1/sales/{record_uuid}/receipt": {
        "get": operation("The receipt as the till printed it (text or PNG)", "sales.read", {200: ("the receipt", None)},
                         parameters=[_UUID, query_param("format", {"type": "string", "enum": ["text", "png"]}),
                                     query_param("language", {"type": "string", "enum": ["zh-CN", "en"]}),
                                     query_param("timezone", {"type": "string", "maxLength": 64})],
                         tag="sales", operation_id="getReceipt"),
    },
}

# a store, product, import or record named in the path or query that does not exist
for _operations in OPENAPI_PATHS.values():
    for _operation in _operations.values():
        _operation["responses"].setdefault("404", {"description": "no such store, product or record",
                                                   "content": {"application/json": {
                                                       "schema": {"$ref": "#/components/schemas/Error"}}}})
