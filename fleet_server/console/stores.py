"""Console pages for stores and devices: the list, a store with its devices' health,
enrollment tokens (text and QR code), revoking a device."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from markupsafe import Markup

from fleetpos.messages import utc_iso

from .. import enrollment, stores
from ..auth import require
from ..errors import FleetError
from ..models import Store

bp = Blueprint("console_stores", __name__, url_prefix="/console")


def _config():
    return current_app.extensions["fleetpos.fleet"].config


def _page(name: str, status: int = 200, **values):
    return render_template(f"console/{name}", active="stores", **values), status


def _list(error: str | None = None, form: dict | None = None, status: int = 200):
    region = request.args.get("region") or None
    group = request.args.get("group") or None
    query = stores.stores_query(region=region, group=group, search=(request.args.get("q") or "")[:64] or None)
    views = stores.store_views(list(query))
    regions = sorted({r.region for r in Store.select(Store.region).distinct() if r.region})
    groups = sorted({g.group for g in Store.select(Store.group).distinct() if g.group})
    return _page("stores.html", status, stores=views, alerts=stores.alerts(_config()), error=error, form=form or {},
                 regions=regions, groups=groups, region=region or "", group=group or "",
                 q=request.args.get("q", "")[:64])


@bp.get("/stores")
@require("stores.read")
def list_stores():
    return _list()


@bp.post("/stores")
@require("stores.write")
def create_store():
    form = {key: request.form.get(key, "").strip() for key in ("id", "name", "region", "group")}
    try:
        store = stores.create_store(form["id"], form["name"], region=form["region"], group=form["group"])
    except FleetError as exc:
        return _list(exc.message, form, exc.status)
    return redirect(f"/console/stores/{store.id}?notice=Store {store.id} created")


def _detail(store_id: str, *, error: str | None = None, status: int = 200, token: dict | None = None):
    store = stores.get_store(store_id)
    return _page("store.html", status, store=stores.store_view(store), error=error, token=token,
                 heartbeat_refresh=10 if token is None else 0)


@bp.get("/stores/<store_id>")
@require("stores.read")
def show_store(store_id):
    return _detail(store_id)


@bp.post("/stores/<store_id>")
@require("stores.write")
def update_store(store_id):
    fields = ("name", "region", "group", "timezone", "locale", "currency")
    changes = {key: request.form.get(key, "").strip() for key in fields if key in request.form}
    try:
        stores.update_store(store_id, changes)
    except FleetError as exc:
        if exc.status == 404:
            raise
        return _detail(store_id, error=exc.message, status=exc.status)
    return redirect(f"/console/stores/{store_id}?notice=Store saved")


@bp.post("/stores/<store_id>/tokens")
@require("stores.write")
def issue_token(store_id):
    try:
        device, token, expires_at = stores.issue_token(_config(), store_id, request.form.get("device_id", "").strip())
    except FleetError as exc:
        if exc.status == 404:
            raise
        return _detail(store_id, error=exc.message, status=exc.status)
    enroll_file = stores.enroll_file_text(request.host_url, token)
    return _detail(store_id, token={"device_id": device.device_id, "token": token, "expires_at": utc_iso(expires_at),
                                    "enroll_file": enroll_file, "qr_svg": Markup(stores.qr_svg(enroll_file))})


@bp.post("/stores/<store_id>/devices/<device_id>/revoke")
@require("stores.write")
def revoke_device(store_id, device_id):
    stores.revoke_device(_config(), store_id, device_id)
    return redirect(f"/console/stores/{store_id}?notice=Device {device_id} revoked")


@bp.get("/stores/<store_id>/devices/<device_id>")
@require("stores.read")
def show_device(store_id, device_id):
    device = enrollment.get_device(store_id, device_id)
    return _page("device.html", device=stores.device_view(device), store=device.store,
                 raw_status=device.last_status or "")


def human_bytes(value) -> str:
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


@bp.app_template_filter("bytes")
def _bytes_filter(value):
    return human_bytes(value)


@bp.app_template_filter("when")
def _when_filter(value):
    """'2026-12-05T06:01:02Z' -> '2026-12-05 06:01:02 UTC'."""
    if not value:
        return "never"
    return str(value).replace("T", " ").split(".")[0].rstrip("Z") + " UTC"


