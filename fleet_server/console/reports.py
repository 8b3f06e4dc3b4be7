"""Console pages for the sales reports (with charts) and their export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from .. import reports
from ..auth import require
from ..errors import FleetError
from ..models import Store

bp = Blueprint("console_reports", __name__, url_prefix="/console")

#: which figure each report charts
CHART_VALUE = {"store": "total", "day": "total", "hour": "total", "day_store_hour": "total", "product": "total",
               "category": "total", "cashier": "total", "payment": "net"}


#: rows shown on the page (the export has them all)
PAGE_ROWS = 500


def _args():
    return {"date_from": request.args.get("from") or None, "date_to": request.args.get("to") or None,
            "store": request.args.get("store") or None}


@bp.get("/reports")
@require("reports.read")
def report_page():
    name = request.args.get("report", "hour")
    args = _args()
    error, result, chart = None, None, None
    try:
        result = reports.run(name, **args)
        chart = reports.chart_series(result, CHART_VALUE.get(name, "total"))
    except FleetError as exc:
        error = exc.message
    # the page's default report (by hour, today) is the chart of today: run it once
    same = name == "hour" and not args["date_from"] and not args["date_to"]
    today = reports.today_by_hour(args["store"], report=result if same else None) if not error else None
    return render_template("console/reports.html", active="reports", name=name, names=reports.REPORTS,
                           result=result, chart=chart, today=today, error=error, args=args, page_rows=PAGE_ROWS,
                           stores=list(Store.select().order_by(Store.id)),
                           query_string=request.query_string.decode()), 400 if error else 200


@bp.get("/reports/export.<fmt>")
@require("reports.read")
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        raise FleetError("export as .csv or .xlsx", code="invalid_format", status=404)
    name = request.args.get("report", "hour")
    result = reports.run(name, **_args())
    data = reports.export_csv(result) if fmt == "csv" else reports.export_xlsx(result)
    mime = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"report-{name}-{result['from']}-{result['to']}.{fmt}"
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
