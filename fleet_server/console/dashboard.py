"""The console's first page: the fleet at a glance and what needs attention."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..auth import require

bp = Blueprint("console_dashboard", __name__, url_prefix="/console")


@bp.get("/")
@require()
def dashboard():
    from .. import stores

    devices = stores.active_devices()  # read once for both
    summary = stores.fleet_summary(devices)
    alerts = stores.alerts(devices=devices)
    return render_template("console/dashboard.html", active="dashboard", summary=summary, alerts=alerts)
