"""What the status bar shows besides the cashier and the shift: the devices, the print
queue, the cash drawer, the connection to head office and the enrollment.

The connection is read from what the till records, never asked over the network: the
sync agent (another process) marks each outbox record acknowledged once head office has
stored it. Nothing waiting means the till is in step; records waiting longer than
`[kiosk] offline_after_seconds` with no acknowledgement meanwhile mean head office cannot
be reached (the sales are kept and sent later). The enrollment state is the JSON file the
image's first boot writes (`[kiosk] enrollment_file`), and the till's own identity once
`fleetpos enroll` has stored it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from appliance.context import TillContext

#: states of the image's first-boot enrollment (image-build/rootfs/usr/lib/fleetpos/firstboot)
ENROLLMENT_STATES = ("unavailable", "invalid", "waiting-for-clock", "enrolling", "failed", "enrolled")

# what the status bar asks of the outbox on every poll; each runs on an index (outbox_pending,
# outbox_acked), as the outbox keeps every record ever shipped
_WAITING = "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL"
_LAST_ACK = "SELECT MAX(acked_at) FROM outbox WHERE acked_at IS NOT NULL"
STATUS_OUTBOX_QUERIES = (_WAITING, _LAST_ACK)


def _parse(stored: str | None) -> datetime | None:
    return datetime.fromisoformat(stored) if stored else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def _identity(ctx: TillContext) -> tuple | None:
    """(store_id,) once `fleetpos enroll` or the first boot stored the till's identity."""
    return ctx.sql("SELECT store_id FROM sync_identity WHERE id = 1").fetchone()


def sync_state(ctx: TillContext, identity: tuple | None = ...) -> dict:
    """{"state": not_enrolled | synced | sending | offline, "waiting", "oldest_waiting_at",
    "last_ack_at"}: how the till stands with head office."""
    if identity is ...:
        identity = _identity(ctx)
    waiting, oldest = ctx.sql(_WAITING).fetchone()
    last_ack = ctx.sql(_LAST_ACK).fetchone()[0]
    oldest_at, last_ack_at = _parse(oldest), _parse(last_ack)
    now = ctx.clock()
    limit = timedelta(seconds=ctx.config.kiosk.offline_after_seconds)
    if identity is None:
        state = "not_enrolled"
    elif not waiting:
        state = "synced"
    elif now - oldest_at > limit and (last_ack_at is None or now - last_ack_at > limit):
        state = "offline"
    else:
        state = "sending"
    return {"state": state, "waiting": waiting, "oldest_waiting_at": _iso(oldest_at),
            "last_ack_at": _iso(last_ack_at), "store_id": identity[0] if identity else None}


def enrollment_state(ctx: TillContext, identity: tuple | None = ...) -> dict:
    """{"state", "message", "store_id"}: from the first boot's file; `enrolled` whenever the
    till holds an identity from head office (also enrolled by hand with `fleetpos enroll`),
    and then the file is not read: the status bar only shows it until the till is enrolled,
    and it is asked every few seconds."""
    if identity is ...:
        identity = _identity(ctx)
    if identity is not None:
        return {"state": "enrolled", "message": None, "store_id": identity[0]}
    path = ctx.config.kiosk.enrollment_file
    record: dict = {}
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
        if isinstance(loaded, dict):
            record = loaded
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        record = {"state": "unreadable", "message": f"{path}: {exc}"}
    state = record.get("state")
    if state not in (*ENROLLMENT_STATES, "unreadable"):
        state = "not_enrolled"
    return {"state": state, "message": record.get("message") if state != "not_enrolled" else None,
            "store_id": record.get("store_id")}


def needs_attention(device: dict) -> bool:
    return device["backend"] != "none" and not device["available"]


def till_status(ctx: TillContext, hardware) -> dict:
    """Everything the status bar shows, in one answer (the page asks every few seconds
    and after each sale)."""
    if hardware is not None:
        devices = hardware.statuses()
        drawer_open = hardware.devices.drawer.is_open
        # a job being printed right now is not waiting: only those the printer refused
        queue = [{"id": job.id, "title": job.title, "message": job.last_error}
                 for job in hardware.devices.printer.pending_jobs() if job.last_error]
    else:
        devices, drawer_open, queue = [], None, []
    for device in devices:
        device["attention"] = needs_attention(device)
    identity = _identity(ctx)  # once per poll, for both the connection and the enrollment
    return {"devices": devices, "drawer_open": drawer_open, "print_queue": queue,
            "drawer_must_close": ctx.config.kiosk.drawer_must_close,
            "sync": sync_state(ctx, identity), "enrollment": enrollment_state(ctx, identity)}
