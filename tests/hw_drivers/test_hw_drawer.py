"""Cash drawer: audited kicks through the printer or a GPIO relay, and the open sensor."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from hw_drivers.drawer.base import KickReason
from hw_drivers.drawer.gpio_backend import GpioRelayDrawer
from hw_drivers.drawer.gpio_sensor import GpioDrawerSensor
from hw_drivers.drawer.printer_backend import PrinterKickDrawer
from hw_drivers.drawer.simulator import SimulatedDrawer
from hw_drivers.errors import ConfigError
from hw_drivers.printer.simulator import SimulatedPrinter


@pytest.fixture
def printer():
    p = SimulatedPrinter(retry_s=0.05)
    p.start()
    yield p
    p.stop()


def test_printer_kick_sends_esc_p_and_reports_the_reason(printer):
    drawer = PrinterKickDrawer(printer=printer, pin=2)
    audit = []
    drawer.on_kick.add(audit.append)
    drawer.start()
    kick = drawer.kick("sale", actor="cashier:7")
    assert kick.ok and kick.reason is KickReason.SALE and kick.actor == "cashier:7"
    assert audit == [kick]
    assert bytes(printer.output).endswith(b"\x1bp\x00\x32\x32")  # ESC p, pin 2
    PrinterKickDrawer(printer=printer, pin=5).kick(KickReason.NO_SALE)
    assert bytes(printer.output).endswith(b"\x1bp\x01\x32\x32")  # pin 5
    drawer.stop()


def test_printer_kick_with_the_printer_unplugged_fails_visibly(printer):
    drawer = PrinterKickDrawer(printer=printer)
    drawer.start()
    printer.set_online(False)
    kick = drawer.kick("cash_out")
    assert not kick.ok and "open the drawer with its key" in kick.message
    assert not drawer.status.available  # mirrors the printer
    printer.set_online(True)
    assert printer.retry_pending() == 0 and printer.available
    assert drawer.status.available
    drawer.stop()


def test_kick_reasons_and_pins_are_checked(printer):
    drawer = PrinterKickDrawer(printer=printer)
    with pytest.raises(ValueError):
        drawer.kick("because")
    with pytest.raises(ConfigError, match="2 or 5"):
        PrinterKickDrawer(printer=printer, pin=3)


def test_gpio_relay_pulses_the_pin_once_per_kick(wait_until):
    factory = MockFactory()
    drawer = GpioRelayDrawer(pin=17, pulse_ms=30, pin_factory=factory)
    drawer.start()
    try:
        kick = drawer.kick("cash_in")
        pin = factory.pin(17)
        assert kick.ok
        assert wait_until(lambda: [s.state for s in pin.states] == [False, True, False])
        high, low = pin.states[1].timestamp, pin.states[2].timestamp
        assert 0.025 <= low - high < 0.5
    finally:
        drawer.stop()


def test_gpio_drawer_without_gpio_says_what_to_install(monkeypatch):
    from gpiozero import Device

    monkeypatch.setattr(Device, "pin_factory", None)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")  # as on a laptop
    drawer = GpioRelayDrawer(pin=17, retry_s=60)
    drawer.start()
    try:
        assert not drawer.available and "python3-lgpio" in drawer.status.message
        assert not drawer.kick("no_sale").ok
    finally:
        drawer.stop()


def test_gpio_sensor_reports_open_and_closed(mock_pins, printer):
    # mock_pins is gpiozero's default factory here: no pin_factory passed.
    sensor = GpioDrawerSensor(22, open_when="high", pull_up=True, bounce_ms=0)
    drawer = PrinterKickDrawer(printer=printer, sensor=sensor)
    seen = []
    drawer.on_opened.add(lambda _: seen.append("opened"))
    drawer.on_closed.add(lambda _: seen.append("closed"))
    drawer.start()
    pin = mock_pins.pin(22)
    try:
        assert drawer.is_open is True  # nothing pulls the pin low: an open switch
        pin.drive_low()  # switch closed: the drawer is shut
        assert drawer.is_open is False
        pin.drive_high()
        assert drawer.is_open is True
        pin.drive_low()
        assert drawer.is_open is False
    finally:
        drawer.stop()
    assert seen == ["closed", "opened", "closed"]


def test_gpio_sensor_wired_the_other_way(mock_pins):
    sensor = GpioDrawerSensor(23, open_when="low", pull_up=False, bounce_ms=0)
    drawer = SimulatedDrawer(sensor=sensor)
    drawer.start()
    try:
        mock_pins.pin(23).drive_low()
        assert drawer.is_open is True
        mock_pins.pin(23).drive_high()
        assert drawer.is_open is False
    finally:
        drawer.stop()
    with pytest.raises(ConfigError):
        GpioDrawerSensor(24, open_when="sideways")


def test_simulated_drawer_records_kicks_and_moves():
    drawer = SimulatedDrawer()
    events = []
    drawer.on_opened.add(lambda _: events.append("opened"))
    drawer.on_closed.add(lambda _: events.append("closed"))
    drawer.start()
    assert drawer.is_open is False
    drawer.kick("sale")
    assert drawer.is_open is True
    drawer.close()
    drawer.open()
    drawer.close()
    drawer.jammed = True
    failed = drawer.kick("refund")
    assert [k.reason for k in drawer.kicks] == [KickReason.SALE, KickReason.REFUND]
    assert [k.ok for k in drawer.kicks] == [True, False] and "jammed" in failed.message
    assert events == ["opened", "closed", "opened", "closed"]
    drawer.stop()
