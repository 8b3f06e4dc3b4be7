"""Creating gpiozero devices with errors that say what to install."""

from __future__ import annotations

from .errors import DeviceUnavailable, MissingDependency


def gpio_device(factory, pin, what: str, pin_factory=None, **options):
    """`factory(pin, pin_factory=..., **options)`, e.g. `gpiozero.DigitalOutputDevice`."""
    from gpiozero.exc import BadPinFactory, GPIOZeroError

    try:
        return factory(pin, pin_factory=pin_factory, **options)
    except BadPinFactory:
        raise MissingDependency(
            f"no GPIO access for the {what}: on a Raspberry Pi install python3-lgpio "
            "(apt) or lgpio (pip); elsewhere use backend 'simulator'"
        ) from None
    except GPIOZeroError as exc:
        raise DeviceUnavailable(f"GPIO pin {pin} for the {what} cannot be used: {exc}") from None
