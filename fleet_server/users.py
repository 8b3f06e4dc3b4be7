"""Console users, their passwords and sessions, and API tokens for scripts.

Passwords are hashed with scrypt (salted, cost from [console] password_hash_cost).
A session is a random token in a cookie; the server keeps only its hash, so logging
out, deactivating a user or changing their role ends it at once. After
`lockout_failures` failed logins in a row (none forgotten: a day apart at most) a username is
locked for `lockout_minutes`, whether or not such a user exists: a refusal never tells.
API tokens carry a role of their own, are shown once and stored as a SHA-256 hash.
Every change is audited with the state before and after.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetpos.messages import utc_iso

from . import audit
from .config import ConsoleSection
from .db import write_transaction
from .errors import Conflict, FleetError, Forbidden, NotFound, Unauthenticated
from .models import ApiToken, ConsoleSession, LoginThrottle, User, database_proxy, utcnow
from .permissions import ROLES, check_role

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
MIN_PASSWORD = 10
API_TOKEN_PREFIX = "fpt_"


# -- passwords -----------------------------------------------------------------------------

def hash_password(password: str, cost: int) -> str:
    salt = secrets.token_bytes(16)
    n = 2 ** cost
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, maxmem=256 * n * 8 + 2 ** 20, dklen=32)
    return f"scrypt${cost}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, cost, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        n = 2 ** int(cost)
        computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=n, r=int(r), p=int(p),
                                  maxmem=256 * n * int(r) + 2 ** 20, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def check_password(password) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 200:
        raise FleetError(f"a password needs {MIN_PASSWORD}-200 characters", code="weak_password")
    return password


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- users -----------------------------------------------------------------------------------

def user_view(user: User) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "active": user.active, "locked_until": utc_iso(user.locked_until) if user.locked_until else None,
            "failed_logins": user.failed_logins, "created_at": utc_iso(user.created_at),
            "last_login_at": utc_iso(user.last_login_at) if user.last_login_at else None}


def _audit_view(user: User) -> dict:
    view = user_view(user)
    for key in ("failed_logins", "last_login_at", "created_at"):
        view.pop(key)
    return view


def get_user(user_id) -> User:
    user = User.get_or_none(User.id == user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return user


def create_user(settings: ConsoleSection, username, password, role, display_name="", *, actor=None) -> User:
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise FleetError("a username is 2-64 lower-case letters, digits, '.', '_', '@' or '-'",
                         code="invalid_username")
    check_role(role)
    check_password(password)
    if not isinstance(display_name, str) or len(display_name) > 200:
        raise FleetError("display_name must be text of at most 200 characters", code="invalid_name")
    password_hash = hash_password(password, settings.password_hash_cost)
    with write_transaction(database_proxy.obj):
        if User.get_or_none(User.username == username):
            raise Conflict(f"user {username} already exists", code="user_exists")
        user = User.create(username=username, display_name=display_name.strip(), role=role,
                           password_hash=password_hash, created_at=utcnow())
        audit.record("user.create", f"user:{username}", None, _audit_view(user), actor=actor)
    return user


def update_user(settings: ConsoleSection, user_id: int, changes: dict) -> User:
    """Change role, display_name, active or password; a role change, deactivation or new
    password ends the user's sessions."""
    unknown = set(changes) - {"role", "display_name", "active", "password"}
    if unknown:
        raise FleetError(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_field")
    update = {}
    if "role" in changes:
        update["role"] = check_role(changes["role"])
    if "display_name" in changes:
        if not isinstance(changes["display_name"], str) or len(changes["display_name"]) > 200:
            raise FleetError("display_name must be text of at most 200 characters", code="invalid_name")
        update["display_name"] = changes["display_name"].strip()
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise FleetError("active must be true or false", code="invalid_field")
        update["active"] = changes["active"]
    if "password" in changes:
        update["password_hash"] = hash_password(check_password(changes["password"]), settings.password_hash_cost)
    with write_transaction(database_proxy.obj):
        user = get_user(user_id)
        before = _audit_view(user)
        if user.role == "admin" and user.active and (update.get("role", "admin") != "admin"
                                                     or update.get("active") is False):
            others = User.select().where((User.role == "admin") & User.active & (User.id != user.id)).count()
            if not others:
                raise Conflict("this is the last active admin: make another admin first", code="last_admin")
        if update:
            if "password_hash" in update:
                update["failed_logins"] = 0
                update["locked_until"] = None
            User.update(update).where(User.id == user.id).execute()
        if {"role", "password_hash"} & set(update) or update.get("active") is False:
            ConsoleSession.delete().where(ConsoleSession.user == user.id).execute()
        if update.get("active") is False or "role" in update:
            _revoke_tokens_beyond(user, None if update.get("active") is False else update.get("role", user.role))
        user = get_user(user_id)
        after = _audit_view(user)
        if "password" in changes:
            before["password"], after["password"] = "(old)", "(changed)"
        audit.record("user.update", f"user:{user.username}", before, after)
    return user


def change_own_password(settings: ConsoleSection, user: User, current, new, *, keep_session: str) -> None:
    """A user changes their own password (the current one is required); their other
    sessions end, the one they are using (`keep_session`, its token hash) stays."""
    if not isinstance(current, str) or not verify_password(current, user.password_hash):
        raise Forbidden("the current password is wrong", code="wrong_password")
    password_hash = hash_password(check_password(new), settings.password_hash_cost)
    with write_transaction(database_proxy.obj):
        User.update(password_hash=password_hash).where(User.id == user.id).execute()
        ConsoleSession.delete().where((ConsoleSession.user == user.id)
                                      & (ConsoleSession.token_hash != keep_session)).execute()
        audit.record("user.password", f"user:{user.username}", {"password": "(old)"}, {"password": "(changed)"})


def unlock_user(user_id: int) -> User:
    with write_transaction(database_proxy.obj):
        user = get_user(user_id)
        before = _audit_view(user)
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        user = get_user(user_id)
        audit.record("user.unlock", f"user:{user.username}", before, _audit_view(user))
    return user


# -- login and sessions ----------------------------------------------------------------------------

@dataclass
class LoginResult:
    user: User
    session_token: str
    csrf_token: str


class LoginFailed(Unauthenticated):
    code = "login_failed"


#: failures further back than this before the latest one are forgotten, for users and unknown
#: usernames alike (so the rows kept for unknown usernames can go)
FAILURE_MEMORY = timedelta(hours=24)
#: at most this many unknown usernames have their failures kept (the longest quiet go first)
THROTTLE_ROWS = 10_000

_DUMMY_HASH: dict[int, str] = {}


def dummy_hash(cost: int) -> str:
    """A password hash that matches nothing, at `cost`: an unknown user's login checks its
    password against it, so it takes as long as a real user's. Made once per cost (the app
    makes it at start, so not even the first unknown login takes longer)."""
    stored = _DUMMY_HASH.get(cost)
    if stored is None:
        stored = _DUMMY_HASH[cost] = hash_password(secrets.token_urlsafe(24), cost)
    return stored


def _login_key(username: str) -> str:
    return username.strip().lower()[:64]


def _after_failure(settings: ConsoleSection, failures: int, last_failed_at: datetime | None,
                   now: datetime) -> tuple[int, datetime | None]:
    """(failures, locked_until) after one more failure: the one rule for users and unknown usernames."""
    if last_failed_at is None or now - last_failed_at > FAILURE_MEMORY:
        failures = 0
    failures += 1
    if failures >= settings.lockout_failures:
        return 0, now + timedelta(minutes=settings.lockout_minutes)
    return failures, None


def _locked_out(locked_until: datetime) -> LoginFailed:
    return LoginFailed(f"too many failed logins: this user is locked until {utc_iso(locked_until)} "
                       "(or until an admin unlocks it)", code="locked_out", status=423)


def _forget_quiet_usernames(now: datetime) -> None:
    """Keep the unknown usernames' rows bounded: drop those quiet for FAILURE_MEMORY whose lock
    (if any) is over, then the longest quiet beyond THROTTLE_ROWS."""
    LoginThrottle.delete().where((LoginThrottle.last_failed_at < now - FAILURE_MEMORY)
                                 & (LoginThrottle.locked_until.is_null()
                                    | (LoginThrottle.locked_until <= now))).execute()
    excess = LoginThrottle.select().count() - THROTTLE_ROWS
    if excess > 0:
        oldest = (LoginThrottle.select(LoginThrottle.username)
                  .order_by(LoginThrottle.last_failed_at, LoginThrottle.username).limit(excess))
        LoginThrottle.delete().where(LoginThrottle.username.in_(oldest)).execute()


def _unknown_user_failure(settings: ConsoleSection, key: str, now: datetime) -> LoginFailed | None:
    """Inside the caller's transaction: a failed login for a username that is no active user,
    counted like a user's. Returns the lock-out refusal when that username is locked."""
    row = LoginThrottle.get_or_none(LoginThrottle.username == key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return _locked_out(row.locked_until)
    failures, locked_until = _after_failure(settings, row.failures if row else 0,
                                            row.last_failed_at if row else None, now)
    (LoginThrottle.insert(username=key, failures=failures, locked_until=locked_until, last_failed_at=now)
     .on_conflict(conflict_target=[LoginThrottle.username],
                  update={LoginThrottle.failures: failures, LoginThrottle.locked_until: locked_until,
                          LoginThrottle.last_failed_at: now})
     .execute())
    _forget_quiet_usernames(now)
    return None


def login(settings: ConsoleSection, username, password, *, now: datetime | None = None) -> LoginResult:
    """Check a password and open a session. Every failure reads the same whether or not the
    user exists: the same message and status, the same hashing work (an unknown user's
    password is checked against a dummy hash; a locked user's is checked too), and the same
    lock-out after `lockout_failures` failures, counted per submitted username (LoginThrottle
    for names that are no active user)."""
    now = now or utcnow()
    failed = LoginFailed("wrong username or password")
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 200:
        raise failed
    key = _login_key(username)
    refusal: LoginFailed | None = None
    # a refusal is raised after the commit: the failure count and the audit row must stay
    with write_transaction(database_proxy.obj):
        user = User.get_or_none(User.username == key)
        if user is None or not user.active:
            verify_password(password, dummy_hash(settings.password_hash_cost))
            refusal = _unknown_user_failure(settings, key, now)
            if refusal is not None:
                audit.record("login.locked", f"user:{key}", None, {"reason": "unknown or inactive user"},
                             actor=f"anonymous ({key})")
            else:
                audit.record("login.fail", f"user:{key}", None, {"reason": "unknown or inactive user"},
                             actor=f"anonymous ({key})")
                refusal = failed
        elif user.locked_until is not None and user.locked_until > now:
            verify_password(password, user.password_hash)  # the same work as any other attempt
            audit.record("login.locked", f"user:{user.username}", None, {"locked_until": utc_iso(user.locked_until)},
                         actor=f"anonymous ({user.username})")
            refusal = _locked_out(user.locked_until)
        elif not verify_password(password, user.password_hash):
            failures, locked_until = _after_failure(settings, user.failed_logins, user.last_failed_at, now)
            User.update(failed_logins=failures, locked_until=locked_until,
                        last_failed_at=now).where(User.id == user.id).execute()
            audit.record("login.fail", f"user:{user.username}", None,
                         {"reason": "wrong password",
                          "locked_until": utc_iso(locked_until) if locked_until else None},
                         actor=f"anonymous ({user.username})")
            refusal = failed
        else:
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            User.update(failed_logins=0, locked_until=None, last_failed_at=None,
                        last_login_at=now).where(User.id == user.id).execute()
            ConsoleSession.create(token_hash=sha256(token), user=user, csrf_token=csrf, created_at=now,
                                  last_seen_at=now, expires_at=now + timedelta(hours=settings.session_hours))
            ConsoleSession.delete().where(ConsoleSession.expires_at < now).execute()
            audit.record("login", f"user:{user.username}", None, None, actor=user.username)
    if refusal is not None:
        raise refusal
    return LoginResult(User.get_by_id(user.id), token, csrf)


def session_for(settings: ConsoleSection, token: str, *, now: datetime | None = None) -> ConsoleSession | None:
    """The live session for a cookie's token (its user active), touching its idle timer."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    session = (ConsoleSession.select(ConsoleSession, User).join(User)
               .where(ConsoleSession.token_hash == sha256(token)).first())
    if session is None or not session.user.active or session.expires_at <= now \
            or session.last_seen_at + timedelta(minutes=settings.idle_minutes) <= now:
        return None
    if (now - session.last_seen_at).total_seconds() > 30:  # fewer writes: the idle timer needs no precision
        ConsoleSession.update(last_seen_at=now).where(ConsoleSession.token_hash == session.token_hash).execute()
    return session


def logout(token: str) -> None:
    with write_transaction(database_proxy.obj):
        session = (ConsoleSession.select(ConsoleSession, User).join(User)
                   .where(ConsoleSession.token_hash == sha256(token)).first())
        if session is not None:
            ConsoleSession.delete().where(ConsoleSession.token_hash == session.token_hash).execute()
            audit.record("logout", f"user:{session.user.username}", None, None, actor=session.user.username)


# -- API tokens -------------------------------------------------------------------------------------

def token_view(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "role": token.role,
            "created_by": token.created_by.username if token.created_by_id else None,
            "created_at": utc_iso(token.created_at),
            "last_used_at": utc_iso(token.last_used_at) if token.last_used_at else None,
            "revoked_at": utc_iso(token.revoked_at) if token.revoked_at else None}


def create_api_token(name, role, *, created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new token; the secret is returned only here."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise FleetError("a token needs a name of 1-100 characters (what it is for)", code="invalid_name")
    check_role(role)
    if created_by is not None and role not in _grantable(created_by.role):
        raise Forbidden(f"a {created_by.role} cannot make a token with more rights ({role})")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction(database_proxy.obj):
        token = ApiToken.create(name=name.strip(), prefix=secret[:12], token_hash=sha256(secret), role=role,
                                created_by=created_by, created_at=utcnow())
        token = ApiToken.get_by_id(token.id)
        audit.record("api_token.create", f"api_token:{token.id}", None, token_view(token))
    return token, secret


def _grantable(role: str) -> set[str]:
    mine = ROLES.get(role, frozenset())
    return {name for name, perms in ROLES.items() if perms <= mine}


def _revoke_tokens_beyond(user: User, role: str | None) -> None:
    """Revoke the live API tokens `user` made that `role` could not make (all of them when
    role is None: the user was deactivated), so a token never outlasts its maker's rights."""
    allowed = _grantable(role) if role is not None else set()
    for token in ApiToken.select().where((ApiToken.created_by == user.id) & ApiToken.revoked_at.is_null()):
        if token.role not in allowed:
            before = token_view(token)
            ApiToken.update(revoked_at=utcnow()).where(ApiToken.id == token.id).execute()
            audit.record("api_token.revoke", f"api_token:{token.id}", before,
                         token_view(ApiToken.get_by_id(token.id)))


def revoke_api_token(token_id: int) -> ApiToken:
    with write_transaction(database_proxy.obj):
        token = ApiToken.get_or_none(ApiToken.id == token_id)
        if token is None:
            raise NotFound(f"no API token {token_id}", code="api_token_not_found")
        before = token_view(token)
        if token.revoked_at is None:
            ApiToken.update(revoked_at=utcnow()).where(ApiToken.id == token.id).execute()
        token = ApiToken.get_by_id(token.id)
        audit.record("api_token.revoke", f"api_token:{token.id}", before, token_view(token))
    return token


def token_for(secret: str) -> ApiToken | None:
    """The live token for a bearer secret, noting when it was last used."""
    if not secret.startswith(API_TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.get_or_none((ApiToken.token_hash == sha256(secret)) & ApiToken.revoked_at.is_null())
    if token is not None:
        now = utcnow()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return token
