"""Drawer solenoid on a relay driven from a GPIO pin."""

from __future__ import annotations

from ..gpio import gpio_device
from .base import CashDrawer


class GpioRelayDrawer(CashDrawer):
    """`pin`: the GPIO (BCM number or "BOARD11") driving the relay; `pulse_ms`: how long
    the solenoid is powered (100-200 ms is usual); `active_high`: relay board polarity."""

    backend = "gpio"

    def __init__(
        self, *, pin, pulse_ms: int = 150, active_high: bool = True, pin_factory=None, **options
    ) -> None:
        super().__init__(**options)
        self.pin, self.pulse_s, self.active_high = pin, pulse_ms / 1000.0, active_high
        self.pin_factory = pin_factory
        self._relay = None

    def _connect(self) -> None:
        if self._relay is None:
            from gpiozero import DigitalOutputDevice

            self._relay = gpio_device(
                DigitalOutputDevice, self.pin, "cash drawer relay", self.pin_factory,
                active_high=self.active_high, initial_value=False,
            )

    def _disconnect(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.close()

    def _pulse(self) -> None:
        self._connect()
        self._relay.blink(on_time=self.pulse_s, off_time=0, n=1, background=True)
