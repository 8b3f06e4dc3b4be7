"""The hardware layer's own exceptions.

Library errors (pyserial, python-escpos, evdev, gpiozero, pyusb, sockets) are turned into
these at the edge of each backend, with a message that tells a person what to check or
install. Sale code only ever sees them from explicit calls such as `build_devices` with a
bad config; device operations report failures through status and events instead.
"""


class HardwareError(Exception):
    """Base class of every error raised by `hw_drivers`."""


class ConfigError(HardwareError, ValueError):
    """The `[hardware.*]` config names an unknown backend or option, or a bad value."""


class MissingDependency(HardwareError):
    """A Python package, system library or font that a backend needs is not installed."""


class DeviceUnavailable(HardwareError):
    """The device is absent, unplugged, switched off, busy or refused us."""


class PrinterNotReady(DeviceUnavailable):
    """The printer answers but cannot print now (paper out, cover open, offline)."""
