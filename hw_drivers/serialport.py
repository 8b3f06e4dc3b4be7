"""Opening a serial port (pyserial) with errors that say what to do."""

from __future__ import annotations

from .errors import DeviceUnavailable, MissingDependency


def open_serial(port: str, what: str, **settings):
    """Open `port` for the device described by `what` ("scanner", "customer display", ...)."""
    try:
        import serial
    except ImportError:
        raise MissingDependency(f"the serial {what} needs the 'pyserial' package") from None
    try:
        return serial.Serial(port=port, **settings)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DeviceUnavailable(
            f"cannot open {what} port {port} ({exc}): is it plugged in, is the port right "
            "(ls /dev/serial/by-id), and is the till user in group 'dialout'?"
        ) from None
