from __future__ import annotations

from flask import Blueprint, jsonify

from ..models import AuditEntry
from ..services.auth import authorize
from .common import actor, int_arg, till

bp = Blueprint("admin", __name__, url_prefix="/api")


@bp.get("/audit")
def audit_log():
    authorize(till(), actor(), "audit.view")
    entries = (AuditEntry.select().order_by(AuditEntry.id.desc())
               .limit(int_arg("limit", 100, 1, 1000)).offset(int_arg("offset", 0, 0, 10 ** 9)))
    return jsonify({"entries": [{
        "id": e.id, "uuid": e.uuid, "at": e.created_at.isoformat() + "Z", "action": e.action,
        "cashier": e.cashier.code if e.cashier_id else None,
        "approved_by": e.approved_by.code if e.approved_by_id else None,
        "subject": e.subject, "details": e.details} for e in entries]})
