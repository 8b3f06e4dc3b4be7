"""Simulated printer: keeps what it printed, and can be unplugged, run out of paper, opened."""

from __future__ import annotations

import errno

from escpos.escpos import Escpos

from ..errors import DeviceUnavailable
from .base import DLE_EOT, ReceiptPrinter
from .queue import PRINTED, JobEvent, PrintJob


class _SimulatedLink(Escpos):
    """Answers DLE EOT like a real printer, from the simulator's state."""

    def __init__(self, printer: "SimulatedPrinter") -> None:
        super().__init__()
        self._printer = printer
        self._answer = b""

    def _raw(self, msg: bytes) -> None:
        printer = self._printer
        if not printer.online:
            raise OSError(errno.ENODEV, "simulated printer unplugged")
        if msg[:2] == DLE_EOT and len(msg) == 3:
            self._answer = bytes([printer.status_byte(msg[2])])
        else:
            printer.output += msg

    def _read(self) -> bytes:
        answer, self._answer = self._answer, b""
        return answer


class SimulatedPrinter(ReceiptPrinter):
    """`receipts`: the text of every receipt printed, in order; `printed`: every job;
    `output`: all bytes received. `set_online(False)` unplugs it, `set_paper("out")` and
    `set_cover_open(True)` stop it the way a real printer reports it."""

    backend = "simulator"
    where = "simulated printer"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.online = True
        self.paper = "ok"
        self.cover_open = False
        self.output = bytearray()
        self.printed: list[PrintJob] = []
        self.on_job.add(self._record)

    def _record(self, event: JobEvent) -> None:
        if event.state == PRINTED:
            self.printed.append(event.job)

    @property
    def receipts(self) -> list[str]:
        return [job.text for job in self.printed if job.kind in ("receipt", "reprint")]

    @property
    def reports(self) -> list[str]:
        return [job.text for job in self.printed if job.kind == "report"]

    def set_online(self, online: bool) -> None:
        self.online = online

    def set_paper(self, state: str) -> None:
        if state not in ("ok", "near_end", "out"):
            raise ValueError(f"paper state {state!r} is not ok, near_end or out")
        self.paper = state

    def set_cover_open(self, cover_open: bool) -> None:
        self.cover_open = cover_open

    def status_byte(self, n: int) -> int:
        offline = self.cover_open or self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if offline else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper == "out" else 0)
        if n == 4:
            return 0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x60}[self.paper]
        return 0x12

    def _open(self) -> Escpos:
        if not self.online:
            raise DeviceUnavailable("simulated printer is unplugged")
        return _SimulatedLink(self)
