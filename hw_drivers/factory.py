"""`build_devices(config)`: every device of the till, each from its `[hardware.*]` section."""

from __future__ import annotations

import importlib
import inspect
import os
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Mapping

from .buzzer.base import Buzzer
from .device import Device, DeviceStatus
from .display.base import CustomerDisplay
from .drawer.base import CashDrawer
from .errors import ConfigError, MissingDependency
from .printer.base import ReceiptPrinter
from .printer.queue import PrintQueue
from .receipt import Currency
from .scanner.base import Scanner

SIMULATE_ENV = "FLEETPOS_HW_SIMULATE"  # "1": every configured device is simulated

BACKENDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "scanner": MappingProxyType({
        "simulator": "scanner.simulator:SimulatedScanner",
        "evdev": "scanner.evdev_backend:EvdevScanner",
        "serial": "scanner.serial_backend:SerialScanner",
        "none": "null:AbsentScanner",
    }),
    "printer": MappingProxyType({
        "simulator": "printer.simulator:SimulatedPrinter",
        "usb": "printer.usb_backend:UsbPrinter",
        "serial": "printer.serial_backend:SerialPrinter",
        "network": "printer.network_backend:NetworkPrinter",
        "file": "printer.file_backend:FilePrinter",
        "none": "null:AbsentPrinter",
    }),
    "drawer": MappingProxyType({
        "simulator": "drawer.simulator:SimulatedDrawer",
        "printer": "drawer.printer_backend:PrinterKickDrawer",
        "gpio": "drawer.gpio_backend:GpioRelayDrawer",
        "none": "null:AbsentDrawer",
    }),
    "display": MappingProxyType({
        "simulator": "display.simulator:SimulatedDisplay",
        "serial": "display.serial_backend:SerialDisplay",
        "none": "null:AbsentDisplay",
    }),
    "buzzer": MappingProxyType({
        "simulator": "buzzer.simulator:SimulatedBuzzer",
        "gpio": "buzzer.gpio_backend:GpioBuzzer",
        "none": "null:AbsentBuzzer",
    }),
})

# Constructor arguments that come from the caller or from other devices, not from config.
_INJECTED = frozenset({
    "pin_factory", "queue", "renderer", "printer", "sensor", "currency",
    "list_devices", "open_device", "clock",
})
# Config keys the factory itself consumes.
_SENSOR_KEYS = ("sensor_gpio", "sensor_open_when", "sensor_pull_up", "sensor_bounce_ms")
_CURRENCY_KEYS = ("currency_code", "currency_exponent", "currency_symbol")


@dataclass
class Devices:
    """All the till's devices. `start()` once at startup (connects, or retries in the
    background), `stop()` at shutdown; or use it as a context manager."""

    printer: ReceiptPrinter
    buzzer: Buzzer
    drawer: CashDrawer
    display: CustomerDisplay
    scanner: Scanner

    def all(self) -> tuple[Device, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def start(self) -> None:
        for device in self.all():
            device.start()

    def stop(self) -> None:
        for device in reversed(self.all()):
            device.stop()

    def statuses(self) -> dict[str, DeviceStatus]:
        return {device.kind: device.status for device in self.all()}

    def __enter__(self) -> "Devices":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def backend_class(kind: str, backend: str) -> type[Device]:
    try:
        target = BACKENDS[kind][backend]
    except KeyError:
        known = ", ".join(BACKENDS.get(kind, {}))
        raise ConfigError(f"[hardware.{kind}] backend {backend!r} is unknown; known: {known}") from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(f"{__package__}.{module_name}")
    except ImportError as exc:
        raise MissingDependency(
            f"[hardware.{kind}] backend {backend!r} needs the Python package {exc.name!r} "
            f"(pip install {exc.name})"
        ) from None
    return getattr(module, class_name)


def _parameters(cls: type) -> tuple[set[str], set[str]]:
    """(all keyword arguments, required ones) of `cls`, following `**options` up the bases."""
    accepted, required = set(), set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = [p for p in inspect.signature(init).parameters.values() if p.name != "self"]
        for p in params:
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
                accepted.add(p.name)
                if p.default is p.empty:
                    required.add(p.name)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return accepted, required


def _construct(kind: str, backend: str, options: dict, injected: dict, lenient: bool) -> Device:
    cls = backend_class(kind, backend)
    accepted, required = _parameters(cls)
    configurable = accepted - _INJECTED
    unknown = set(options) - configurable
    if unknown and not lenient:
        raise ConfigError(
            f"[hardware.{kind}] backend {backend!r} has no option {', '.join(sorted(unknown))}; "
            f"its options: {', '.join(sorted(configurable))}"
        )
    arguments = {k: v for k, v in options.items() if k in configurable}
    arguments.update({k: v for k, v in injected.items() if k in accepted and v is not None})
    missing = required - set(arguments)
    if missing:
        raise ConfigError(f"[hardware.{kind}] backend {backend!r} needs {', '.join(sorted(missing))}")
    return cls(**arguments)


def _sensor(options: dict, pin_factory):
    sensor_options = {k: options.pop(k) for k in _SENSOR_KEYS if k in options}
    if "sensor_gpio" not in sensor_options:
        return None
    from .drawer.gpio_sensor import GpioDrawerSensor

    pin = sensor_options.pop("sensor_gpio")
    return GpioDrawerSensor(
        pin, pin_factory=pin_factory, **{k.removeprefix("sensor_"): v for k, v in sensor_options.items()}
    )


def build_devices(
    config: Mapping[str, Any] | None = None,
    *,
    pin_factory=None,
    spool_dir: str | os.PathLike | None = None,
    inject: Mapping[str, Device] | None = None,
    env: Mapping[str, str] | None = None,
) -> Devices:
    """Build (not start) every device from the till config's `[hardware]` table.

    `config` is that table (`{"printer": {"backend": "network", ...}, ...}`) or the whole
    till config holding it under "hardware"; a missing section means backend "none".
    `pin_factory` goes to every gpiozero device (tests pass `MockFactory()`), `spool_dir`
    keeps print jobs across restarts, `inject` replaces devices by kind with ready-made
    ones. With FLEETPOS_HW_SIMULATE=1 in `env` every configured device is simulated.
    Raises `ConfigError` / `MissingDependency` for a config that cannot work; absent or
    unplugged devices are not errors, they start unavailable and are retried.
    """
    config = dict(config or {})
    config = dict(config.get("hardware", config))
    unknown = set(config) - set(BACKENDS)
    if unknown:
        raise ConfigError(f"unknown [hardware] sections {sorted(unknown)}; known: {', '.join(BACKENDS)}")
    simulate = (os.environ if env is None else env).get(SIMULATE_ENV) == "1"
    inject = dict(inject or {})
    built: dict[str, Device] = {}
    beep = False
    for kind in (f.name for f in fields(Devices)):
        if kind in inject:
            built[kind] = inject[kind]
            continue
        options = dict(config.get(kind, {}))
        backend = options.pop("backend", "none")
        if simulate and backend != "none":
            backend = "simulator"
        injected: dict[str, Any] = {"pin_factory": pin_factory, "printer": built.get("printer")}
        if kind == "scanner":
            beep = options.pop("beep", True)
        if kind == "printer":
            injected["queue"] = PrintQueue(spool_dir)
        if kind == "drawer":
            sensor = _sensor(options, pin_factory)
            injected["sensor"] = None if simulate else sensor  # the simulator is its own sensor
        if kind == "display":
            currency = {k.removeprefix("currency_"): options.pop(k) for k in _CURRENCY_KEYS if k in options}
            injected["currency"] = Currency(**currency)
        built[kind] = _construct(kind, backend, options, injected, lenient=simulate)
    devices = Devices(**built)
    if "scanner" not in inject and beep:
        devices.scanner.on_scan.add(lambda scan: devices.buzzer.good())
        devices.scanner.on_error.add(lambda error: devices.buzzer.error())
    return devices
