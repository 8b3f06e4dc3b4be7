"""Status buzzer (and LED): a short beep for a good scan, three for an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..device import Device
from ..errors import HardwareError


@dataclass(frozen=True)
class Pattern:
    on_s: float
    off_s: float
    times: int


PATTERNS = {"good": Pattern(0.06, 0.0, 1), "error": Pattern(0.15, 0.1, 3)}


class Buzzer(Device):
    """`good()` and `error()` never raise. A backend overrides `_play(name, pattern)` to
    sound `pattern` without blocking the caller, and may override `_connect()` /
    `_disconnect()`."""

    kind: ClassVar[str] = "buzzer"

    def good(self) -> None:
        self._signal("good")

    def error(self) -> None:
        self._signal("error")

    def _signal(self, name: str) -> None:
        if not self.available:
            return
        try:
            self._play(name, PATTERNS[name])
        except HardwareError as exc:
            self._lost(exc)

    def _play(self, name: str, pattern: Pattern) -> None:
        raise NotImplementedError
