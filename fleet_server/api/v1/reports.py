"""/api/v1/reports: sales by store, day, hour, product, category, cashier and payment
method, with gross margin; JSON, CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ... import reports
from ...auth import require
from .catalog import export_format, file_response
from .common import operation, path_param, query_param, text_arg

bp = Blueprint("api_v1_reports", __name__, url_prefix="/api/v1")


@bp.get("/reports/<name>")
@require("reports.read")
def report(name):
    result = reports.run(name, date_from=text_arg("from", 10), date_to=text_arg("to", 10),
                         store=text_arg("store", 64))
    if request.args.get("format", "json") == "json":
        return jsonify(result)
    fmt = export_format()
    data = reports.export_csv(result) if fmt == "csv" else reports.export_xlsx(result)
    return file_response(data, f"report-{name}-{result['from']}-{result['to']}.{fmt}", fmt)


@bp.get("/reports-today")
@require("reports.read")
def today():
    return jsonify(reports.today_by_hour(text_arg("store", 64)))


_RANGE = [query_param("from", {"type": "string", "format": "date"},
                      "first day, each store's local day (default: each store's own today)"),
          query_param("to", {"type": "string", "format": "date"},
                      "last day, each store's local day (default: from, or each store's own today)"),
          query_param("store", {"type": "string", "maxLength": 64}, "one store only")]

OPENAPI_SCHEMAS = {
    "Report": {"type": "object", "required": ["report", "title", "from", "to", "columns", "rows", "totals"],
               "properties": {
                   "report": {"type": "string", "enum": list(reports.REPORTS)}, "title": {"type": "string"},
                   "from": {"type": "string"}, "to": {"type": "string"}, "store": {"type": ["string", "null"]},
                   "each_store_today": {"type": "boolean", "description": "the range starts or ends on each "
                                        "store's own today (stores in other time zones can be on other days): "
                                        "from and to are the earliest and the latest of them"},
                   "columns": {"type": "array", "items": {"type": "object", "properties": {
                       "key": {"type": "string"}, "label": {"type": "string"},
                       "type": {"type": "string", "enum": ["text", "int", "money", "qty", "bp"]}}}},
                   "rows": {"type": "array", "items": {"type": "object"}},
                   "totals": {"type": "object", "description": "no money totals when the sales are in more "
                              "than one currency"},
                   "currencies": {"type": "array", "items": {"type": "string"},
                                  "description": "the currencies of the sales and refunds covered"},
                   "warning": {"type": ["string", "null"], "description": "set when they are more than one"}}},
}

OPENAPI_PATHS = {
    "/api/v1/reports/{name}": {
        "get": operation("A sales report (format json, csv or xlsx)", "reports.read",
                         {200: ("the report", {"$ref": "#/components/schemas/Report"})},
                         parameters=[path_param("name", {"type": "string", "enum": list(reports.REPORTS)})] + _RANGE
                         + [query_param("format", {"type": "string", "enum": ["json", "csv", "xlsx"]})],
                         tag="reports", operation_id="getReport"),
    },
    "/api/v1/reports-today": {
        "get": operation("Today's takings per local hour of each store (the console's chart)", "reports.read",
                         {200: ("24 hours", {"type": "object", "properties": {
                             "day": {"type": "string"}, "labels": {"type": "array", "items": {"type": "string"}},
                             "values": {"type": "array", "items": {"type": "integer"}},
                             "sales": {"type": "array", "items": {"type": "integer"}},
                             "totals": {"type": "object"}}})},
                         parameters=[_RANGE[2]], tag="reports", operation_id="getTodayByHour"),
    },
}

# a store, product, import or record named in the path or query that does not exist
for _operations in OPENAPI_PATHS.values():
    for _operation in _operations.values():
        _operation["responses"].setdefault("404", {"description": "no such store, product or record",
                                                   "content": {"application/json": {
                                                       "schema": {"$ref": "#/components/schemas/Error"}}}})

# format=csv / format=xlsx answer the same table as a file
OPENAPI_PATHS["/api/v1/reports/{name}"]["get"]["responses"]["200"]["content"].update({
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                     "format": "binary"}}})
