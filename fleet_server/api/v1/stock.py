"""/api/v1/stock: on-hand per store from the stock moves, low stock, stock-take variances."""

from __future__ import annotations

from flask import Blueprint

from ... import stock
from ...auth import require
from .common import PAGE_PARAMETERS, _int_arg, operation, page_of, paginate_list, query_param, text_arg

bp = Blueprint("api_v1_stock", __name__, url_prefix="/api/v1")


@bp.get("/stock/on-hand")
@require("stock.read")
def on_hand():
    return paginate_list(stock.on_hand(text_arg("store", 64), sku=text_arg("sku", 64)))


@bp.get("/stock/low")
@require("stock.read")
def low():
    below = _int_arg("below_milli", stock.DEFAULT_LOW_MILLI, 0, 10 ** 12)
    return paginate_list(stock.low_stock(text_arg("store", 64), below))


@bp.get("/stock/stock-takes")
@require("stock.read")
def stock_takes():
    return paginate_list(stock.stock_take_variances(text_arg("store", 64), date_from=text_arg("from", 10),
                                                    date_to=text_arg("to", 10)))


_STORE = query_param("store", {"type": "string", "maxLength": 64}, "one store only")
OPENAPI_SCHEMAS = {
    "StockLevel": {"type": "object", "required": ["store_id", "sku", "qty_milli"], "properties": {
        "store_id": {"type": "string"}, "sku": {"type": "string"}, "name": {"type": "string"},
        "unit": {"type": "string"}, "qty_milli": {"type": "integer"}, "value": {"type": ["integer", "null"]},
        "last_move_at": {"type": ["string", "null"]}}},
    "StockTake": {"type": "object", "required": ["uuid", "store_id", "lines"], "properties": {
        "uuid": {"type": "string"}, "store_id": {"type": "string"}, "applied_at": {"type": "string"},
        "total_variance_value": {"type": "integer"}, "lines": {"type": "array", "items": {"type": "object"}}}},
}
OPENAPI_PATHS = {
    "/api/v1/stock/on-hand": {
        "get": operation("Stock on hand per store and product", "stock.read",
                         {200: ("a page", page_of("StockLevel"))},
                         parameters=PAGE_PARAMETERS + [_STORE, query_param("sku", {"type": "string", "maxLength": 64})],
                         tag="stock", operation_id="stockOnHand"),
    },
    "/api/v1/stock/low": {
        "get": operation("Products below a quantity (default 5 units), lowest first", "stock.read",
                         {200: ("a page", page_of("StockLevel"))},
                         parameters=PAGE_PARAMETERS + [_STORE, query_param(
                             "below_milli", {"type": "integer", "minimum": 0, "maximum": 10 ** 12})],
                         tag="stock", operation_id="lowStock"),
    },
    "/api/v1/stock/stock-takes": {
        "get": operation("Applied stock takes with their variances", "stock.read",
                         {200: ("a page", page_of("StockTake"))},
                         parameters=PAGE_PARAMETERS + [_STORE,
                                                       query_param("from", {"type": "string", "format": "date"}),
                                                       query_param("to", {"type": "string", "format": "date"})],
                         tag="stock", operation_id="stockTakes"),
    },
}

# a store, product, import or record named in the path or query that does not exist
for _operations in OPENAPI_PATHS.values():
    for _operation in _operations.values():
        _operation["responses"].setdefault("404", {"description": "no such store, product or record",
                                                   "content": {"application/json": {
                                                       "schema": {"$ref": "#/components/schemas/Error"}}}})
