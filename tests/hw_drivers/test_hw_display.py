"""Customer display: pole display bytes per command set, Chinese fallback, event fan-out."""

from __future__ import annotations

import pytest

from hw_drivers.display.serial_backend import SerialDisplay
from hw_drivers.display.simulator import SimulatedDisplay
from hw_drivers.errors import ConfigError, DeviceUnavailable
from hw_drivers.null import AbsentDisplay

POS = b"\x1f$"  # US $ col row: move the cursor (ESC/POS display command set)


@pytest.fixture
def display():
    d = SimulatedDisplay(retry_s=0.05)
    d.start()
    yield d
    d.stop()


def test_serial_display_speaks_the_escpos_display_command_set(pty_pair):
    display = SerialDisplay(port=pty_pair.path, baudrate=9600, command_set="escpos")
    display.start()
    try:
        init = pty_pair.read_until(lambda data: data.count(POS) == 2)
        display.show_item("Coca-Cola 330ml", 350)
        screen = pty_pair.read_until(lambda data: data.count(POS) == 2)
    finally:
        display.stop()
    assert init.startswith(b"\x1b@\x1f\x01\x1fC\x00")  # reset, overwrite mode, cursor off
    assert screen == (
        POS + b"\x01\x01" + b"Coca-Cola 330ml     "
        + POS + b"\x01\x02" + b"               \x9d3.50"  # cp437 0x9D is the yen sign
    )


@pytest.mark.parametrize(
    "command_set, expected",
    [
        ("cd5220", b"\x1bQA" + b"TOTAL".ljust(20) + b"\r\x1bQB" + b"\x9d19.30".rjust(20) + b"\r"),
        ("plain", b"\x0c" + b"TOTAL".ljust(20) + b"\x9d19.30".rjust(20)),
    ],
)
def test_other_command_sets(command_set, expected):
    display = SimulatedDisplay(command_set=command_set)
    display.start()
    display.output.clear()
    display.show_total(1930)
    assert bytes(display.output) == expected
    display.stop()


def test_screens_for_a_sale(display):
    display.show_item("Apples", 1280, qty_milli=500, unit="kg", amount=640)
    assert display.lines == ("Apples", "               ¥6.40")  # "0.500 kg x ¥12.80" does not fit too
    display.show_item("Milk", 1590, qty_milli=2000, amount=3180)
    assert display.lines == ("Milk", "2 x ¥15.90    ¥31.80")
    display.show_total(4820)
    assert display.lines == ("TOTAL", "              ¥48.20")
    display.show_payment(5000, 180)
    assert display.lines == ("PAID          ¥50.00", "CHANGE         ¥1.80")
    display.show_idle()
    assert display.lines == ("WELCOME", "")
    assert len(display.screens) == 6  # the reset screen when started, then five


def test_chinese_names_fall_back_to_the_sku_then_to_the_price_alone(display):
    display.show_item("可口可乐 330ml", 350, sku="6901234567890")
    assert display.lines == ("330ml", "               ¥3.50")  # what the code page can show
    display.show_item("可口可乐", 350, sku="6901234567890")
    assert display.lines == ("6901234567890", "               ¥3.50")
    display.show_item("红富士苹果", 1280)
    assert display.lines == ("ITEM", "              ¥12.80")


def test_accents_are_kept_where_the_code_page_has_them_and_dropped_elsewhere(display):
    display.show_item("Café Łódź", 100)
    assert display.lines[0] == "Café ódz"


def test_listeners_get_every_screen_with_the_original_text(display):
    events = []
    display.on_event.add(events.append)
    display.show_item("可口可乐", 350, sku="6901234567890")
    display.show_payment(1000, 650)
    assert [e.kind for e in events] == ["item", "payment"]
    assert events[0].data["name"] == "可口可乐" and events[0].data["price_text"] == "¥3.50"
    assert events[1].data == {"paid": 1000, "change": 650, "paid_text": "¥10.00", "change_text": "¥6.50"}


def test_without_a_pole_display_events_still_reach_the_hdmi_page():
    display = AbsentDisplay()
    events = []
    display.on_event.add(events.append)
    display.start()
    display.show_total(1930)
    assert events[0].data["total_text"] == "¥19.30" and not display.available


def test_a_currency_symbol_the_display_lacks_is_left_out():
    from hw_drivers.receipt import Currency

    display = SimulatedDisplay(currency=Currency("EUR", 2, "€"), labels={"total": "SUMME"})
    display.show_total(1250)
    assert display.lines == ("SUMME", "               12.50")


def test_quantity_needs_the_amount_from_the_till(display):
    with pytest.raises(ValueError, match="rounds"):
        display.show_item("Apples", 1280, qty_milli=1254, unit="kg")


def test_unknown_command_set_is_a_config_error():
    with pytest.raises(ConfigError, match="cd5220"):
        SimulatedDisplay(command_set="vfd9000")


class FlakyDisplay(SimulatedDisplay):
    """A pole display whose cable can be pulled: writes fail while `unplugged`."""

    unplugged = False

    def _connect(self) -> None:
        if self.unplugged:
            raise DeviceUnavailable("display cable pulled")

    def _write(self, data: bytes) -> None:
        if self.unplugged:
            raise DeviceUnavailable("display cable pulled")
        super()._write(data)


def test_display_unplugged_keeps_the_screen_and_shows_it_again_when_back(wait_until):
    display = FlakyDisplay(retry_s=0.05)
    display.start()
    try:
        display.unplugged = True
        display.show_total(1930)  # never raises into the sale
        assert not display.available and display.lines == ("TOTAL", "              ¥19.30")
        display.output.clear()
        display.unplugged = False
        assert wait_until(lambda: display.available)
        assert bytes(display.output).startswith(b"\x1b@")  # re-initialised ...
        assert b"TOTAL" in display.output and b"\x9d19.30" in display.output  # ... and the screen
    finally:
        display.stop()


def test_serial_display_on_a_missing_port_is_unavailable_but_works_for_listeners():
    display = SerialDisplay(port="/dev/ttyNOSUCH9", retry_s=60)
    events = []
    display.on_event.add(events.append)
    display.start()
    try:
        display.show_idle()
        assert not display.available and "/dev/ttyNOSUCH9" in display.status.message
        assert events and display.lines == ("WELCOME", "")
    finally:
        display.stop()
