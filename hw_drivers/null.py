"""The "none" backends: a device the store does not have. It reports itself as not
configured, accepts every call and does nothing; nothing is retried."""

from __future__ import annotations

from .buzzer.base import Buzzer, Pattern
from .display.base import CustomerDisplay
from .drawer.base import CashDrawer
from .errors import DeviceUnavailable
from .printer.base import ReceiptPrinter
from .printer.queue import SKIPPED, JobEvent, PrintJob
from .render import Rendered
from .scanner.base import Scanner

NOT_CONFIGURED = "not configured (backend \"none\")"


class _Absent:
    backend = "none"

    def start(self) -> None:
        self._set_status(False, NOT_CONFIGURED)

    def stop(self) -> None:
        self._set_status(False, NOT_CONFIGURED)


class AbsentScanner(_Absent, Scanner):
    pass


class AbsentPrinter(_Absent, ReceiptPrinter):
    """Jobs are reported as skipped (`JobEvent` state "skipped"), not kept."""

    def _submit(self, kind: str, title: str, rendered: Rendered) -> PrintJob:
        job = PrintJob(kind, title, b"", rendered.text, state=SKIPPED)
        self.on_job.emit(JobEvent(job, SKIPPED, f"no receipt printer: {NOT_CONFIGURED}"))
        return job

    def kick_drawer(self, pin: int = 2) -> None:
        raise DeviceUnavailable(f"no receipt printer: {NOT_CONFIGURED}")


class AbsentDrawer(_Absent, CashDrawer):
    def _pulse(self) -> None:
        raise DeviceUnavailable(f"no cash drawer: {NOT_CONFIGURED}")


class AbsentDisplay(_Absent, CustomerDisplay):
    """No pole display; `on_event` listeners (the HDMI customer page) still get every screen."""


class AbsentBuzzer(_Absent, Buzzer):
    def _play(self, name: str, pattern: Pattern) -> None:
        """Nothing to sound."""
