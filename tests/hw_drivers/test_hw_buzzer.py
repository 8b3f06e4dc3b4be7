"""Buzzer and status LED on GPIO through gpiozero's MockFactory."""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory

from hw_drivers.buzzer.gpio_backend import GpioBuzzer
from hw_drivers.buzzer.simulator import SimulatedBuzzer


def pulses(pin) -> int:
    return sum(1 for state in pin.states if state.state)


def test_good_is_one_beep_and_error_three_with_the_led_along(wait_until):
    factory = MockFactory()
    buzzer = GpioBuzzer(pin=17, led_pin=27, pin_factory=factory)
    buzzer.start()
    try:
        buzzer.good()
        assert wait_until(lambda: pulses(factory.pin(17)) == 1 and not factory.pin(17).state)
        buzzer.error()
        assert wait_until(lambda: pulses(factory.pin(17)) == 4 and not factory.pin(17).state)
        assert pulses(factory.pin(27)) == 4
    finally:
        buzzer.stop()


def test_buzzer_uses_the_default_pin_factory_when_none_is_passed(mock_pins, wait_until):
    buzzer = GpioBuzzer(pin=5)
    buzzer.start()
    try:
        buzzer.good()
        assert wait_until(lambda: pulses(mock_pins.pin(5)) == 1)
    finally:
        buzzer.stop()


def test_simulated_buzzer_records_and_an_unstarted_one_stays_quiet():
    buzzer = SimulatedBuzzer()
    buzzer.good()  # not started: unavailable, no sound, no error
    buzzer.start()
    buzzer.good()
    buzzer.error()
    assert buzzer.beeps == ["good", "error"]
    buzzer.stop()
