"""Ships the till's outbox to head office, oldest first, and forgets nothing.

Rows are sent in batches (one MQTT message, QoS 1, each row's payload exactly as the
till stored it), with at most `window` rows waiting for head office's ack. A row is
marked done only when head office's `ack` names it: it is stored there (or kept there as
a dead letter). Rows not acked within `ack_timeout`, and all unacked rows after a
reconnect, are sent again; head office stores each record once, so a resend is harmless.
Any outbox kind flows through: the shipper never looks inside a payload.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from fleetpos.messages import RecordAck, RecordBatch

from ..context import TillContext
from ..services.records import db_time

log = logging.getLogger(__name__)

_PENDING = "SELECT seq, record_uuid, payload FROM outbox WHERE acked_at IS NULL AND seq > ? ORDER BY seq LIMIT ?"


class OutboxShipper:
    def __init__(self, ctx: TillContext, publish: Callable[[bytes], object], *, batch_size: int = 50,
                 window: int = 1000, ack_timeout: float = 15.0, monotonic: Callable[[], float] = time.monotonic):
        self.ctx = ctx
        self.publish = publish
        self.batch_size = batch_size
        self.window = window
        self.ack_timeout = ack_timeout
        self.monotonic = monotonic
        self._waiting: dict[str, float] = {}  # record uuid -> when sent
        self._last_seq = 0
        self.sent_batches = 0
        self.acked = 0

    def restart(self) -> None:
        """Send everything unacked again from the oldest (after a reconnect or a timeout)."""
        self._waiting.clear()
        self._last_seq = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def pump(self) -> int:
        """Send what the window allows; return how many rows were sent."""
        now = self.monotonic()
        if self._waiting and now - next(iter(self._waiting.values())) > self.ack_timeout:  # oldest first
            log.warning("no ack from head office for %d records in %.0f s: sending them again",
                        len(self._waiting), self.ack_timeout)
            self.restart()
        sent = 0
        while len(self._waiting) < self.window:
            limit = min(self.batch_size, self.window - len(self._waiting))
            rows = self.ctx.sql(_PENDING, (self._last_seq, limit)).fetchall()
            if not rows:
                break
            self.publish(RecordBatch.encode_raw(row[2] for row in rows))
            self.sent_batches += 1
            for _seq, record_uuid, _payload in rows:
                self._waiting[record_uuid] = now
            self._last_seq = rows[-1][0]
            sent += len(rows)
        return sent

    def on_ack(self, ack: RecordAck) -> int:
        """Mark the acked rows done (one short transaction); return how many changed."""
        now = db_time(self.ctx.clock())
        uuids = [*ack.stored, *(r.uuid for r in ack.rejected if r.uuid)]
        changed = 0
        with self.ctx.transaction():
            for start in range(0, len(uuids), 500):
                chunk = uuids[start:start + 500]
                changed += self.ctx.sql(
                    f"UPDATE outbox SET acked_at = ? WHERE acked_at IS NULL AND record_uuid IN "
                    f"({','.join('?' * len(chunk))})", (now, *chunk)).rowcount
            for rejection in ack.rejected:
                if rejection.uuid:
                    log.error("head office refused record %s (kept there as a dead letter): %s", rejection.uuid,
                              rejection.error)
                    self.ctx.sql("INSERT OR REPLACE INTO outbox_rejection (record_uuid, error, rejected_at) "
                                 "VALUES (?, ?, ?)", (rejection.uuid, rejection.error[:2000], now))
        for record_uuid in uuids:
            self._waiting.pop(record_uuid, None)
        self.acked += changed
        return changed


def backlog(ctx: TillContext) -> int:
    return ctx.sql("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]
