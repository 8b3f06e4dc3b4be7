"""/api/v1 users, API tokens, the audit log, and `me` (who the caller is)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify

from ... import audit, users
from ...auth import current_user, require
from ...errors import FleetError, NotFound
from ...models import ApiToken, AuditEntry, User
from ...permissions import PERMISSIONS, ROLES
from ..common import body, fleet
from .common import (PAGE_PARAMETERS, only_fields, operation, page_of, paginate, path_param, query_param, ref,
                     text_arg)

bp = Blueprint("api_v1_users", __name__, url_prefix="/api/v1")


@bp.get("/me")
@require()
def me():
    principal = current_user()
    return jsonify({"kind": principal.kind, "name": principal.name, "role": principal.role,
                    "permissions": sorted(principal.permissions)})


@bp.get("/roles")
@require()
def roles():
    return jsonify({"permissions": PERMISSIONS, "roles": {name: sorted(perms) for name, perms in ROLES.items()}})


@bp.get("/users")
@require("users.manage")
def list_users():
    return paginate(User.select().order_by(User.username), users.user_view)


@bp.post("/users")
@require("users.manage")
def create_user():
    data = only_fields(body(), {"username", "password", "role", "display_name"})
    user = users.create_user(fleet().config.console, data.get("username"), data.get("password"), data.get("role"),
                             data.get("display_name", ""))
    return jsonify(users.user_view(user)), 201


@bp.get("/users/<int:user_id>")
@require("users.manage")
def get_user(user_id):
    return jsonify(users.user_view(users.get_user(user_id)))


@bp.patch("/users/<int:user_id>")
@require("users.manage")
def update_user(user_id):
    data = only_fields(body(), {"role", "display_name", "active", "password"})
    return jsonify(users.user_view(users.update_user(fleet().config.console, user_id, data)))


@bp.post("/users/<int:user_id>/unlock")
@require("users.manage")
def unlock_user(user_id):
    return jsonify(users.user_view(users.unlock_user(user_id)))


@bp.get("/api-tokens")
@require("users.manage")
def list_tokens():
    return paginate(ApiToken.select().order_by(ApiToken.id.desc()), users.token_view)


@bp.post("/api-tokens")
@require("users.manage")
def create_token():
    data = only_fields(body(), {"name", "role"})
    principal = current_user()
    token, secret = users.create_api_token(data.get("name"), data.get("role"), created_by=principal.user)
    return jsonify({**users.token_view(token), "token": secret}), 201


@bp.post("/api-tokens/<int:token_id>/revoke")
@require("users.manage")
def revoke_token(token_id):
    return jsonify(users.token_view(users.revoke_api_token(token_id)))


def _time_arg(name: str) -> datetime | None:
    value = text_arg(name, 40)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FleetError(f"{name} must be an ISO time like 2026-12-01T00:00:00Z", code="invalid_query") from None
    if moment.tzinfo is not None:
        from datetime import timezone

        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


@bp.get("/audit")
@require("audit.read")
def list_audit():
    query = audit.entries_query(action=text_arg("action", 64), actor=text_arg("actor", 140), target=text_arg("target", 300),
                        since=_time_arg("since"), until=_time_arg("until"))
    return paginate(query, audit.entry_view)


@bp.get("/audit/<int:entry_id>")
@require("audit.read")
def get_audit(entry_id):
    entry = AuditEntry.get_or_none(AuditEntry.id == entry_id)
    if entry is None:
        raise NotFound(f"no audit entry {entry_id}", code="audit_not_found")
    return jsonify(audit.entry_view(entry))


# -- OpenAPI ----------------------------------------------------------------------------------

_TIME = {"type": ["string", "null"]}
_ROLE = {"type": "string", "enum": list(ROLES)}
_USER_ID = path_param("user_id", {"type": "integer", "minimum": 1}, "the user's id")
_TOKEN_ID = path_param("token_id", {"type": "integer", "minimum": 1}, "the token's id")

OPENAPI_SCHEMAS = {
    "Me": {"type": "object", "required": ["kind", "name", "role", "permissions"], "properties": {
        "kind": {"type": "string", "enum": ["user", "api_token", "admin_token"]}, "name": {"type": "string"},
        "role": _ROLE, "permissions": {"type": "array", "items": {"type": "string"}}}},
    "Roles": {"type": "object", "required": ["permissions", "roles"], "properties": {
        "permissions": {"type": "object", "additionalProperties": {"type": "string"}},
        "roles": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
    "User": {"type": "object", "required": ["id", "username", "role", "active"], "properties": {
        "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
        "role": _ROLE, "active": {"type": "boolean"}, "locked_until": _TIME,
        "failed_logins": {"type": "integer"}, "created_at": {"type": "string"}, "last_login_at": _TIME}},
    "UserCreate": {"type": "object", "required": ["username", "password", "role"], "additionalProperties": False,
                   "properties": {
                       "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._@-]{1,63}$"},
                       "password": {"type": "string", "minLength": users.MIN_PASSWORD, "maxLength": 200},
                       "role": _ROLE, "display_name": {"type": "string", "maxLength": 200}}},
    "UserUpdate": {"type": "object", "additionalProperties": False, "properties": {
        "role": _ROLE, "display_name": {"type": "string", "maxLength": 200}, "active": {"type": "boolean"},
        "password": {"type": "string", "minLength": users.MIN_PASSWORD, "maxLength": 200}}},
    "ApiToken": {"type": "object", "required": ["id", "name", "prefix", "role"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"}, "role": _ROLE,
        "created_by": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "last_used_at": _TIME,
        "revoked_at": _TIME}},
    "ApiTokenCreated": {"allOf": [{"$ref": "#/components/schemas/ApiToken"}, {
        "type": "object", "required": ["token"],
        "properties": {"token": {"type": "string", "description": "the secret, shown only in this answer"}}}]},
    "ApiTokenCreate": {"type": "object", "required": ["name", "role"], "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100}, "role": _ROLE}},
    "AuditEntry": {"type": "object", "required": ["id", "at", "actor", "action", "target"], "properties": {
        "id": {"type": "integer"}, "at": {"type": "string"}, "actor": {"type": "string"},
        "action": {"type": "string"}, "target": {"type": "string"}, "before": {}, "after": {},
        "remote_addr": {"type": ["string", "null"]}}},
}

OPENAPI_PATHS = {
    "/api/v1/me": {"get": operation("Who the caller is and what it may do", None, {200: ("the caller", ref("Me"))},
                                    tag="users", operation_id="me")},
    "/api/v1/roles": {"get": operation("The roles and their permissions", None, {200: ("roles", ref("Roles"))},
                                       tag="users", operation_id="roles")},
    "/api/v1/users": {
        "get": operation("List console users", "users.manage", {200: ("a page of users", page_of("User"))},
                         parameters=PAGE_PARAMETERS, tag="users", operation_id="listUsers"),
        "post": operation("Create a console user", "users.manage", {201: ("the user", ref("User"))},
                          body=ref("UserCreate"), tag="users", operation_id="createUser"),
    },
    "/api/v1/users/{user_id}": {
        "get": operation("A console user", "users.manage", {200: ("the user", ref("User"))}, parameters=[_USER_ID],
                         tag="users", operation_id="getUser"),
        "patch": operation("Change a user's role, name, password or active flag (ends their sessions)",
                           "users.manage", {200: ("the user", ref("User"))}, parameters=[_USER_ID],
                           body=ref("UserUpdate"), tag="users", operation_id="updateUser"),
    },
    "/api/v1/users/{user_id}/unlock": {
        "post": operation("Lift a lock-out after failed logins", "users.manage", {200: ("the user", ref("User"))},
                          parameters=[_USER_ID], tag="users", operation_id="unlockUser"),
    },
    "/api/v1/api-tokens": {
        "get": operation("List API tokens (never their secrets)", "users.manage",
                         {200: ("a page of tokens", page_of("ApiToken"))}, parameters=PAGE_PARAMETERS, tag="users",
                         operation_id="listApiTokens"),
        "post": operation("Create an API token for a script", "users.manage",
                          {201: ("the token and, once only, its secret", ref("ApiTokenCreated"))},
                          body=ref("ApiTokenCreate"), tag="users", operation_id="createApiToken"),
    },
    "/api/v1/api-tokens/{token_id}/revoke": {
        "post": operation("Revoke an API token", "users.manage", {200: ("the token", ref("ApiToken"))},
                          parameters=[_TOKEN_ID], tag="users", operation_id="revokeApiToken"),
    },
    "/api/v1/audit": {
        "get": operation("The audit log, newest first", "audit.read",
                         {200: ("a page of entries", page_of("AuditEntry"))},
                         parameters=PAGE_PARAMETERS + [
                             query_param("action", {"type": "string", "maxLength": 64}, "e.g. user.create"),
                             query_param("actor", {"type": "string", "maxLength": 140}),
                             query_param("target", {"type": "string", "maxLength": 300}, "target starts with"),
                             query_param("since", {"type": "string", "format": "date-time"}),
                             query_param("until", {"type": "string", "format": "date-time"})],
                         tag="audit", operation_id="listAudit"),
    },
    "/api/v1/audit/{entry_id}": {
        "get": operation("One audit entry", "audit.read", {200: ("the entry", ref("AuditEntry"))},
                         parameters=[path_param("entry_id", {"type": "integer", "minimum": 1})], tag="audit",
                         operation_id="getAuditEntry"),
    },
}
