"""Scheduled price changes take effect at their time, whether or not the store is online.

Head office sends a schedule ahead (a catalog change set); the till keeps it in
`scheduled_price` and applies it when it is due. `apply_due_prices` is cheap when
nothing is due (one indexed lookup), so the till calls it before it prices a scan, and
the sync agent calls it on a timer as well.
"""

from __future__ import annotations

from datetime import datetime

from ..context import TillContext
from ..services.records import db_time

_DUE = ("SELECT id, sku, price, effective_at FROM scheduled_price "
        "WHERE applied_at IS NULL AND effective_at <= ? ORDER BY effective_at, id")


def apply_due_prices(ctx: TillContext, now: datetime | None = None) -> int:
    """Set the price of every product whose scheduled change is due; return how many
    changes were applied. Safe to call inside or outside a transaction, from the till or
    the agent: each schedule is applied once."""
    stamp = db_time(now or ctx.clock())
    if ctx.sql(_DUE + " LIMIT 1", (stamp,)).fetchone() is None:
        return 0
    with ctx.transaction():
        due = ctx.sql(_DUE, (stamp,)).fetchall()
        for schedule_id, sku, price, effective_at in due:
            ctx.sql("UPDATE product SET price = ?, updated_at = ? WHERE sku = ?", (price, effective_at, sku))
            ctx.sql("UPDATE scheduled_price SET applied_at = ? WHERE id = ?", (stamp, schedule_id))
    return len(due)
