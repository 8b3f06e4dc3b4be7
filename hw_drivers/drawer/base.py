"""Cash drawer (钱箱): audited kicks, and open/closed from an optional sensor."""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from typing import Callable, ClassVar

from ..device import Device
from ..errors import HardwareError
from ..events import Listeners


class KickReason(str, enum.Enum):
    SALE = "sale"
    REFUND = "refund"
    NO_SALE = "no_sale"
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"


@dataclass(frozen=True)
class DrawerKick:
    """One attempt to open the drawer, for the audit log (操作日志)."""

    reason: KickReason
    ok: bool
    at: float
    actor: str = ""
    message: str = ""


class DrawerSensor:
    """An open/closed switch on the drawer. Override `start(changed)` to call
    `changed(is_open)` on every change, `is_open()` for the current state, and `close()`."""

    def start(self, changed: Callable[[bool], None]) -> None:
        raise NotImplementedError

    def is_open(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        """Release the sensor."""


class CashDrawer(Device):
    """Cash drawer. `kick(reason, actor=...)` never raises: it returns a `DrawerKick` (also
    sent to `on_kick`) whose `ok` says whether the pulse went out. With a sensor,
    `is_open` is True/False and `on_opened` / `on_closed` fire; without one it is None.

    A backend overrides `_pulse()`: fire the solenoid once, raising a `HardwareError`
    (usually `DeviceUnavailable`) saying what to do when it can't; and may override
    `_connect()` / `_disconnect()`.
    """

    kind: ClassVar[str] = "drawer"

    def __init__(self, *, sensor: DrawerSensor | None = None, retry_s: float = 5.0) -> None:
        super().__init__(retry_s=retry_s)
        self.sensor = sensor
        self.on_kick: Listeners[DrawerKick] = Listeners("drawer kick")
        self.on_opened: Listeners[None] = Listeners("drawer opened")
        self.on_closed: Listeners[None] = Listeners("drawer closed")
        self._is_open: bool | None = None
        self._kick_lock = threading.Lock()

    @property
    def is_open(self) -> bool | None:
        return self._is_open

    def start(self) -> None:
        if self.sensor is not None:
            try:
                self.sensor.start(self._sensor_changed)
                self._is_open = self.sensor.is_open()
            except HardwareError as exc:
                self.sensor = None  # kicks still work; only the open/closed state is lost
                self._set_status(False, f"drawer sensor: {exc}")
        super().start()

    def stop(self) -> None:
        if self.sensor is not None:
            self.sensor.close()
        super().stop()

    def kick(self, reason: KickReason | str, *, actor: str = "") -> DrawerKick:
        reason = KickReason(reason)
        with self._kick_lock:
            try:
                self._pulse()
            except HardwareError as exc:
                kick = DrawerKick(reason, False, time.time(), actor, f"{exc}; open the drawer with its key")
            else:
                kick = DrawerKick(reason, True, time.time(), actor)
        self.on_kick.emit(kick)
        return kick

    def _pulse(self) -> None:
        raise NotImplementedError

    def _sensor_changed(self, is_open: bool) -> None:
        if is_open == self._is_open:
            return
        self._is_open = is_open
        (self.on_opened if is_open else self.on_closed).emit(None)
