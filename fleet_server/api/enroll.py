"""A device enrolls: POST /api/enroll {"token"} -> its identity and broker credentials."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import enrollment
from .common import body, fleet

bp = Blueprint("enroll", __name__, url_prefix="/api")


@bp.post("/enroll")
def enroll():
    ctx = fleet()
    data = body()
    result = enrollment.enroll(ctx.config, ctx.key, data.get("token"), store_id=data.get("store_id"),
                               device_id=data.get("device_id"))
    ctx.catalog_changed()  # the new device should see its store's head
    return jsonify(result.to_dict())
