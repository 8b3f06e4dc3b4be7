"""Console page for stock: on hand per store, low stock, stock-take variances."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import stock
from ..auth import require
from ..errors import FleetError
from ..models import Store

bp = Blueprint("console_stock", __name__, url_prefix="/console")

#: the stock takes shown without a range: those of the last 30 days before each store's own today
STOCK_TAKE_DAYS = 30


@bp.get("/stock")
@require("stock.read")
def stock_page():
    store = request.args.get("store") or None
    error = None
    # stock takes of the last 30 days unless asked otherwise: up to each store's own today
    date_from = request.args.get("from") or None
    date_to = request.args.get("to") or None
    try:
        below = int(float(request.args.get("below") or stock.DEFAULT_LOW_MILLI / 1000) * 1000)
        levels = stock.on_hand(store)
        low = stock.low_stock(store, below)
        takes = stock.stock_take_variances(store, date_from=date_from, date_to=date_to, days_back=STOCK_TAKE_DAYS)
    except (FleetError, ValueError, OverflowError) as exc:
        error = getattr(exc, "message", None) or "below must be a quantity (e.g. 5)"
        levels, low, takes, below = [], [], [], stock.DEFAULT_LOW_MILLI
    return render_template("console/stock.html", active="stock", levels=levels, low=low, takes=takes, store=store,
                           below=below, error=error, stores=list(Store.select().order_by(Store.id)),
                           date_from=date_from, date_to=date_to), \
        400 if error else 200
