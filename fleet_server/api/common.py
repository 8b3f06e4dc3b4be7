"""What every blueprint needs: the context, the JSON body, the admin check."""

from __future__ import annotations

import functools
import hmac

from flask import current_app, request

from ..context import FleetContext
from ..errors import FleetError


def fleet() -> FleetContext:
    return current_app.extensions["fleetpos.fleet"]


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise FleetError("the request body must be a JSON object", code="invalid_json")
    return data


def admin_required(view):
    """Admin calls carry `Authorization: Bearer <[server] admin_token>`."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        expected = fleet().config.server.admin_token
        if not expected:
            raise FleetError("the admin API is off: set [server] admin_token", code="admin_disabled", status=503)
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), expected.encode()):
            raise FleetError("admin token required (Authorization: Bearer ...)", code="unauthorized", status=401)
        return view(*args, **kwargs)
    return wrapper
