"""Simulated drawer with a sensor: `kicks` records every kick, `open()` / `close()` move it."""

from __future__ import annotations

from ..errors import DeviceUnavailable
from .base import CashDrawer, DrawerKick


class SimulatedDrawer(CashDrawer):
    backend = "simulator"

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.kicks: list[DrawerKick] = []
        self.on_kick.add(self.kicks.append)
        self._is_open = False
        self.jammed = False

    def _pulse(self) -> None:
        if self.jammed:
            raise DeviceUnavailable("simulated drawer is jammed")
        self._sensor_changed(True)  # the spring pushes it open

    def open(self) -> None:
        """The sensor sees the drawer open (e.g. opened with the key)."""
        self._sensor_changed(True)

    def close(self) -> None:
        """The cashier pushes the drawer shut."""
        self._sensor_changed(False)
