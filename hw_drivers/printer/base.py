"""Receipt printer (小票打印机): rendering, queue, status, retry and drawer kick, once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import ClassVar

from escpos.escpos import Escpos

from ..device import Device
from ..errors import DeviceUnavailable, HardwareError, PrinterNotReady
from ..events import Listeners
from ..receipt import Receipt, Report
from ..render import ReceiptRenderer, Rendered
from .queue import PENDING, PRINTED, JobEvent, PrintJob, PrintQueue

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_PAPER = 1, 2, 4


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer says about itself (DLE EOT); None/"unknown" when it doesn't answer."""

    online: bool | None
    cover_open: bool | None = None
    paper: str = "unknown"  # "ok", "near_end", "out" or "unknown"

    @property
    def ready(self) -> bool:
        return self.online is not False and self.cover_open is not True and self.paper != "out"

    @property
    def message(self) -> str:
        if self.paper == "out":
            return "paper out: load a new paper roll"
        if self.cover_open:
            return "printer cover open: close it"
        if self.online is False:
            return "printer offline: check it for an error light"
        if self.paper == "near_end":
            return "paper roll nearly used up"
        return "" if self.online else "printer does not report its status"


def parse_status(printer: int | None, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """Decode the answers to DLE EOT 1, 2 and 4 (Epson bit layout, common to clones)."""
    if printer is None:
        return PrinterStatus(None)
    online = not printer & 0x08
    cover_open = bool(offline_cause & 0x04) if offline_cause is not None else (False if online else None)
    if paper is None:
        paper_state = "unknown"
    elif paper & 0x60 or (offline_cause is not None and offline_cause & 0x20):
        paper_state = "out"
    elif paper & 0x0C:
        paper_state = "near_end"
    else:
        paper_state = "ok"
    return PrinterStatus(online, cover_open, paper_state)


class ReceiptPrinter(Device):
    """Receipt printer. Prints `Receipt`s and `Report`s; a job that cannot print now waits
    in `queue` (shown by `pending_jobs()`) and is printed by the background retry or by
    `retry_pending()`, oldest first, exactly once. Listeners: `on_job(JobEvent)`.

    A backend overrides:
      `_open() -> Escpos`   a connected python-escpos transport: its `_raw(bytes)` sends,
                            its `_read()` returns the printer's answer (two-way links);
                            raise `DeviceUnavailable` saying what to check.
      `where`               a short description for messages ("network printer 10.0.0.9:9100").
    and may set:
      `keep_open = False`   connect for each job (network: the printer's port stays free)
      `two_way = False`     the link cannot read answers: no paper/cover status
    """

    kind: ClassVar[str] = "printer"
    keep_open: ClassVar[bool] = True
    two_way: ClassVar[bool] = True
    where: str = "printer"

    def __init__(
        self,
        *,
        queue: PrintQueue | None = None,
        renderer: ReceiptRenderer | None = None,
        retry_s: float = 5.0,
        paper_width_mm: int = 80,
        encoding: str = "gb18030",
        profile: str = "default",
        logo: str | None = None,
        code: str = "qr",
        native_codes: bool = False,
        preview_font: str | None = None,
    ) -> None:
        super().__init__(retry_s=retry_s)
        self.renderer = renderer or ReceiptRenderer(
            paper_width_mm=paper_width_mm, encoding=encoding, profile=profile, logo=logo,
            code=code, native_codes=native_codes, preview_font=preview_font,
        )
        self.queue = queue if queue is not None else PrintQueue()
        self.on_job: Listeners[JobEvent] = Listeners("print job")
        self._io_lock = threading.RLock()
        self._transport: Escpos | None = None
        self._answers_status: bool | None = None

    # -- what the till calls -------------------------------------------------------------

    def print_receipt(self, receipt: Receipt, *, reprint: bool = False) -> PrintJob:
        """Print a sale or refund receipt; `reprint=True` marks it 重打小票 / REPRINT."""
        rendered = self.renderer.receipt(receipt, reprint=reprint)
        return self._submit("reprint" if reprint else "receipt", receipt.receipt_no, rendered)

    def reprint(self, receipt: Receipt) -> PrintJob:
        return self.print_receipt(receipt, reprint=True)

    def print_report(self, report: Report) -> PrintJob:
        """Print an X/Z report or any other label/value report."""
        return self._submit("report", report.title, self.renderer.report(report))

    def pending_jobs(self) -> list[PrintJob]:
        return self.queue.pending()

    def retry_pending(self) -> int:
        """Print the waiting jobs now, oldest first; returns how many were printed."""
        printed, job = 0, None
        with self._io_lock:
            try:
                if not len(self.queue):
                    self._connection()
                while (job := self.queue.first()) is not None:
                    self._print(job)
                    self.queue.done(job)
                    job.state = PRINTED
                    printed += 1
                    self.on_job.emit(JobEvent(job, PRINTED))
            except HardwareError as exc:
                self._drop_connection()
                self._answers_status = None  # it may come back as another printer
                if job is not None:
                    self._job_waits(job, str(exc))
                self._set_status(False, str(exc))
                return printed
            finally:
                if not self.keep_open:
                    self._drop_connection()
        self._set_status(True, "")
        return printed

    def query_status(self) -> PrinterStatus:
        """Ask the printer for paper, cover and online state; never raises."""
        if not self.two_way:
            return PrinterStatus(None)
        with self._io_lock:
            try:
                return self._read_status(self._connection())
            except HardwareError as exc:
                self._drop_connection()
                self._set_status(False, str(exc))
                return PrinterStatus(False)
            finally:
                if not self.keep_open:
                    self._drop_connection()

    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the cash drawer on connector pin 2 or 5 now (never queued: a drawer that
        springs open minutes later is worse than one that has to be opened with its key).
        Raises `DeviceUnavailable` when the printer cannot be reached."""
        data = self.renderer.commands(lambda p: p.cashdraw(pin))
        with self._io_lock:
            try:
                self._send(self._connection(), data)
            except HardwareError as exc:
                self._lost(exc)
                raise
            finally:
                if not self.keep_open:
                    self._drop_connection()

    # -- the machinery -------------------------------------------------------------------

    def _open(self) -> Escpos:
        raise NotImplementedError

    def _reconnect(self) -> bool:
        # One background attempt: reach the printer and print what waits.
        if self._stopped:
            return True
        self.retry_pending()
        return self.available and not len(self.queue)

    def _disconnect(self) -> None:
        with self._io_lock:
            self._drop_connection()

    def _submit(self, kind: str, title: str, rendered: Rendered) -> PrintJob:
        job = PrintJob(kind, title, rendered.escpos, rendered.text)
        self.queue.add(job)
        if not self._stopped and not self._retrier.running:  # running: known to be down
            self.retry_pending()
        if len(self.queue) and not self._stopped:
            self._retrier.start()
        return job

    def _job_waits(self, job: PrintJob, message: str) -> None:
        changed = job.last_error != message
        self.queue.failed(job, message)
        if changed:
            log.warning("print job %s (%s) waits: %s", job.id, job.title, message)
            self.on_job.emit(JobEvent(job, PENDING, message))

    def _connection(self) -> Escpos:
        if self._transport is None:
            self._transport = self._open()
        return self._transport

    def _drop_connection(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # closing a half-dead link of any library must not raise
                log.debug("closing %s failed", self.where, exc_info=True)

    def _send(self, transport: Escpos, data: bytes) -> None:
        try:
            transport._raw(data)
        except OSError as exc:
            raise DeviceUnavailable(f"{self.where}: sending failed ({exc}); is it plugged in?") from None

    def _ask(self, transport: Escpos, n: int) -> int | None:
        self._send(transport, DLE_EOT + bytes([n]))
        try:
            answer = transport._read()
        except TimeoutError:
            return None
        except OSError as exc:
            raise DeviceUnavailable(f"{self.where}: connection lost ({exc})") from None
        return answer[-1] if answer else None

    def _read_status(self, transport: Escpos) -> PrinterStatus:
        printer = self._ask(transport, STATUS_PRINTER)
        if printer is None:
            return PrinterStatus(None)
        cause = self._ask(transport, STATUS_OFFLINE_CAUSE) if printer & 0x08 else None
        return parse_status(printer, cause, self._ask(transport, STATUS_PAPER))

    def _print(self, job: PrintJob) -> None:
        transport = self._connection()
        check = self.two_way and self._answers_status is not False
        if check:
            status = self._read_status(transport)
            self._answers_status = status.online is not None
            if not status.ready:
                raise PrinterNotReady(f"{self.where}: {status.message}")
        self._send(transport, job.data)
        if check and self._answers_status and self._ask(transport, STATUS_PRINTER) is None:
            # It answered before the job and not after it: the job may not have arrived.
            raise DeviceUnavailable(f"{self.where} stopped answering during a job; it will be printed again")
