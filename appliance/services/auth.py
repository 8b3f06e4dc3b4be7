"""Cashier accounts, PIN login with lock-out, sessions with idle logout, permissions
and manager overrides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..config import ROLES
from ..context import TillContext
from ..errors import AuthRequired, Locked, NotFound, OverrideRequired, PermissionDenied, ValidationError, Conflict
from ..models import Cashier, TillSession
from ..permissions import allowed_roles
from .records import audit

PIN_PATTERN = re.compile(r"\d{4,8}")
#: how often a session's last_seen is written (every request would be a durable commit)
TOUCH_INTERVAL = timedelta(seconds=15)


@dataclass(frozen=True)
class Actor:
    """The cashier logged in at the till, for whom a service call is made."""
    cashier: Cashier
    session_token: str | None = None

    @property
    def role(self) -> str:
        return self.cashier.role


@dataclass(frozen=True)
class Override:
    """A manager's approval given at the till: cashier number and PIN."""
    cashier_code: str
    pin: str


# -- PIN hashing (scrypt from the standard library: slow, salted, parameters stored)

def hash_pin(pin: str, cost: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2 ** cost, r=8, p=1, maxmem=2 ** 27, dklen=32)
    return "scrypt${}${}${}".format(cost, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, cost, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=2 ** int(cost), r=8, p=1,
                                maxmem=2 ** 27, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def check_pin_format(pin) -> str:
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise ValidationError("a PIN is 4 to 8 digits", code="invalid_pin")
    return pin


# -- accounts

def _check_role(role) -> str:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}, not {role!r}", code="invalid_role")
    return role


def _require_may_manage(ctx: TillContext, actor: Actor | None, role: str, override: Override | None):
    """Managers manage cashiers; only admins create or change managers and admins."""
    action = "cashier.manage" if role == "cashier" else "cashier.manage_managers"
    return authorize(ctx, actor, action, override) if actor else None


def create_cashier(ctx: TillContext, actor: Actor | None, *, code: str, name: str, role: str, pin: str,
                   locale: str | None = None, override: Override | None = None) -> Cashier:
    """Create an account. `actor` None is the installer/seed path (no one logged in yet)."""
    if not isinstance(code, str) or not re.fullmatch(r"[0-9A-Za-z]{1,16}", code):
        raise ValidationError("a cashier number is 1-16 letters or digits", code="invalid_cashier_code")
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise ValidationError("a cashier needs a name of 1-64 characters", code="invalid_name")
    _check_role(role)
    check_pin_format(pin)
    approver = _require_may_manage(ctx, actor, role, override)
    with ctx.transaction():
        if Cashier.get_or_none(Cashier.code == code):
            raise Conflict(f"cashier number {code} is already taken", code="cashier_exists")
        cashier = Cashier.create(code=code, name=name.strip(), role=role, locale=locale,
                                 pin_hash=hash_pin(pin, ctx.config.security.pin_hash_cost),
                                 created_at=ctx.clock())
        audit(ctx, "cashier.create", cashier=actor.cashier if actor else None, approved_by=approver,
              subject=code, name=cashier.name, role=role)
    return cashier


def update_cashier(ctx: TillContext, actor: Actor, code: str, *, name: str | None = None,
                   role: str | None = None, pin: str | None = None, active: bool | None = None,
                   locale: str | None = None, override: Override | None = None) -> Cashier:
    cashier = Cashier.get_or_none(Cashier.code == code)
    if cashier is None:
        raise NotFound(f"no cashier with number {code}", code="cashier_not_found")
    if role is not None:
        _check_role(role)
    if pin is not None:
        check_pin_format(pin)
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 64):
        raise ValidationError("a cashier needs a name of 1-64 characters", code="invalid_name")
    if active is not None and not isinstance(active, bool):
        raise ValidationError("active must be true or false", code="invalid")
    # changing a manager, or making someone a manager, needs the admin right
    strongest = "cashier" if cashier.role == "cashier" and role in (None, "cashier") else "manager"
    approver = _require_may_manage(ctx, actor, strongest, override)
    if cashier.id == actor.cashier.id and (active is False or (role and role != cashier.role)):
        raise Conflict("you cannot deactivate yourself or change your own role", code="self_change")
    changes = {}
    with ctx.transaction():
        if name is not None and name.strip() != cashier.name:
            changes["name"] = [cashier.name, name.strip()]
            cashier.name = name.strip()
        if role is not None and role != cashier.role:
            changes["role"] = [cashier.role, role]
            cashier.role = role
        if active is not None and active != cashier.active:
            changes["active"] = [cashier.active, active]
            cashier.active = active
        if locale is not None and locale != cashier.locale:
            changes["locale"] = [cashier.locale, locale]
            cashier.locale = locale
        if pin is not None:
            changes["pin"] = "reset"
            cashier.pin_hash = hash_pin(pin, ctx.config.security.pin_hash_cost)
            cashier.failed_attempts = 0
            cashier.locked_until = None
        cashier.save()
        if active is False:
            TillSession.update(ended_at=ctx.clock()).where(
                (TillSession.cashier == cashier) & TillSession.ended_at.is_null()).execute()
        audit(ctx, "cashier.update", cashier=actor.cashier, approved_by=approver, subject=code, changes=changes)
    return cashier


# -- PIN checks with lock-out

def _check_pin(ctx: TillContext, code: str, pin: str, purpose: str) -> Cashier:
    """Verify a cashier's PIN, counting failures; raise on any failure.

    The failure count is committed even though the caller gets an error: lock-out
    must hold across requests and restarts.
    """
    if not isinstance(code, str) or not isinstance(pin, str):
        raise ValidationError("cashier number and PIN are required", code="invalid_credentials")
    cashier = Cashier.get_or_none((Cashier.code == code) & (Cashier.active == True))  # noqa: E712
    if cashier is None:
        raise AuthRequired("wrong cashier number or PIN", code="bad_credentials")
    now = ctx.clock()
    if cashier.locked_until and cashier.locked_until > now:
        minutes = max(1, int((cashier.locked_until - now).total_seconds() // 60) + 1)
        raise Locked(f"cashier {code} is locked after too many wrong PINs; try again in {minutes} min "
                     f"or ask a manager to reset the PIN", code="cashier_locked")
    if verify_pin(pin, cashier.pin_hash):
        if cashier.failed_attempts:
            with ctx.transaction():
                cashier.failed_attempts = 0
                cashier.locked_until = None
                cashier.save()
        return cashier
    security = ctx.config.security
    with ctx.transaction():
        cashier.failed_attempts += 1
        locked = cashier.failed_attempts >= security.pin_max_attempts
        if locked:
            cashier.locked_until = now + timedelta(minutes=security.pin_lockout_minutes)
            cashier.failed_attempts = 0
        cashier.save()
        audit(ctx, "auth.pin_failed", cashier=cashier, subject=code, purpose=purpose, locked=locked)
    if locked:
        raise Locked(f"too many wrong PINs: cashier {code} is locked for "
                     f"{security.pin_lockout_minutes} min", code="cashier_locked")
    raise AuthRequired("wrong cashier number or PIN", code="bad_credentials")


def login(ctx: TillContext, code: str, pin: str) -> TillSession:
    cashier = _check_pin(ctx, code, pin, "login")
    now = ctx.clock()
    with ctx.transaction():
        # one till, one cashier at a time: a new login ends the previous sessions
        TillSession.update(ended_at=now).where(TillSession.ended_at.is_null()).execute()
        session = TillSession.create(token=secrets.token_urlsafe(32), cashier=cashier,
                                     created_at=now, last_seen=now)
        audit(ctx, "auth.login", cashier=cashier, subject=code)
    return session


def logout(ctx: TillContext, token: str, reason: str = "logout") -> None:
    session = TillSession.get_or_none(TillSession.token == token)
    if session is None or session.ended_at is not None:
        return
    with ctx.transaction():
        session.ended_at = ctx.clock()
        session.save()
        audit(ctx, "auth.logout", cashier=session.cashier, subject=session.cashier.code, reason=reason)


def resolve_session(ctx: TillContext, token: str | None) -> Actor:
    """The actor behind a session token; ends the session if it has been idle too long."""
    if not token:
        raise AuthRequired("log in with your cashier number and PIN", code="login_required")
    session = TillSession.get_or_none(TillSession.token == token)
    if session is None or session.ended_at is not None:
        raise AuthRequired("your session has ended: log in again", code="login_required")
    now = ctx.clock()
    idle = timedelta(seconds=ctx.config.security.idle_logout_seconds)
    if now - session.last_seen > idle:
        logout(ctx, token, reason="idle")
        raise AuthRequired("logged out after being idle: log in again", code="session_expired")
    if not session.cashier.active:
        logout(ctx, token, reason="deactivated")
        raise AuthRequired("this cashier account is no longer active", code="login_required")
    if now - session.last_seen > TOUCH_INTERVAL:
        with ctx.transaction():
            TillSession.update(last_seen=now).where(TillSession.token == token).execute()
    return Actor(cashier=session.cashier, session_token=token)


# -- permissions

def authorize(ctx: TillContext, actor: Actor, action: str, override: Override | None = None) -> Cashier | None:
    """Allow `action` for `actor`, or with a manager's override.

    Returns the approving manager (None when the actor's own role allows it). Raises
    OverrideRequired when a manager PIN would allow it and none (or a wrong one) was given.
    """
    roles = allowed_roles(action, ctx.config.permissions)
    if actor.role in roles:
        return None
    if override is None:
        raise OverrideRequired(f"{action} needs a manager's approval: enter a manager number and PIN",
                               action=action, roles=sorted(roles))
    approver = _check_pin(ctx, override.cashier_code, override.pin, f"override:{action}")
    if approver.role not in roles:
        raise PermissionDenied(f"cashier {approver.code} ({approver.role}) may not approve {action}",
                               code="override_not_allowed", action=action)
    return approver


def cashier_view(cashier: Cashier) -> dict:
    return {"code": cashier.code, "name": cashier.name, "role": cashier.role,
            "locale": cashier.locale, "active": cashier.active,
            "locked_until": cashier.locked_until.isoformat() + "Z" if cashier.locked_until else None}
