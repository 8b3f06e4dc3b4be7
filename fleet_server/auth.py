"""Who is calling, and may they: `require(permission)` guards every console page and API view.

A caller is one of
- a console user, by the session cookie; unsafe methods (POST, PUT, PATCH, DELETE) also
  need the session's CSRF token in the form field `csrf_token` or the `X-CSRF-Token` header;
- a script, by `Authorization: Bearer <API token>` (the token's role; no CSRF: no cookie);
- the `[server] admin_token` bearer, which acts as an admin (enrollment scripts, tests, the demo).

No caller: 401 JSON under /api, a redirect to the login page for console pages.
A caller without the permission: 403.
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app, g, redirect, request

from . import users
from .errors import Forbidden, Unauthenticated
from .models import ApiToken, ConsoleSession, User
from .permissions import PERMISSIONS, permissions_of

SESSION_COOKIE = "fleetpos_console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET = object()


@dataclass
class Principal:
    kind: str  # "user" | "api_token" | "admin_token"
    name: str
    role: str
    user: User | None = None
    api_token: ApiToken | None = None
    session: ConsoleSession | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        """How the audit log names this caller."""
        if self.kind == "api_token":
            return f"token:{self.name}"
        return self.name

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session else None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def _fleet():
    return current_app.extensions["fleetpos.fleet"]


def _authenticate() -> Principal | None:
    config = _fleet().config
    header = request.headers.get("Authorization", "")
    if header:
        if not header.startswith("Bearer "):
            raise Unauthenticated("use Authorization: Bearer <API token>")
        secret = header[7:].strip()
        admin_token = config.server.admin_token
        if admin_token and hmac.compare_digest(secret.encode(), admin_token.encode()):
            return Principal("admin_token", "admin-token", "admin", permissions=permissions_of("admin"))
        token = users.token_for(secret)
        if token is None:
            raise Unauthenticated("this API token is unknown or revoked")
        return Principal("api_token", token.name, token.role, api_token=token, permissions=permissions_of(token.role))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = users.session_for(config.console, cookie)
        if session is not None:
            user = session.user
            return Principal("user", user.username, user.role, user=user, session=session,
                             permissions=permissions_of(user.role))
    return None


def current_user() -> Principal | None:
    """The caller of this request (authenticated once per request), or None."""
    principal = g.get("fleet_principal", _UNSET)
    if principal is _UNSET:
        try:
            principal = _authenticate()
        except Unauthenticated:
            principal = None
        g.fleet_principal = principal
    return principal


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def check_csrf(principal: Principal) -> None:
    if principal.kind != "user" or request.method in SAFE_METHODS:
        return
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not given or not hmac.compare_digest(given.encode(), principal.session.csrf_token.encode()):
        raise Forbidden("the form's security token is missing or wrong: reload the page and try again",
                        code="csrf_failed")


def authorize(permissions: tuple[str, ...] = ()):
    """Authenticate this request and check that the caller has every one of `permissions`
    (none: any signed-in caller). Returns the principal, or a redirect response for a
    console page without a session."""
    principal = g.get("fleet_principal", _UNSET)
    if principal is _UNSET:
        principal = _authenticate()  # a bad bearer token is a 401, not "anonymous"
        g.fleet_principal = principal
    if principal is None:
        if _wants_json():
            raise Unauthenticated("sign in first: a console session or Authorization: Bearer <API token>")
        target = request.full_path.rstrip("?") if request.method == "GET" else "/console/"
        return redirect(f"/console/login?next={quote(target)}")
    check_csrf(principal)
    missing = [permission for permission in permissions if not principal.can(permission)]
    if missing:
        raise Forbidden(f"your role ({principal.role}) does not allow this: it needs {' and '.join(missing)}",
                        code="forbidden")
    return principal


def require(*permissions: str):
    """Decorator: the view runs only for a caller with every one of `permissions` (see
    permissions.py); with none, for any signed-in caller."""
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r} (known: {', '.join(PERMISSIONS)})")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            result = authorize(permissions)
            if not isinstance(result, Principal):
                return result
            return view(*args, **kwargs)
        wrapper.required_permissions = permissions
        return wrapper
    return decorator


def require_admin(view):
    """The pre-console admin API (/api/stores, /api/catalog): the admin token, or a user or
    API token with the admin role."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        result = authorize()
        if not isinstance(result, Principal):
            return result
        if result.role != "admin":
            raise Forbidden(f"your role ({result.role}) does not allow this: it needs the admin role")
        return view(*args, **kwargs)
    return wrapper
