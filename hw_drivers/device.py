"""What every device has: an availability status, and a background retry when absent."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, ClassVar

from .errors import HardwareError
from .events import Listeners

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceStatus:
    """Whether a device can be used now, and if not, what a person should do about it."""

    kind: str
    backend: str
    available: bool
    message: str = ""


class Retrier:
    """Calls `attempt()` every `interval` seconds on a daemon thread until it returns True.

    `start()` is idempotent and safe to call from any thread, including from inside
    `attempt()`; `stop()` ends the thread and waits for it.
    """

    def __init__(self, name: str, attempt: Callable[[], bool], interval: float) -> None:
        self._name = name
        self._attempt = attempt
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._again = False

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._again = False
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name=self._name, daemon=True
            )
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                done = self._attempt()
            except Exception:
                log.exception("%s: retry attempt failed unexpectedly", self._name)
                done = False
            if done:
                with self._lock:
                    if self._thread is not threading.current_thread():
                        return
                    if not self._again:
                        self._thread = None
                        return
                    self._again = False

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


class Device:
    """Base of every device kind: status, status events, connect and background retry.

    A backend may override:
      `_connect()`    open the device; raise `DeviceUnavailable` (or `MissingDependency`)
                      with a message saying what to check when it is absent.
      `_disconnect()` release it; must not raise.
    Everything else (reporting, retrying, logging once per change) lives here.
    """

    kind: ClassVar[str] = "device"
    backend: ClassVar[str] = "?"

    def __init__(self, *, retry_s: float = 5.0) -> None:
        self.retry_s = retry_s
        self.on_status: Listeners[DeviceStatus] = Listeners(f"{self.kind} status")
        self._status = DeviceStatus(self.kind, self.backend, False, "not started")
        self._retrier = Retrier(f"hw-{self.kind}-{self.backend}-retry", self._reconnect, retry_s)
        self._stopped = False

    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def available(self) -> bool:
        return self._status.available

    def start(self) -> None:
        """Connect now if possible; otherwise report unavailable and keep retrying."""
        self._stopped = False
        if not self._reconnect():
            self._retrier.start()

    def stop(self) -> None:
        """Stop background work and release the device. It may be started again."""
        self._stopped = True
        self._retrier.stop()
        self._disconnect()
        self._set_status(False, "stopped")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _connect(self) -> None:
        """Open the device (override when there is something to open)."""

    def _disconnect(self) -> None:
        """Release the device (override when there is something to release); never raises."""

    def _connected(self) -> None:
        """Bring a freshly opened device up to date (the base class of a kind overrides it)."""

    def _reconnect(self) -> bool:
        if self._stopped:
            return True
        try:
            self._connect()
            self._connected()
        except HardwareError as exc:
            self._disconnect()
            self._set_status(False, str(exc))
            return False
        self._set_status(True, "")
        return True

    def _lost(self, exc: Exception) -> None:
        """The device went away while in use: report it and retry in the background."""
        self._disconnect()
        self._set_status(False, str(exc))
        if not self._stopped:
            self._retrier.start()

    def _set_status(self, available: bool, message: str) -> None:
        new = DeviceStatus(self.kind, self.backend, available, message)
        if new == self._status:
            return
        was_available = self._status.available
        self._status = new
        if available and not was_available:
            log.info("%s (%s) available", self.kind, self.backend)
        elif not available and message != "stopped":
            log.warning("%s (%s) unavailable: %s", self.kind, self.backend, message)
        self.on_status.emit(new)
