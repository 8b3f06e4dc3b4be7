"""Simulated scanner: `feed("4006381333931")` as if a label was scanned."""

from __future__ import annotations

from .base import Scan, ScanError, Scanner


class SimulatedScanner(Scanner):
    """Records every result in `scans` and `errors`; `feed` returns what it produced."""

    backend = "simulator"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.scans: list[Scan] = []
        self.errors: list[ScanError] = []
        self.on_scan.add(self.scans.append)
        self.on_error.add(self.errors.append)

    def feed(self, code: str, at: float | None = None) -> Scan | ScanError | None:
        return self._deliver(code, at)
