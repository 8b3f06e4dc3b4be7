from __future__ import annotations

from flask import Blueprint, jsonify

from ..services import drawer, shifts
from ..services.sales import current_shift
from .common import actor, body, override, till

bp = Blueprint("shifts", __name__, url_prefix="/api")


def _shift_view(shift):
    return {"uuid": shift.uuid, "number": shift.number, "status": shift.status,
            "opened_by": shift.opened_by.code, "opened_at": shift.opened_at.isoformat() + "Z",
            "opening_float": shift.opening_float,
            "closed_at": shift.closed_at.isoformat() + "Z" if shift.closed_at else None,
            "report": shift.report_json}


@bp.get("/shift/current")
def current():
    actor()
    shift = current_shift(till())
    return jsonify({"shift": _shift_view(shift) if shift else None})


@bp.post("/shifts")
def open_shift():
    data = body()
    return jsonify({"shift": _shift_view(shifts.open_shift(till(), actor(), data.get("opening_float")))}), 201


@bp.get("/shifts/<shift_uuid>")
def get(shift_uuid):
    actor()
    return jsonify({"shift": _shift_view(shifts.get_shift(till(), shift_uuid))})


@bp.post("/shift/cash")
def move_cash():
    data = body()
    movement = shifts.move_cash(till(), actor(), data.get("kind"), data.get("amount"), data.get("reason"),
                                override(data))
    return jsonify({"movement": {"uuid": movement.uuid, "kind": movement.kind, "amount": movement.amount,
                                 "reason": movement.reason}}), 201


@bp.get("/shift/x-report")
def x_report():
    return jsonify({"report": shifts.x_report(till(), actor())})


@bp.post("/shift/close")
def close():
    data = body()
    return jsonify({"report": shifts.close_shift(till(), actor(), data.get("counted"))})


@bp.post("/drawer/open")
def open_drawer():
    data = body()
    drawer.open_no_sale(till(), actor(), data.get("reason"), override(data))
    return jsonify({"ok": True})
