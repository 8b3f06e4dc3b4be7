"""Serial printer (RS-232, or USB-serial/CDC as /dev/ttyUSB0, /dev/ttyACM0)."""

from __future__ import annotations

from escpos.escpos import Escpos

from ..serialport import open_serial
from .base import ReceiptPrinter


class _SerialLink(Escpos):
    def __init__(self, port) -> None:
        super().__init__()
        self.device = port

    def _raw(self, msg: bytes) -> None:
        self.device.write(msg)
        self.device.flush()

    def _read(self) -> bytes:
        return self.device.read(1)  # one status byte; returns as soon as it is there

    def close(self) -> None:
        if self._device:
            self._device.close()
            self._device = False


class SerialPrinter(ReceiptPrinter):
    """`flow_control`: "none", "rtscts", "dsrdtr" or "xonxoff", as set on the printer.
    `query_status = false` for a cable without the printer's transmit line."""

    backend = "serial"

    def __init__(
        self,
        *,
        port: str,
        baudrate: int = 9600,
        flow_control: str = "none",
        timeout_s: float = 1.0,
        query_status: bool = True,
        **options,
    ) -> None:
        super().__init__(**options)
        self.port, self.baudrate, self.timeout_s = port, baudrate, timeout_s
        self.flow = {name: name == flow_control for name in ("rtscts", "dsrdtr", "xonxoff")}
        self.two_way = query_status
        self.where = f"serial printer {port}"

    def _open(self) -> Escpos:
        port = open_serial(
            self.port, "printer", baudrate=self.baudrate, timeout=self.timeout_s,
            write_timeout=self.timeout_s * 10, **self.flow,
        )
        return _SerialLink(port)
