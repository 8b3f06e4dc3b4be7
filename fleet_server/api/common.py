"""What every blueprint needs: the context, the JSON body, the admin check."""

from __future__ import annotations

from flask import current_app, request

from ..auth import require_admin
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
    """Admin calls: `Authorization: Bearer <[server] admin_token>`, or an admin's API token
    or console session (fleet_server.auth)."""
    return require_admin(view)
