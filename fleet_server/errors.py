"""Head office's own exceptions: a stable code, a message for a person, an HTTP status."""

from __future__ import annotations


class FleetError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


class NotFound(FleetError):
    status = 404
    code = "not_found"


class Conflict(FleetError):
    status = 409
    code = "conflict"


class Unauthenticated(FleetError):
    status = 401
    code = "unauthorized"


class Forbidden(FleetError):
    status = 403
    code = "forbidden"
