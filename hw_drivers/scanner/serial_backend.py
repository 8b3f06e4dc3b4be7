"""RS-232 / USB-CDC scanner: codes arrive as text lines on a serial port."""

from __future__ import annotations

import time

from ..errors import ConfigError, DeviceUnavailable
from ..serialport import open_serial
from .base import Scanner

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t", "none": b""}
_STALE_S = 1.0  # a partial code older than this is noise, not the start of the next code


class SerialScanner(Scanner):
    """`terminator` is "cr", "lf", "crlf", "tab" or "none" (a code ends at a pause)."""

    backend = "serial"
    reads = True

    def __init__(
        self,
        *,
        port: str,
        baudrate: int = 9600,
        terminator: str = "cr",
        encoding: str = "ascii",
        idle_ms: float = 50,
        **options,
    ) -> None:
        super().__init__(**options)
        if terminator not in TERMINATORS:
            raise ConfigError(
                f"unknown scanner terminator {terminator!r}; known: {', '.join(TERMINATORS)}"
            )
        self.port, self.baudrate, self.encoding = port, baudrate, encoding
        self.terminator = TERMINATORS[terminator]
        self.idle_s = idle_ms / 1000.0
        self._serial = None
        self._buffer = b""
        self._last_byte_at = 0.0

    def _connect(self) -> None:
        self._serial = open_serial(
            self.port, "scanner", baudrate=self.baudrate, timeout=self.READ_TIMEOUT_S
        )
        self._buffer = b""

    def _disconnect(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except OSError:
                pass

    def _read(self, timeout: float) -> list[tuple[str, float]]:
        import serial

        port = self._serial
        try:  # waits up to the port's timeout, READ_TIMEOUT_S, for the first byte
            data = port.read(max(1, port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"scanner port {self.port} went away ({exc})") from None
        now = time.time()
        if data:
            if self._buffer and now - self._last_byte_at > _STALE_S:
                self._buffer = b""
            self._buffer += data
            self._last_byte_at = now
        if self.terminator:
            *codes, self._buffer = self._buffer.split(self.terminator)
        elif self._buffer and now - self._last_byte_at >= self.idle_s:
            codes, self._buffer = [self._buffer], b""
        else:
            codes = []
        return [(raw.decode(self.encoding, "replace"), now) for raw in codes if raw.strip()]
