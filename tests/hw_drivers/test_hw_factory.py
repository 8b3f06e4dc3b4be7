"""build_devices: backends by name from config, injection, simulation, absent devices."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from hw_drivers import build_devices
from hw_drivers.errors import ConfigError
from hw_drivers.scanner.simulator import SimulatedScanner

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hardware.md"

SIMULATED = {
    "scanner": {"backend": "simulator"},
    "printer": {"backend": "simulator", "paper_width_mm": 58},
    "drawer": {"backend": "printer", "pin": 2},
    "display": {"backend": "simulator"},
    "buzzer": {"backend": "simulator"},
}


def test_all_simulators_from_config_work_together(sale_receipt):
    with build_devices(SIMULATED) as devices:
        assert all(status.available for status in devices.statuses().values())
        devices.scanner.feed("4006381333931", at=1.0)
        devices.scanner.feed("4006381333932", at=2.0)
        assert devices.buzzer.beeps == ["good", "error"]
        devices.printer.print_receipt(sale_receipt)
        assert devices.drawer.kick("sale").ok
        assert bytes(devices.printer.output).endswith(b"\x1bp\x00\x32\x32")
        assert len(devices.printer.receipts) == 1
        devices.display.show_total(1930)
        assert devices.display.lines[0] == "TOTAL"
    assert not any(status.available for status in devices.statuses().values())


def test_the_whole_till_config_and_missing_sections_are_accepted():
    devices = build_devices({"hardware": {"printer": {"backend": "simulator"}}, "store": {"id": 1}})
    devices.start()
    try:
        assert devices.printer.backend == "simulator"
        assert devices.scanner.backend == "none" and not devices.scanner.available
        assert "not configured" in devices.scanner.status.message
        assert devices.drawer.kick("no_sale").ok is False
    finally:
        devices.stop()


def test_documented_example_config_builds(tmp_path):
    [example] = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    config = tomllib.loads(example)
    assert set(config["hardware"]) == {"scanner", "printer", "drawer", "display", "buzzer"}
    devices = build_devices(config, pin_factory=MockFactory(), spool_dir=tmp_path)
    assert devices.scanner.backend == "evdev" and devices.printer.backend == "network"
    assert devices.drawer.sensor is not None and devices.display.backend == "serial"
    assert devices.printer.renderer.paper.columns == 48


def test_simulate_env_replaces_every_configured_device(tmp_path):
    config = tomllib.loads((re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S))[0])
    devices = build_devices(config, env={"FLEETPOS_HW_SIMULATE": "1"})
    assert {d.backend for d in devices.all()} == {"simulator"}
    assert devices.printer.renderer.paper.width_mm == 80  # shared options are kept
    assert devices.display.idle_lines == ("WELCOME", "")
    with devices:
        assert all(status.available for status in devices.statuses().values())


def test_unknown_backend_option_and_section_are_config_errors():
    with pytest.raises(ConfigError, match="known: simulator, evdev, serial, none"):
        build_devices({"scanner": {"backend": "bluetooth"}})
    with pytest.raises(ConfigError, match=r"no option baud;.*baudrate"):
        build_devices({"scanner": {"backend": "serial", "port": "/dev/ttyS0", "baud": 9600}})
    with pytest.raises(ConfigError, match="needs host"):
        build_devices({"printer": {"backend": "network"}})
    with pytest.raises(ConfigError, match="unknown \\[hardware\\] sections"):
        build_devices({"scale": {"backend": "serial"}})


def test_devices_can_be_injected_and_instances_share_nothing():
    mine = SimulatedScanner()
    first = build_devices(SIMULATED, inject={"scanner": mine})
    second = build_devices(SIMULATED)
    assert first.scanner is mine and second.scanner is not mine
    for devices in (first, second):
        devices.start()
    try:
        first.scanner.feed("96385074")
        assert first.buzzer.beeps == [] and len(mine.scans) == 1  # injected: not wired
        second.scanner.feed("96385074")
        assert second.buzzer.beeps == ["good"] and first.printer.queue is not second.printer.queue
    finally:
        first.stop()
        second.stop()


def test_gpio_drawer_with_sensor_and_buzzer_from_config():
    factory = MockFactory()
    config = {
        "drawer": {"backend": "gpio", "pin": 18, "pulse_ms": 20, "sensor_gpio": 23, "sensor_bounce_ms": 0},
        "buzzer": {"backend": "gpio", "pin": 17},
        "scanner": {"backend": "simulator", "beep": False},
    }
    with build_devices(config, pin_factory=factory) as devices:
        factory.pin(23).drive_low()
        assert devices.drawer.is_open is False
        assert devices.drawer.kick("cash_in").ok
        factory.pin(23).drive_high()
        assert devices.drawer.is_open is True
        devices.scanner.feed("96385074")
        assert not any(s.state for s in factory.pin(17).states)  # beep = false


def test_absent_hardware_never_breaks_a_sale(sale_receipt, tmp_path):
    config = {
        "printer": {"backend": "file", "path": str(tmp_path / "missing" / "lp0"), "retry_s": 60},
        "drawer": {"backend": "printer"},
        "display": {"backend": "serial", "port": "/dev/ttyNOSUCH3", "retry_s": 60},
        "scanner": {"backend": "serial", "port": "/dev/ttyNOSUCH4", "retry_s": 60},
    }
    with build_devices(config, spool_dir=tmp_path / "spool") as devices:
        job = devices.printer.print_receipt(sale_receipt)
        kick = devices.drawer.kick("sale")
        devices.display.show_total(1930)
        statuses = devices.statuses()
    assert job.state == "pending" and len(list((tmp_path / "spool").glob("*.job"))) == 1
    assert not kick.ok and devices.display.lines[0] == "TOTAL"
    assert "/dev/ttyNOSUCH3" in statuses["display"].message
    assert "/dev/ttyNOSUCH4" in statuses["scanner"].message
