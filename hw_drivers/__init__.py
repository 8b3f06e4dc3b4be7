"""Store hardware for the till: scanners, receipt printer, cash drawer, customer display,
buzzer; each chosen by config, each with a simulator. No Flask in here.

    from hw_drivers import build_devices
    devices = build_devices(config["hardware"], spool_dir="/var/lib/fleetpos/print-spool")
    devices.start()
    devices.scanner.on_scan.add(handle_scan)
    devices.printer.print_receipt(receipt)

See docs/hardware.md.
"""

from .device import DeviceStatus
from .display.base import DisplayEvent
from .drawer.base import DrawerKick, KickReason
from .errors import (
    ConfigError,
    DeviceUnavailable,
    HardwareError,
    MissingDependency,
    PrinterNotReady,
)
from .factory import Devices, build_devices
from .printer.base import PrinterStatus
from .printer.queue import JobEvent, PrintJob, PrintQueue
from .receipt import (
    Adjustment,
    Currency,
    Member,
    Payment,
    Receipt,
    ReceiptLine,
    Report,
    ReportRow,
    StoreHeader,
    TaxLine,
)
from .render import ReceiptRenderer
from .scanner.base import Scan, ScanError

__all__ = [
    "Adjustment", "ConfigError", "Currency", "DeviceStatus", "DeviceUnavailable", "Devices",
    "DisplayEvent", "DrawerKick", "HardwareError", "JobEvent", "KickReason", "Member",
    "MissingDependency", "Payment", "PrintJob", "PrintQueue", "PrinterNotReady",
    "PrinterStatus", "Receipt", "ReceiptLine", "ReceiptRenderer", "Report", "ReportRow",
    "Scan", "ScanError", "StoreHeader", "TaxLine", "build_devices",
]
