"""What every blueprint needs: the till context, the actor, the request body."""

from __future__ import annotations

from flask import current_app, request, session

from ..context import TillContext
from ..errors import ValidationError
from ..services.auth import Actor, Override, resolve_session

SESSION_HEADER = "X-Till-Session"


def till() -> TillContext:
    return current_app.extensions["fleetpos.till"]


def actor() -> Actor:
    token = request.headers.get(SESSION_HEADER) or session.get("till_session")
    return resolve_session(till(), token)


def body() -> dict:
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object", code="invalid_json")
    return data


def override(data: dict) -> Override | None:
    raw = data.get("override")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("cashier_code"), str) \
            or not isinstance(raw.get("pin"), str):
        raise ValidationError("override must be {\"cashier_code\": ..., \"pin\": ...}", code="invalid_override")
    return Override(cashier_code=raw["cashier_code"], pin=raw["pin"])


def int_arg(name: str, default: int, minimum: int = 0, maximum: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"query parameter {name} must be a whole number", code="invalid") from None
    if not minimum <= value <= maximum:
        raise ValidationError(f"query parameter {name} must be between {minimum} and {maximum}", code="invalid")
    return value
