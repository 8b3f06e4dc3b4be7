"""Barcode scanner (扫码枪): the part every backend shares."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, ClassVar

from ..barcodes import check_barcode
from ..device import Device
from ..errors import DeviceUnavailable
from ..events import Listeners


@dataclass(frozen=True)
class Scan:
    """A good read: `code` as printed on the label, `at` in seconds since the epoch."""

    code: str
    symbology: str
    source: str
    at: float


@dataclass(frozen=True)
class ScanError:
    """A bad read (wrong check digit): beep and ask to scan again, never look it up."""

    code: str
    reason: str
    source: str
    at: float


class Scanner(Device):
    """Barcode scanner. The base validates, drops duplicates and calls the listeners:

      on_scan(Scan)       a good read, for the till to look up
      on_error(ScanError) a bad read: error beep and message, never a product

    Listeners run on the scanner's reader thread: hand work over to your own thread.

    A backend that reads a device sets `reads = True` and overrides
      `_connect()` / `_disconnect()`  open and release it (raise `DeviceUnavailable`),
      `_read(timeout)`                 return [(text, at), ...] completed within `timeout`
                                       seconds; raise `DeviceUnavailable` when unplugged.
    The base runs the reader thread and re-attaches after an unplug. A backend driven from
    outside (the simulator) calls `_deliver(text)` instead.
    """

    kind: ClassVar[str] = "scanner"
    reads: ClassVar[bool] = False
    READ_TIMEOUT_S: ClassVar[float] = 0.1

    def __init__(
        self,
        *,
        dedupe_ms: float = 500,
        validate: bool = True,
        retry_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(retry_s=retry_s)
        self.dedupe_s = dedupe_ms / 1000.0
        self.validate = validate
        self.duplicates_dropped = 0
        self.on_scan: Listeners[Scan] = Listeners("scan")
        self.on_error: Listeners[ScanError] = Listeners("scan error")
        self._clock = clock
        self._dedupe_lock = threading.Lock()
        self._last_code = ""
        self._last_at = float("-inf")
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        if not self.reads:
            super().start()
            return
        if self._reader is not None:
            return
        self._stopped = False
        self._stop = threading.Event()
        self._reader = threading.Thread(
            target=self._run, args=(self._stop,), name=f"hw-scanner-{self.backend}", daemon=True
        )
        self._reader.start()

    def stop(self) -> None:
        self._stop.set()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join(5.0)
        super().stop()

    def _read(self, timeout: float) -> list[tuple[str, float]]:
        raise NotImplementedError

    def _run(self, stop: threading.Event) -> None:
        connected = False
        while not stop.is_set():
            if not connected:
                connected = self._reconnect()
                if not connected:
                    stop.wait(self.retry_s)
                continue
            try:
                for text, at in self._read(self.READ_TIMEOUT_S):
                    self._deliver(text, at)
            except DeviceUnavailable as exc:
                connected = False
                self._disconnect()
                self._set_status(False, str(exc))

    def _deliver(self, text: str, at: float | None = None) -> Scan | ScanError | None:
        """Validate and hand on one code; returns what was emitted (None for a duplicate)."""
        at = self._clock() if at is None else at
        code = text.strip(" \r\n\t")
        if not code:
            return None
        with self._dedupe_lock:
            duplicate = code == self._last_code and at - self._last_at < self.dedupe_s
            self._last_code, self._last_at = code, at
        if duplicate:
            self.duplicates_dropped += 1
            return None
        check = check_barcode(code) if self.validate else None
        if check is not None and not check.valid:
            error = ScanError(code, f"{check.reason}: scan again or type the code", self.backend, at)
            self.on_error.emit(error)
            return error
        scan = Scan(code, check.symbology if check else "other", self.backend, at)
        self.on_scan.emit(scan)
        return scan
