"""Drawer on the printer's drawer port (RJ11/RJ12), opened with ESC p."""

from __future__ import annotations

from ..errors import ConfigError
from ..printer.base import ReceiptPrinter
from .base import CashDrawer


class PrinterKickDrawer(CashDrawer):
    """`pin` 2 or 5: the connector pin the drawer's solenoid is wired to (most use 2)."""

    backend = "printer"

    def __init__(self, *, printer: ReceiptPrinter, pin: int = 2, **options) -> None:
        super().__init__(**options)
        if pin not in (2, 5):
            raise ConfigError(f"drawer pin must be 2 or 5 (the printer's drawer connector), not {pin!r}")
        self.printer, self.pin = printer, pin
        printer.on_status.add(lambda status: self._set_status(status.available, status.message))

    def _connect(self) -> None:
        self._set_status(self.printer.available, self.printer.status.message)

    def _reconnect(self) -> bool:
        # The printer retries itself; the drawer only mirrors it.
        self._connect()
        return True

    def _pulse(self) -> None:
        self.printer.kick_drawer(self.pin)
