"""Rows that every business event writes: audit entries, outbox rows, counters.

These run inside the hot sale path, so they use plain SQL rather than building
queries through the ORM on every call.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime

from ..context import TillContext
from ..models import Cashier

#: version of the payloads the till puts in its outbox (docs/api.md)
PAYLOAD_VERSION = 1


def new_uuid() -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids land at the right edge of each UNIQUE index (sales, payments, stock
    moves, audit entries, outbox rows), so a sale completion dirties one index page per
    table instead of one random page per row: fewer pages in the WAL for every durable
    commit, which on an SD card is most of its cost."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (1 << 62) - 1
    return str(uuid.UUID(int=value))


def db_time(value: datetime) -> str:
    """A timestamp as the models store it (peewee's DateTimeField text form)."""
    return value.isoformat(sep=" ")


def iso(value: datetime | None) -> str | None:
    """A stored UTC timestamp for JSON."""
    return value.isoformat() + "Z" if value else None


def to_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def next_number(ctx: TillContext, name: str) -> int:
    """The next value of a named counter; call inside the transaction that uses it,
    so a number is used exactly once or not at all."""
    row = ctx.sql(
        "INSERT INTO counter (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value", (name,)).fetchone()
    return row[0]


def enqueue(ctx: TillContext, kind: str, record_uuid: str, payload: dict) -> None:
    """Queue a record for head office, in the caller's transaction."""
    body = {"v": PAYLOAD_VERSION, "kind": kind, "uuid": record_uuid,
            "store_id": ctx.store_id, "device_id": ctx.device_id, **payload}
    ctx.sql("INSERT INTO outbox (kind, record_uuid, payload, created_at) VALUES (?, ?, ?, ?)",
                       (kind, record_uuid, to_json(body), db_time(ctx.clock())))


def audit(ctx: TillContext, action: str, *, cashier: Cashier | None = None,
          approved_by: Cashier | None = None, subject: str | None = None, **details) -> str:
    """Record who did what, in the caller's transaction, and queue it for head office.
    Returns the entry's UUID."""
    entry_uuid = new_uuid()
    now = ctx.clock()
    ctx.sql(
        "INSERT INTO audit_entry (uuid, created_at, action, cashier_id, approved_by_id, subject, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_uuid, db_time(now), action, cashier.id if cashier else None,
         approved_by.id if approved_by else None, subject, to_json(details)))
    enqueue(ctx, "audit", entry_uuid, {
        "action": action, "at": iso(now), "subject": subject,
        "cashier": cashier.code if cashier else None,
        "approved_by": approved_by.code if approved_by else None,
        "details": details,
    })
    return entry_uuid
