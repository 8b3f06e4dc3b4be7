"""Pole / VFD customer display on a serial port."""

from __future__ import annotations

from ..errors import DeviceUnavailable
from ..serialport import open_serial
from .base import CustomerDisplay


class SerialDisplay(CustomerDisplay):
    backend = "serial"

    def __init__(self, *, port: str, baudrate: int = 9600, **options) -> None:
        super().__init__(**options)
        self.port, self.baudrate = port, baudrate
        self._serial = None

    def _connect(self) -> None:
        self._serial = open_serial(self.port, "customer display", baudrate=self.baudrate, write_timeout=2)

    def _disconnect(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except OSError:
                pass

    def _write(self, data: bytes) -> None:
        import serial

        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"customer display on {self.port} went away ({exc})") from None
