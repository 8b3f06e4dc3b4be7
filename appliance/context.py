"""What every service call needs, passed explicitly: config, database, clock, events."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from peewee import SqliteDatabase

from .config import TillConfig
from .models import utcnow

log = logging.getLogger(__name__)


class Events:
    """Tiny publish/subscribe for what happened at the till (after it was committed).

    The hardware layer (print, kick the drawer, update the customer display) and the
    live UI listen here; a failing listener is logged and never undoes the sale.
    """

    def __init__(self):
        self._listeners: dict[str, list[Callable[..., Any]]] = defaultdict(list)

    def subscribe(self, name: str, listener: Callable[..., Any]) -> None:
        self._listeners[name].append(listener)

    def emit(self, name: str, /, **payload) -> None:
        """Call each listener of `name` (and of "*") as listener(name, payload)."""
        for listener in [*self._listeners.get(name, ()), *self._listeners.get("*", ())]:
            try:
                listener(name, payload)
            except Exception:
                log.exception("listener for %s failed", name)


@dataclass
class TillContext:
    config: TillConfig
    db: SqliteDatabase
    clock: Callable[[], datetime] = utcnow
    events: Events = field(default_factory=Events)
    #: derived data kept between calls, each entry with the token it was built from
    cache: dict = field(default_factory=dict)

    @property
    def device_id(self) -> str:
        return self.config.device.id

    @property
    def store_id(self) -> str:
        return self.config.store.id

    def sql(self, statement: str, params=()):
        """Run one statement on this thread's connection, in the current transaction.

        The sale path uses this instead of peewee's query builder, whose per-call SQL
        generation costs more than SQLite takes to run the statement."""
        return self.db.connection().execute(statement, params)

    def publish(self, name: str, /, **payload) -> None:
        """Emit an event once the current transaction commits (at once outside one); a
        rolled-back change publishes nothing."""
        self.db.after_commit(lambda: self.events.emit(name, **payload))

    def transaction(self):
        """A write transaction that takes the write lock at BEGIN (no upgrade deadlocks
        between the till and the sync agent, which share the file)."""
        return self.db.atomic("IMMEDIATE")
