"""Keyboard-wedge scanner read through evdev, grabbed so its keys never reach Chromium."""

from __future__ import annotations

import glob
import logging
import os
import select
import time
from typing import Callable, Iterable

from ..errors import ConfigError, DeviceUnavailable, MissingDependency
from .base import Scanner
from .keymaps import LAYOUTS
from .wedge import SUFFIXES, KeyboardWedgeDecoder

log = logging.getLogger(__name__)


def _input_device_paths() -> list[str]:
    # All event nodes, including those we may not read, so that we can say so.
    return sorted(glob.glob("/dev/input/event*"))


def _parse_vendor_product(value: str) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        vendor, product = value.split(":")
        return int(vendor, 16), int(product, 16)
    except ValueError:
        raise ConfigError(
            f"vendor_product {value!r} must look like '05e0:1200' (hex, as `lsusb` shows it)"
        ) from None


class EvdevScanner(Scanner):
    """USB HID keyboard-wedge scanner, found by name and/or vendor:product (or a path).

    `list_devices()` and `open_device(path)` default to the real /dev/input; tests pass
    fakes. `open_device` must return an object like `evdev.InputDevice`: `name`, `path`,
    `info.vendor`, `info.product`, `fileno()`, `read()`, `grab()`, `ungrab()`, `close()`.
    """

    backend = "evdev"
    reads = True

    def __init__(
        self,
        *,
        device_name: str = "",
        vendor_product: str = "",
        device_path: str = "",
        layout: str = "us",
        suffix: str = "enter",
        max_key_gap_ms: float = 50,
        min_length: int = 4,
        grab: bool = True,
        list_devices: Callable[[], Iterable[str]] | None = None,
        open_device: Callable[[str], object] | None = None,
        **options,
    ) -> None:
        super().__init__(**options)
        if not (device_name or vendor_product or device_path):
            raise ConfigError(
                "[hardware.scanner] backend 'evdev' needs device_name, vendor_product or "
                "device_path, so that it never grabs the wrong keyboard"
            )
        if layout not in LAYOUTS:
            raise ConfigError(f"unknown scanner layout {layout!r}; known: {', '.join(LAYOUTS)}")
        if suffix not in SUFFIXES:
            raise ConfigError(f"unknown scanner suffix {suffix!r}; known: {', '.join(SUFFIXES)}")
        self.device_name = device_name
        self.vendor_product = _parse_vendor_product(vendor_product)
        self.device_path = device_path
        self.grab = grab
        self._decoder_args = dict(
            layout=layout, suffix=suffix, max_key_gap_ms=max_key_gap_ms, min_length=min_length
        )
        self._list_devices = list_devices
        self._open_device = open_device
        self._device = None
        self._decoder = KeyboardWedgeDecoder(**self._decoder_args)

    def _wanted(self) -> str:
        parts = [f"name containing {self.device_name!r}"] if self.device_name else []
        if self.vendor_product:
            parts.append("vendor:product %04x:%04x" % self.vendor_product)
        if self.device_path:
            parts.append(f"path {self.device_path}")
        return " and ".join(parts)

    def _matches(self, device) -> bool:
        if self.device_name and self.device_name.lower() not in device.name.lower():
            return False
        if self.vendor_product and (device.info.vendor, device.info.product) != self.vendor_product:
            return False
        return True

    def _connect(self) -> None:
        list_devices, open_device = self._list_devices, self._open_device
        if open_device is None:
            try:
                from evdev import InputDevice
            except ImportError:
                raise MissingDependency(
                    "the evdev scanner backend needs the 'evdev' package (pip install evdev, "
                    "Linux only); use backend 'serial' or 'simulator' elsewhere"
                ) from None
            open_device = InputDevice
        if list_devices is None:
            list_devices = _input_device_paths
        paths = [self.device_path] if self.device_path else list(list_devices())
        denied = []
        for path in paths:
            try:
                device = open_device(path)
            except PermissionError:
                denied.append(path)
                continue
            except OSError:
                continue
            if self._matches(device):
                break
            device.close()
        else:
            hint = (
                f"no permission to open {', '.join(denied)}: add the till user to group "
                "'input' or install the udev rule from docs/hardware.md"
                if denied
                else "is it plugged in? `evtest` lists the input devices"
            )
            raise DeviceUnavailable(f"no scanner with {self._wanted()} found ({hint})")
        if self.grab:
            try:
                device.grab()
            except OSError as exc:
                device.close()
                raise DeviceUnavailable(
                    f"scanner {device.path} is grabbed by another program ({exc.strerror}); "
                    "stop it (e.g. a second till process) and it will be re-attached"
                ) from None
        self._decoder = KeyboardWedgeDecoder(**self._decoder_args)
        self._device = device
        log.info("scanner attached: %s (%s)", device.path, device.name)

    def _disconnect(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        for release in ((device.ungrab,) if self.grab else ()) + (device.close,):
            try:
                release()
            except OSError:
                pass  # already gone with the unplugged device

    def _read(self, timeout: float) -> list[tuple[str, float]]:
        device = self._device
        try:
            ready, _, _ = select.select([device], [], [], timeout)
            events = list(device.read()) if ready else []
        except BlockingIOError:
            events = []
        except OSError as exc:
            raise DeviceUnavailable(
                f"scanner {device.path} went away ({os.strerror(exc.errno or 0)}); "
                "it is re-attached when plugged back in"
            ) from None
        inputs = [self._decoder.feed(event) for event in events]
        inputs.append(self._decoder.flush(time.time()))
        codes = []
        for key_input in filter(None, inputs):
            if key_input.is_scan:
                codes.append((key_input.text, key_input.ended))
            else:
                log.info("ignored %d typed characters on the scanner device", len(key_input.text))
        return codes
