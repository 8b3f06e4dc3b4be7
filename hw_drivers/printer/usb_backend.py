"""USB printer driven directly over libusb (python-escpos' `Usb`, needs pyusb).

Without pyusb, use backend "file" with path "/dev/usb/lp0": the kernel's usblp driver
exposes most USB receipt printers there.
"""

from __future__ import annotations

from escpos.escpos import Escpos

from ..errors import ConfigError, DeviceUnavailable, MissingDependency
from .base import ReceiptPrinter


class UsbPrinter(ReceiptPrinter):
    backend = "usb"

    def __init__(
        self,
        *,
        vendor_product: str,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        timeout_ms: int = 3000,
        **options,
    ) -> None:
        super().__init__(**options)
        try:
            vendor, product = (int(part, 16) for part in vendor_product.split(":"))
        except ValueError:
            raise ConfigError(
                f"printer vendor_product {vendor_product!r} must look like '0416:5011' (see `lsusb`)"
            ) from None
        self.vendor, self.product = vendor, product
        self.in_ep, self.out_ep, self.timeout_ms = in_ep, out_ep, timeout_ms
        self.where = f"USB printer {vendor_product}"

    def _open(self) -> Escpos:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise MissingDependency(
                "the usb printer backend needs pyusb (pip install pyusb; apt-get install "
                "libusb-1.0-0), or use backend 'file' with path '/dev/usb/lp0'"
            )
        link = Usb(self.vendor, self.product, timeout=self.timeout_ms, in_ep=self.in_ep, out_ep=self.out_ep)
        try:
            link.open()
        except DeviceNotFoundError as exc:
            raise DeviceUnavailable(
                f"{self.where} not found ({str(exc).splitlines()[-1]}): is it plugged in and "
                "switched on, and may the till user use it (udev rule in docs/hardware.md)?"
            ) from None
        return link
