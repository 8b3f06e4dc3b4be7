"""What head office's request handlers and background loops share, passed explicitly."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from peewee import Database

from fleetpos.messages import SigningKey

from .config import FleetConfig

log = logging.getLogger(__name__)


@dataclass
class FleetContext:
    config: FleetConfig
    db: Database
    key: SigningKey
    #: called after a change set was issued (the publisher in the same process wakes up)
    catalog_listeners: list[Callable[[], None]] = field(default_factory=list)

    def catalog_changed(self) -> None:
        for listener in self.catalog_listeners:
            try:
                listener()
            except Exception:
                log.exception("catalog listener failed")
