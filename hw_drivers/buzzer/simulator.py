"""Simulated buzzer: `beeps` lists "good" / "error" in order."""

from __future__ import annotations

from .base import Buzzer, Pattern


class SimulatedBuzzer(Buzzer):
    backend = "simulator"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.beeps: list[str] = []

    def _play(self, name: str, pattern: Pattern) -> None:
        self.beeps.append(name)
