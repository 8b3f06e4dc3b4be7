"""Printer as a file: a kernel device node (/dev/usb/lp0 via usblp) or a plain file.

Each job is appended, so a plain file collects every job (handy on a laptop). The link
is one-way: no paper or cover status.
"""

from __future__ import annotations

from escpos.escpos import Escpos

from ..errors import DeviceUnavailable
from .base import ReceiptPrinter


class _FileLink(Escpos):
    def __init__(self, file) -> None:
        super().__init__()
        self.device = file

    def _raw(self, msg: bytes) -> None:
        self.device.write(msg)
        self.device.flush()

    def close(self) -> None:
        if self._device:
            self._device.close()
            self._device = False


class FilePrinter(ReceiptPrinter):
    backend = "file"
    two_way = False

    def __init__(self, *, path: str = "/dev/usb/lp0", **options) -> None:
        super().__init__(**options)
        self.path = path
        self.where = f"printer file {path}"

    def _open(self) -> Escpos:
        try:
            return _FileLink(open(self.path, "ab", buffering=0))
        except OSError as exc:
            raise DeviceUnavailable(
                f"cannot open {self.where} ({exc.strerror}): is the printer plugged in and "
                "switched on, and is the till user in group 'lp'?"
            ) from None
