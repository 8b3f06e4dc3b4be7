"""Drawer open/closed switch (reed or micro switch) on a GPIO input."""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError
from ..gpio import gpio_device
from .base import DrawerSensor


class GpioDrawerSensor(DrawerSensor):
    """`open_when` "high" or "low": the pin level while the drawer is open. With
    `pull_up` the switch connects the pin to ground (the usual wiring)."""

    def __init__(
        self, pin, *, open_when: str = "high", pull_up: bool = True, bounce_ms: int = 20, pin_factory=None
    ) -> None:
        if open_when not in ("high", "low"):
            raise ConfigError(f"sensor_open_when must be 'high' or 'low', not {open_when!r}")
        self.pin, self.open_high, self.pull_up = pin, open_when == "high", pull_up
        self.bounce_s, self.pin_factory = bounce_ms / 1000.0, pin_factory
        self._input = None

    def start(self, changed: Callable[[bool], None]) -> None:
        from gpiozero import DigitalInputDevice

        self._input = gpio_device(
            DigitalInputDevice, self.pin, "drawer sensor", self.pin_factory,
            pull_up=self.pull_up, bounce_time=self.bounce_s or None,
        )
        self._input.when_activated = lambda: changed(self.is_open())
        self._input.when_deactivated = lambda: changed(self.is_open())

    def is_open(self) -> bool:
        # gpiozero's "active" already folds in pull_up: read the raw level instead.
        return self._input.pin.state == self.open_high

    def close(self) -> None:
        if self._input is not None:
            self._input.close()
            self._input = None
