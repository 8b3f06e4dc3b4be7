"""Scanners: check digits, duplicates, the evdev backend's attach/grab/re-attach, serial."""

from __future__ import annotations

import errno
import itertools

import pytest
from evdev import ecodes as e

from hw_drivers.barcodes import check_barcode, upce_to_upca
from hw_drivers.errors import ConfigError
from hw_drivers.scanner.base import Scan, ScanError
from hw_drivers.scanner.evdev_backend import EvdevScanner
from hw_drivers.scanner.serial_backend import SerialScanner
from hw_drivers.scanner.simulator import SimulatedScanner

SCANNER_ID = "05e0:1200"


@pytest.mark.parametrize(
    "code, symbology",
    [("4006381333931", "ean13"), ("96385074", "ean8"), ("036000291452", "upca"), ("04252614", "upce")],
)
def test_valid_retail_codes_pass_with_their_symbology(code, symbology):
    assert check_barcode(code).valid
    assert check_barcode(code).symbology == symbology


@pytest.mark.parametrize("code", ["4006381333932", "96385075", "036000291453", "04252615"])
def test_a_wrong_check_digit_is_rejected(code):
    result = check_barcode(code)
    assert not result.valid
    assert "check digit" in result.reason


@pytest.mark.parametrize("code", ["INT-000123", "123456", "12345678901234567890", "ABC12345"])
def test_other_codes_pass_through(code):
    assert check_barcode(code) == check_barcode(code).__class__("other", True)


def test_upce_expands_to_its_upca():
    assert upce_to_upca("04252614") == "042100005264"
    assert upce_to_upca("21234565") is None  # number system 2 is not UPC-E


def test_simulator_hands_on_good_scans_and_reports_bad_ones():
    scanner = SimulatedScanner()
    good = scanner.feed("4006381333931", at=10.0)
    bad = scanner.feed("4006381333932", at=20.0)
    internal = scanner.feed("INT-7", at=30.0)
    assert isinstance(good, Scan) and good.symbology == "ean13"
    assert isinstance(bad, ScanError) and "scan again" in bad.reason
    assert [s.code for s in scanner.scans] == ["4006381333931", "INT-7"]
    assert [x.code for x in scanner.errors] == ["4006381333932"]
    assert internal.symbology == "other"


def test_duplicate_within_the_window_is_dropped_and_later_accepted():
    scanner = SimulatedScanner(dedupe_ms=500)
    scanner.feed("4006381333931", at=100.0)
    assert scanner.feed("4006381333931", at=100.3) is None
    assert scanner.feed("96385074", at=100.4) is not None  # another code is no duplicate
    assert scanner.feed("96385074", at=101.0) is not None  # 0.6 s later: a second item
    assert scanner.feed("4006381333931", at=101.5) is not None
    assert scanner.duplicates_dropped == 1
    assert [s.code for s in scanner.scans] == ["4006381333931", "96385074", "96385074", "4006381333931"]


def test_holding_the_trigger_keeps_a_code_suppressed():
    scanner = SimulatedScanner(dedupe_ms=500)
    for at in (0.0, 0.4, 0.8, 1.2):  # continuous re-reads 400 ms apart
        scanner.feed("4006381333931", at=at)
    assert len(scanner.scans) == 1


def test_validation_can_be_turned_off():
    scanner = SimulatedScanner(validate=False)
    assert isinstance(scanner.feed("4006381333932"), Scan)


# -- evdev -----------------------------------------------------------------------------


def evdev_scanner(bus, **options) -> EvdevScanner:
    options.setdefault("vendor_product", SCANNER_ID)
    return EvdevScanner(list_devices=bus.list_devices, open_device=bus.open_device, retry_s=0.05, **options)


def test_evdev_attaches_to_the_scanner_by_vendor_product_and_grabs_only_it(
    input_bus, key_events, us_digits, wait_until
):
    keyboard = input_bus.plug("/dev/input/event2", "Logitech USB Keyboard", "046d:c31c")
    scanner_device = input_bus.plug("/dev/input/event5", "Honeywell 1900", SCANNER_ID)
    scanner = evdev_scanner(input_bus)
    scans = []
    scanner.on_scan.add(scans.append)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        assert scanner_device.grabbed and not keyboard.grabbed and keyboard.closed
        scanner_device.push(key_events(us_digits("4006381333931") + [e.KEY_ENTER]))
        assert wait_until(lambda: scans)
        assert scans[0].code == "4006381333931" and scans[0].source == "evdev"
    finally:
        scanner.stop()
    assert not scanner_device.grabbed and scanner_device.closed


def test_evdev_finds_the_scanner_by_name(input_bus, key_events, wait_until):
    input_bus.plug("/dev/input/event3", "Symbol Technologies, Inc. Symbol Bar Code Scanner", "05e0:1300")
    scanner = evdev_scanner(input_bus, vendor_product="", device_name="bar code scanner")
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
    finally:
        scanner.stop()


def test_evdev_reattaches_after_unplug_and_replug(input_bus, key_events, us_digits, wait_until):
    first = input_bus.plug("/dev/input/event5", "Honeywell 1900", SCANNER_ID)
    scanner = evdev_scanner(input_bus)
    scans, statuses = [], []
    scanner.on_scan.add(scans.append)
    scanner.on_status.add(statuses.append)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        input_bus.unplug("/dev/input/event5")
        assert wait_until(lambda: not scanner.available)
        assert any("went away" in status.message for status in statuses)
        assert first.closed
        second = input_bus.plug("/dev/input/event7", "Honeywell 1900", SCANNER_ID)
        assert wait_until(lambda: scanner.available)
        assert second.grabbed
        second.push(key_events(us_digits("96385074") + [e.KEY_ENTER], start=5000.0))
        assert wait_until(lambda: scans)
        assert scans[0].code == "96385074"
    finally:
        scanner.stop()
    transitions = [available for available, _ in itertools.groupby(s.available for s in statuses)]
    assert transitions[:3] == [True, False, True]


def test_evdev_scanner_absent_is_unavailable_and_says_what_to_check(input_bus, wait_until):
    scanner = evdev_scanner(input_bus)
    scanner.start()
    try:
        assert wait_until(lambda: "is it plugged in?" in scanner.status.message)
        assert not scanner.available and "05e0:1200" in scanner.status.message
    finally:
        scanner.stop()


def test_evdev_permission_denied_names_the_input_group(input_bus, wait_until):
    input_bus.plug("/dev/input/event5", "Honeywell 1900", SCANNER_ID)
    input_bus.denied.add("/dev/input/event5")
    scanner = evdev_scanner(input_bus)
    scanner.start()
    try:
        assert wait_until(lambda: "group 'input'" in scanner.status.message)
    finally:
        scanner.stop()


def test_evdev_scanner_grabbed_elsewhere_is_reported(input_bus, wait_until):
    device = input_bus.plug("/dev/input/event5", "Honeywell 1900", SCANNER_ID)
    device.grab_error = errno.EBUSY
    scanner = evdev_scanner(input_bus)
    scanner.start()
    try:
        assert wait_until(lambda: "grabbed by another program" in scanner.status.message)
        assert not scanner.available
    finally:
        scanner.stop()


def test_evdev_drops_human_typing_and_duplicate_bursts(input_bus, key_events, us_digits, wait_until):
    device = input_bus.plug("/dev/input/event5", "Honeywell 1900", SCANNER_ID)
    scanner = evdev_scanner(input_bus, dedupe_ms=500)
    scans = []
    scanner.on_scan.add(scans.append)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        code = us_digits("4006381333931") + [e.KEY_ENTER]
        device.push(key_events(us_digits("1234") + [e.KEY_ENTER], start=100.0, gap_ms=150))  # typed
        device.push(key_events(code, start=200.0))
        device.push(key_events(code, start=200.2))  # same label read again 200 ms later
        device.push(key_events(code, start=201.0))  # scanned again a second later
        assert wait_until(lambda: len(scans) == 2)
    finally:
        scanner.stop()
    assert [s.code for s in scans] == ["4006381333931"] * 2
    assert scanner.duplicates_dropped == 1


def test_evdev_needs_something_to_identify_the_scanner():
    with pytest.raises(ConfigError, match="never grabs the wrong keyboard"):
        EvdevScanner()
    with pytest.raises(ConfigError, match="layout"):
        EvdevScanner(device_name="x", layout="jp")
    with pytest.raises(ConfigError, match="05e0:1200"):
        EvdevScanner(vendor_product="05e0-1200")


# -- serial ----------------------------------------------------------------------------


def test_serial_scanner_reads_codes_from_a_pty(pty_pair, wait_until):
    scanner = SerialScanner(port=pty_pair.path, baudrate=9600, terminator="cr", retry_s=0.05)
    scans, errors = [], []
    scanner.on_scan.add(scans.append)
    scanner.on_error.add(errors.append)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        pty_pair.write(b"4006381333931\r96385")  # the second code arrives in two pieces
        pty_pair.write(b"074\rINT-00042\r4006381333932\r")
        assert wait_until(lambda: len(scans) == 3 and errors)
    finally:
        scanner.stop()
    assert [s.code for s in scans] == ["4006381333931", "96385074", "INT-00042"]
    assert errors[0].code == "4006381333932"


def test_serial_scanner_with_crlf_terminator(pty_pair, wait_until):
    scanner = SerialScanner(port=pty_pair.path, terminator="crlf")
    scans = []
    scanner.on_scan.add(scans.append)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        pty_pair.write(b"036000291452\r\n")
        assert wait_until(lambda: scans)
    finally:
        scanner.stop()
    assert scans[0].code == "036000291452" and scans[0].symbology == "upca"


def test_serial_scanner_unplugged_becomes_unavailable(pty_pair, wait_until):
    scanner = SerialScanner(port=pty_pair.path, retry_s=0.05)
    scanner.start()
    try:
        assert wait_until(lambda: scanner.available)
        pty_pair.close_master()
        assert wait_until(lambda: not scanner.available)
        assert pty_pair.path in scanner.status.message
    finally:
        scanner.stop()


def test_serial_scanner_on_a_missing_port_says_what_to_check(wait_until):
    scanner = SerialScanner(port="/dev/ttyNOSUCH0", retry_s=0.05)
    scanner.start()
    try:
        assert wait_until(lambda: "dialout" in scanner.status.message)
    finally:
        scanner.stop()
