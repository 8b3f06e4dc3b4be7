"""Network printer on a raw TCP port (9100, "JetDirect"); one connection per job."""

from __future__ import annotations

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from ..errors import DeviceUnavailable
from .base import ReceiptPrinter


class NetworkPrinter(ReceiptPrinter):
    backend = "network"
    keep_open = False

    def __init__(self, *, host: str, port: int = 9100, timeout_s: float = 3.0, **options) -> None:
        super().__init__(**options)
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.where = f"network printer {host}:{port}"

    def _open(self) -> Network:
        link = Network(self.host, self.port, timeout=self.timeout_s)
        try:
            link.open()
        except DeviceNotFoundError as exc:
            reason = str(exc).splitlines()[-1]
            raise DeviceUnavailable(
                f"{self.where} not reachable ({reason}): is it switched on, cabled, and is "
                "its IP address right? (most print it on a self-test page)"
            ) from None
        return link
