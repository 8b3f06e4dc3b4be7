"""Fixtures for the hardware layer: fake edges (pty pairs, a loopback "printer", fake
input devices, gpiozero mock pins) and sample receipts. No real device is needed.
(Loopback-only network and the leftover-thread check come from tests/conftest.py.)"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from datetime import datetime

import pytest
from evdev import InputEvent, ecodes

from hw_drivers.receipt import (
    Adjustment,
    Currency,
    Member,
    Payment,
    Receipt,
    ReceiptLine,
    StoreHeader,
    TaxLine,
)


def _wait_until(predicate, timeout: float = 3.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def wait_until():
    """`wait_until(predicate, timeout=3.0)`: poll until true; returns the last result."""
    return _wait_until


@pytest.fixture
def mock_pins():
    """gpiozero's MockFactory as the default pin factory for this test only."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    saved = Device.pin_factory
    Device.pin_factory = factory = MockFactory()
    yield factory
    factory.reset()
    Device.pin_factory = saved


class PtyPair:
    """A pseudo-terminal: the device under test opens `path`; the test plays the other end."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read_until(self, predicate, timeout: float = 3.0) -> bytes:
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate(data):
            try:
                data += os.read(self.master, 65536)
            except BlockingIOError:
                time.sleep(0.005)
        return data

    def close_master(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def close(self) -> None:
        self.close_master()
        os.close(self.slave)


@pytest.fixture
def pty_pair():
    pair = PtyPair()
    yield pair
    pair.close()


class FakeNetworkPrinter:
    """A port-9100 printer on 127.0.0.1: keeps the bytes of each connection, answers
    DLE EOT n with `status[n]`, and with `drop_after` resets a connection mid-job."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.status = {1: 0x12, 2: 0x12, 4: 0x12}
        self.drop_after: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-printer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(0.05)
                self._serve_connection(conn)

    def _serve_connection(self, conn: socket.socket) -> None:
        received = b""
        index = len(self.connections)
        self.connections.append(b"")
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except ConnectionError:
                return
            if not chunk:
                return
            received += chunk
            if self.drop_after is not None and len(received) >= self.drop_after:
                # Only the bytes before the pull arrived; the rest is lost on the wire.
                self.connections[index] = received[: self.drop_after]
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return  # closing with linger 0 resets the connection, like a pulled cable
            self.connections[index] = received
            if chunk[-3:-1] == b"\x10\x04":
                conn.sendall(bytes([self.status.get(chunk[-1], 0x12)]))

    def jobs_containing(self, data: bytes) -> int:
        return sum(received.count(data) for received in self.connections)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


@pytest.fixture
def network_printer():
    server = FakeNetworkPrinter()
    yield server
    server.close()


# -- evdev key events, as a scanner sends them ------------------------------------------


def _key_events(keys, *, start: float = 1000.0, gap_ms: float = 4.0, shift_with=ecodes.KEY_LEFTSHIFT):
    """InputEvents for `keys`: a key code, or (key code, "shift"/"altgr"/"ctrl"). Each
    press is key down, key up and SYN, `gap_ms` after the previous press."""
    modifier = {"shift": shift_with, "altgr": ecodes.KEY_RIGHTALT, "ctrl": ecodes.KEY_LEFTCTRL}
    events, t = [], start

    def at(seconds: float, type_: int, code: int, value: int) -> InputEvent:
        sec = int(seconds)
        return InputEvent(sec, int(round((seconds - sec) * 1e6)), type_, code, value)

    for key in keys:
        code, mod = (key, None) if isinstance(key, int) else key
        if mod:
            events.append(at(t, ecodes.EV_KEY, modifier[mod], 1))
        events.append(at(t, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code))
        events.append(at(t, ecodes.EV_KEY, code, 1))
        events.append(at(t, ecodes.EV_SYN, 0, 0))
        events.append(at(t + 0.001, ecodes.EV_KEY, code, 0))
        if mod:
            events.append(at(t + 0.001, ecodes.EV_KEY, modifier[mod], 0))
        events.append(at(t + 0.001, ecodes.EV_SYN, 0, 0))
        t += gap_ms / 1000.0
    return events


DIGIT_KEYS = {str(i): getattr(ecodes, f"KEY_{i}") for i in range(10)}


def _us_digits(code: str) -> list[int]:
    return [DIGIT_KEYS[d] for d in code]


@pytest.fixture
def key_events():
    """`key_events(keys, start=1000.0, gap_ms=4.0)`: recorded-style evdev events."""
    return _key_events


@pytest.fixture
def us_digits():
    """`us_digits("123")`: the key codes of digits on the main row."""
    return _us_digits


# -- receipts ------------------------------------------------------------------------------

STORE = StoreHeader("幸福便利店", "上海市人民路 88 号", "021-5555 0101")
CNY = Currency("CNY", 2, "¥")


@pytest.fixture
def sale_receipt() -> Receipt:
    return Receipt(
        sale_id="3f1c2a9e-7b4d-4e21-9a55-0c6d2b7e8f10",
        receipt_no="S01-0042",
        created_at=datetime(2024, 5, 1, 14, 3),
        store=STORE,
        cashier="王芳",
        lines=(
            ReceiptLine("可口可乐 330ml", 2000, 350, 700, adjustments=(Adjustment("第二件半价", -175),)),
            ReceiptLine("红富士苹果", 1254, 1280, 1605, unit="kg"),
        ),
        subtotal=2130,
        promotions=(Adjustment("满20减2", -200),),
        total=1930,
        payments=(Payment("现金", 5000),),
        change=3070,
        taxes=(TaxLine("增值税", 1300, 1708, 222),),
        member=Member("****1234", "金卡会员", 19, 1253),
        footer=("谢谢惠顾",),
        currency=CNY,
    )


@pytest.fixture
def refund_receipt() -> Receipt:
    return Receipt(
        sale_id="9b2d4c1a-0000-4000-8000-00000000abcd",
        receipt_no="R01-0007",
        created_at=datetime(2024, 5, 2, 9, 30),
        store=STORE,
        cashier="李雷",
        lines=(ReceiptLine("可口可乐 330ml", -1000, 350, -350),),
        subtotal=-350,
        total=-350,
        payments=(Payment("现金", -350),),
        change=0,
        currency=CNY,
        kind="refund",
        original_receipt_no="S01-0042",
    )


# -- fake evdev input devices -------------------------------------------------------------


class FakeInputDevice:
    """Stands in for `evdev.InputDevice`. A pipe makes it selectable; `push(events)`
    queues events; after `unplug()` reads fail with ENODEV, as with a pulled USB cable."""

    def __init__(self, path: str, name: str, vendor: int, product: int) -> None:
        from types import SimpleNamespace

        self.path, self.name = path, name
        self.info = SimpleNamespace(bustype=3, vendor=vendor, product=product, version=0x110)
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._events: list = []
        self.grabbed = self.closed = self.unplugged = False
        self.grab_error: int | None = None

    def fileno(self) -> int:
        return self._r

    def push(self, events) -> None:
        self._events.extend(events)
        os.write(self._w, b"x")

    def read(self):
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        try:
            os.read(self._r, 4096)
        except BlockingIOError:
            pass
        if not self._events:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        events, self._events = self._events, []
        return iter(events)

    def grab(self) -> None:
        if self.grab_error:
            raise OSError(self.grab_error, os.strerror(self.grab_error))
        self.grabbed = True

    def ungrab(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._r)
            os.close(self._w)

    def unplug(self) -> None:
        self.unplugged = True
        os.write(self._w, b"x")


class FakeInputBus:
    """/dev/input for tests: `list_devices` and `open_device` for `EvdevScanner`."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeInputDevice] = {}
        self.denied: set[str] = set()
        self.opened: list[str] = []

    def plug(self, path: str, name: str, vendor_product: str = "0000:0000") -> FakeInputDevice:
        vendor, product = (int(x, 16) for x in vendor_product.split(":"))
        device = FakeInputDevice(path, name, vendor, product)
        self.devices[path] = device
        return device

    def unplug(self, path: str) -> None:
        self.devices.pop(path).unplug()

    def list_devices(self) -> list[str]:
        return sorted(self.devices)

    def open_device(self, path: str) -> FakeInputDevice:
        if path in self.denied:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        if path not in self.devices:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        self.opened.append(path)
        return self.devices[path]

    def close(self) -> None:
        for device in self.devices.values():
            device.close()


@pytest.fixture
def input_bus():
    bus = FakeInputBus()
    yield bus
    bus.close()
