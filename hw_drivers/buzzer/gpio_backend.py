"""Buzzer on a GPIO pin (active buzzer through a transistor), optionally with an LED."""

from __future__ import annotations

from ..gpio import gpio_device
from .base import Buzzer, Pattern


class GpioBuzzer(Buzzer):
    backend = "gpio"

    def __init__(self, *, pin, led_pin=None, pin_factory=None, **options) -> None:
        super().__init__(**options)
        self.pin, self.led_pin, self.pin_factory = pin, led_pin, pin_factory
        self._outputs: list = []

    def _connect(self) -> None:
        from gpiozero import DigitalOutputDevice

        if not self._outputs:
            self._outputs = [
                gpio_device(DigitalOutputDevice, pin, what, self.pin_factory, initial_value=False)
                for pin, what in ((self.pin, "buzzer"), (self.led_pin, "status LED"))
                if pin is not None
            ]

    def _disconnect(self) -> None:
        outputs, self._outputs = self._outputs, []
        for output in outputs:
            output.close()

    def _play(self, name: str, pattern: Pattern) -> None:
        for output in self._outputs:
            output.blink(
                on_time=pattern.on_s, off_time=pattern.off_s or 0.01, n=pattern.times, background=True
            )
