"""Simulated pole display: `lines` is what it shows; `screens` every screen it showed."""

from __future__ import annotations

from .base import CustomerDisplay


class SimulatedDisplay(CustomerDisplay):
    backend = "simulator"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.output = bytearray()
        self.screens: list[tuple[str, ...]] = []

    def _write(self, data: bytes) -> None:
        self.output += data
        self.screens.append(self.lines)
