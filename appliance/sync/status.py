"""The device's status for head office, and where the till leaves its hardware's state.

The till owns the hardware; the sync agent is another process. The till records each
device's availability with `record_device_state` (on start and whenever it changes) and
the agent reads the table into the status it publishes.
"""

from __future__ import annotations

import shutil

import fleetpos
from fleetpos.messages import DeviceStatus, utc_iso

from ..context import TillContext
from ..services.records import db_time
from .applier import catalog_state
from .shipper import backlog


def record_device_state(ctx: TillContext, name: str, *, available: bool, backend: str | None = None,
                        message: str | None = None) -> None:
    """Remember whether a device (printer, scanner, drawer, display...) can be used now.
    Call it with hw_drivers' DeviceStatus fields whenever a device's status changes."""
    with ctx.transaction():
        ctx.sql("INSERT INTO device_state (name, available, backend, message, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET available = excluded.available, backend = excluded.backend, "
                "message = excluded.message, updated_at = excluded.updated_at",
                (name, int(available), backend, message, db_time(ctx.clock())))


def _utc(stored: str | None) -> str | None:
    return stored.replace(" ", "T") + "Z" if stored else None


def current_status(ctx: TillContext, store_id: str, device_id: str, heartbeat_seconds: int) -> DeviceStatus:
    devices = {name: {"available": bool(available), "backend": backend, "message": message, "since": _utc(since)}
               for name, available, backend, message, since in ctx.sql(
                   "SELECT name, available, backend, message, updated_at FROM device_state ORDER BY name")}
    last_sale = ctx.sql("SELECT MAX(completed_at) FROM sale WHERE status = 'completed'").fetchone()[0]
    return DeviceStatus(
        state="online", store_id=store_id, device_id=device_id, at=utc_iso(ctx.clock()),
        software_version=fleetpos.__version__, catalog_version=catalog_state(ctx)[0], outbox_backlog=backlog(ctx),
        devices=devices, disk_free_bytes=shutil.disk_usage(ctx.config.data_dir).free,
        last_sale_at=_utc(last_sale), heartbeat_seconds=heartbeat_seconds,
        # head office reports, and reprints receipts, in the store's own time, language and money
        timezone=ctx.config.store.timezone, locale=ctx.config.store.locale, currency=ctx.config.store.currency)


def offline_status(store_id: str, device_id: str) -> DeviceStatus:
    """What the broker publishes for the device when it drops off (its last will)."""
    return DeviceStatus(state="offline", store_id=store_id, device_id=device_id)
