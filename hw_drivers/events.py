"""Listener fan-out: one event source, any number of callbacks."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Listeners(Generic[T]):
    """Callbacks for one kind of event.

    `add(fn)` returns a function that removes `fn` again. `emit(event)` calls every
    callback in the order they were added; a callback that raises is logged and the
    others still run, so one broken listener can never stop a device (or a sale).
    Callbacks run on the thread that emits: a device's reader thread for scans.
    """

    def __init__(self, name: str = "event") -> None:
        self._name = name
        self._callbacks: list[Callable[[T], object]] = []
        self._lock = threading.Lock()

    def add(self, callback: Callable[[T], object]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove

    def emit(self, event: T) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("%s listener %r failed", self._name, callback)

    def __len__(self) -> int:
        return len(self._callbacks)
