from __future__ import annotations

from flask import Blueprint, jsonify, request, session

from ..models import Cashier
from ..services import auth
from .common import actor, body, override, till

bp = Blueprint("auth", __name__, url_prefix="/api")


@bp.post("/auth/login")
def login():
    data = body()
    till_session = auth.login(till(), data.get("cashier_code"), data.get("pin"))
    session["till_session"] = till_session.token
    return jsonify({"token": till_session.token, "cashier": auth.cashier_view(till_session.cashier)})


@bp.post("/auth/logout")
def logout():
    token = session.pop("till_session", None)
    if token:
        auth.logout(till(), token)
    return jsonify({"ok": True})


@bp.get("/auth/me")
def me():
    current = actor()
    return jsonify({"cashier": auth.cashier_view(current.cashier)})


@bp.get("/cashiers")
def list_cashiers():
    """The lock screen's tiles: who can log in here (no secrets). `?all=1` lists the
    deactivated accounts too, for a manager who may re-activate them."""
    cashiers = Cashier.select().order_by(Cashier.code)
    if request.args.get("all") in ("1", "true"):
        auth.authorize(till(), actor(), "cashier.manage")
    else:
        cashiers = cashiers.where(Cashier.active == True)  # noqa: E712
    return jsonify({"cashiers": [auth.cashier_view(c) for c in cashiers]})


@bp.post("/cashiers")
def create_cashier():
    data = body()
    cashier = auth.create_cashier(till(), actor(), code=data.get("code"), name=data.get("name"),
                                  role=data.get("role", "cashier"), pin=data.get("pin"),
                                  locale=data.get("locale"), override=override(data))
    return jsonify({"cashier": auth.cashier_view(cashier)}), 201


@bp.patch("/cashiers/<code>")
def update_cashier(code):
    data = body()
    cashier = auth.update_cashier(till(), actor(), code, name=data.get("name"), role=data.get("role"),
                                  pin=data.get("pin"), active=data.get("active"), locale=data.get("locale"),
                                  override=override(data))
    return jsonify({"cashier": auth.cashier_view(cashier)})
