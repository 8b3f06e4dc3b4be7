"""Head office's audit log: who changed what, when, and the state before and after.

`record()` writes inside the caller's transaction, so a change and its audit row are
committed together or not at all. The actor is the request's principal (a console user,
an API token or the admin token), or `actor=` for work done outside a request (the CLI).
"""

from __future__ import annotations

import json

from flask import has_request_context, request

from .models import AuditEntry, utcnow


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def actor_name() -> str:
    if has_request_context():
        from .auth import current_user

        principal = current_user()
        if principal is not None:
            return principal.label
    return "system"


def record(action: str, target: str, before=None, after=None, *, actor: str | None = None) -> AuditEntry:
    """One audit row: `action` like "user.create", `target` like "user:alice"; `before` and
    `after` are JSON-able (None when the thing did not exist before / after)."""
    remote = request.remote_addr if has_request_context() else None
    return AuditEntry.create(at=utcnow(), actor=(actor or actor_name())[:140], action=action[:64],
                             target=str(target)[:300], before=_json(before), after=_json(after),
                             remote_addr=remote)


def entries_query(*, action=None, actor=None, target=None, since=None, until=None):
    """The audit log, newest first: `action` and `actor` exactly, `target` as a prefix,
    `since` (inclusive) and `until` (exclusive) naive UTC times."""
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if target:
        query = query.where(AuditEntry.target.startswith(target))
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return query


def entry_view(entry: AuditEntry) -> dict:
    from fleetpos.messages import utc_iso

    return {"id": entry.id, "at": utc_iso(entry.at), "actor": entry.actor, "action": entry.action,
            "target": entry.target, "before": json.loads(entry.before) if entry.before else None,
            "after": json.loads(entry.after) if entry.after else None, "remote_addr": entry.remote_addr}
