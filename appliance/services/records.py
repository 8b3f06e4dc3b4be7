"""Rows that every business event writes: audit entries, outbox rows, counters."""

from __future__ import annotations

import uuid

from ..context import TillContext
from ..models import AuditEntry, Cashier, Outbox

#: version of the payloads the till puts in its outbox (docs/api.md)
PAYLOAD_VERSION = 1


def new_uuid() -> str:
    return str(uuid.uuid4())


def next_number(ctx: TillContext, name: str) -> int:
    """The next value of a named counter; call inside the transaction that uses it,
    so a number is used exactly once or not at all."""
    row = ctx.db.execute_sql(
        "INSERT INTO counter (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value", (name,)).fetchone()
    return row[0]


def enqueue(ctx: TillContext, kind: str, record_uuid: str, payload: dict) -> Outbox:
    """Queue a record for head office, in the caller's transaction."""
    body = {"v": PAYLOAD_VERSION, "kind": kind, "uuid": record_uuid,
            "store_id": ctx.store_id, "device_id": ctx.device_id, **payload}
    return Outbox.create(kind=kind, record_uuid=record_uuid, payload=body, created_at=ctx.clock())


def audit(ctx: TillContext, action: str, *, cashier: Cashier | None = None,
          approved_by: Cashier | None = None, subject: str | None = None, **details) -> AuditEntry:
    """Record who did what, in the caller's transaction, and queue it for head office."""
    entry = AuditEntry.create(uuid=new_uuid(), created_at=ctx.clock(), action=action,
                              cashier=cashier, approved_by=approved_by, subject=subject,
                              details=details)
    enqueue(ctx, "audit", entry.uuid, {
        "action": action, "at": entry.created_at.isoformat() + "Z", "subject": subject,
        "cashier": cashier.code if cashier else None,
        "approved_by": approved_by.code if approved_by else None,
        "details": details,
    })
    return entry
