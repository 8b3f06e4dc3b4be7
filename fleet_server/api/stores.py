"""Stores, their devices and cashier accounts, and what head office received from them.

(The first admin API; /api/v1/stores is the fuller one. Both audit their changes.)"""

from __future__ import annotations

from flask import Blueprint, jsonify
from peewee import fn

from fleetpos.messages import utc_iso

from .. import catalog, enrollment, stores
from ..errors import NotFound
from ..models import ReceivedRecord, Store
from .common import admin_required, body, fleet

bp = Blueprint("stores", __name__, url_prefix="/api/stores")


def _store_view(store: Store) -> dict:
    return {"id": store.id, "name": store.name, "catalog_version": store.catalog_version,
            "devices": [enrollment.device_view(d) for d in store.devices]}


@bp.get("")
@admin_required
def list_stores():
    return jsonify({"stores": [_store_view(s) for s in Store.select().order_by(Store.id)]})


@bp.post("")
@admin_required
def create_store():
    data = body()
    store = stores.create_store(data.get("id"), data.get("name"))
    return jsonify({"store": _store_view(store)}), 201


@bp.get("/<store_id>")
@admin_required
def get_store(store_id):
    store = Store.get_or_none(Store.id == store_id)
    if store is None:
        raise NotFound(f"no store {store_id}", code="store_not_found")
    return jsonify({"store": _store_view(store)})


@bp.post("/<store_id>/devices")
@admin_required
def add_device(store_id):
    device, token, expires_at = stores.issue_token(fleet().config, store_id, body().get("device_id"))
    return jsonify({"device": enrollment.device_view(device), "token": token,
                    "expires_at": utc_iso(expires_at)}), 201


@bp.get("/<store_id>/devices/<device_id>")
@admin_required
def get_device(store_id, device_id):
    return jsonify({"device": enrollment.device_view(enrollment.get_device(store_id, device_id))})


@bp.post("/<store_id>/devices/<device_id>/revoke")
@admin_required
def revoke_device(store_id, device_id):
    return jsonify({"device": enrollment.device_view(stores.revoke_device(fleet().config, store_id, device_id))})


@bp.put("/<store_id>/cashiers")
@admin_required
def put_cashiers(store_id):
    ctx = fleet()
    versions = catalog.upsert_cashiers(ctx.key, store_id, body(), pin_hash_cost=ctx.config.catalog.pin_hash_cost)
    ctx.catalog_changed()
    return jsonify({"versions": versions})


@bp.get("/<store_id>/records")
@admin_required
def record_summary(store_id):
    """Per kind: how many records head office holds from the store and their amounts."""
    rows = (ReceivedRecord.select(ReceivedRecord.kind, fn.COUNT(ReceivedRecord.id).alias("count"),
                                  fn.SUM(ReceivedRecord.amount).alias("amount"))
            .where(ReceivedRecord.store_id == store_id).group_by(ReceivedRecord.kind))
    return jsonify({"kinds": {r.kind: {"count": r.count, "amount": int(r.amount) if r.amount is not None else None}
                              for r in rows}})
