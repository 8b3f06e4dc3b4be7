"""The till's own exceptions.

Every error a person or a client can cause is a `TillError` with a stable machine
`code`, a message that says what happened and what to do, and the HTTP status the
API answers with. Services raise these before they change anything, so a refused
request never leaves partial data behind.
"""

from __future__ import annotations


class TillError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(TillError):
    status = 400
    code = "invalid"


class NotFound(TillError):
    status = 404
    code = "not_found"


class Conflict(TillError):
    """The request is valid but the current state forbids it (closed shift, paid sale...)."""

    status = 409
    code = "conflict"


class AuthRequired(TillError):
    status = 401
    code = "login_required"


class PermissionDenied(TillError):
    status = 403
    code = "forbidden"


class OverrideRequired(PermissionDenied):
    """The cashier's role may not do this; a manager's PIN (override) would allow it."""

    code = "override_required"


class Locked(TillError):
    status = 423
    code = "locked"
