"""Hardware-layer figures: scan-to-callback latency and receipt build time.

    python bench/bench_hw.py [--scans 2000] [--receipts 200]

Prints p50/p99 of
  * a scanner's key events to the validated code at an `on_scan` callback:
    - fed straight into the evdev decoder (the code path, no I/O),
    - through EvdevScanner's reader thread from a selectable fake input device,
    - through the simulator's feed();
  * building a 40-line receipt's ESC/POS bytes (targets: scans p99 <= 10 ms, receipt <= 20 ms),
    and, for information, its text and PNG preview.
Bounded: it runs the given number of iterations and stops; no network, no devices.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import threading
import time
import uuid
from datetime import datetime
from types import SimpleNamespace

from evdev import InputEvent
from evdev import ecodes as e

from hw_drivers.barcodes import gs1_check_digit
from hw_drivers.receipt import (
    Adjustment,
    Member,
    Payment,
    Receipt,
    ReceiptLine,
    StoreHeader,
    TaxLine,
)
from hw_drivers.render import ReceiptRenderer
from hw_drivers.scanner.evdev_backend import EvdevScanner
from hw_drivers.scanner.simulator import SimulatedScanner
from hw_drivers.scanner.wedge import KeyboardWedgeDecoder

DIGITS = {str(i): getattr(e, f"KEY_{i}") for i in range(10)}


def ean13(n: int) -> str:
    body = f"690{n:09d}"
    return body + str(gs1_check_digit(body))


def key_events(code: str, start: float) -> list[InputEvent]:
    events, t = [], start
    for key in [DIGITS[d] for d in code] + [e.KEY_ENTER]:
        sec, usec = int(t), int((t % 1) * 1e6)
        events += [InputEvent(sec, usec, e.EV_KEY, key, 1), InputEvent(sec, usec, e.EV_SYN, 0, 0),
                   InputEvent(sec, usec + 500, e.EV_KEY, key, 0), InputEvent(sec, usec + 500, e.EV_SYN, 0, 0)]
        t += 0.003
    return events


def percentiles(samples_s: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples_s)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):7.3f} ms   p99 {p99:7.3f} ms   (n={len(ms)})"


def bench_decoder(n: int) -> list[float]:
    scanner = SimulatedScanner(dedupe_ms=0)
    decoder = KeyboardWedgeDecoder()
    done: list[float] = []
    scanner.on_scan.add(lambda scan: done.append(time.perf_counter()))
    samples = []
    for i in range(n):
        events = key_events(ean13(i), 1000.0 + i)
        start = time.perf_counter()
        for event in events:
            result = decoder.feed(event)
            if result is not None and result.is_scan:
                scanner._deliver(result.text, result.ended)
        samples.append(done[-1] - start)
    assert len(done) == n
    return samples


class PipeInputDevice:
    """A selectable stand-in for evdev.InputDevice (as in tests/hw_drivers)."""

    path, name = "/dev/input/bench", "Bench Scanner"
    info = SimpleNamespace(vendor=0x05E0, product=0x1200)

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._events: list = []
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self._r

    def push(self, events) -> None:
        with self._lock:
            self._events.extend(events)
        os.write(self._w, b"x")

    def read(self):
        try:
            os.read(self._r, 4096)
        except BlockingIOError:
            pass
        with self._lock:
            events, self._events = self._events, []
        if not events:
            raise BlockingIOError
        return iter(events)

    def grab(self) -> None:
        """Nothing to grab."""

    ungrab = grab

    def close(self) -> None:
        os.close(self._r)
        os.close(self._w)


def bench_reader_thread(n: int) -> list[float]:
    device = PipeInputDevice()
    scanner = EvdevScanner(vendor_product="05e0:1200", dedupe_ms=0,
                           list_devices=lambda: [device.path], open_device=lambda path: device)
    arrived = threading.Event()
    scanner.on_scan.add(lambda scan: arrived.set())
    scanner.start()
    samples = []
    try:
        while not scanner.available:
            time.sleep(0.001)
        for i in range(n):
            events = key_events(ean13(i), 1000.0 + i)
            arrived.clear()
            start = time.perf_counter()
            device.push(events)
            if not arrived.wait(1.0):
                raise RuntimeError("scan did not arrive")
            samples.append(time.perf_counter() - start)
    finally:
        scanner.stop()
    return samples


def bench_simulator(n: int) -> list[float]:
    scanner = SimulatedScanner(dedupe_ms=0)
    done: list[float] = []
    scanner.on_scan.add(lambda scan: done.append(time.perf_counter()))
    samples = []
    for i in range(n):
        code = ean13(i)
        start = time.perf_counter()
        scanner.feed(code)
        samples.append(done[-1] - start)
    return samples


def forty_line_receipt() -> Receipt:
    lines = tuple(
        ReceiptLine(f"商品 {i:02d} 可口可乐 330ml", 1000 + (i % 3) * 1000, 350 + i, (350 + i) * (1 + i % 3),
                    adjustments=(Adjustment("第二件半价", -100),) if i % 5 == 0 else ())
        for i in range(40)
    )
    subtotal = sum(line.amount + sum(a.amount for a in line.adjustments) for line in lines)
    return Receipt(
        sale_id="3f1c2a9e-7b4d-4e21-9a55-0c6d2b7e8f10", receipt_no="S01-0042",
        created_at=datetime(2024, 5, 1, 14, 3), store=StoreHeader("幸福便利店", "上海市人民路 88 号"),
        cashier="王芳", lines=lines, subtotal=subtotal, promotions=(Adjustment("满100减10", -1000),),
        total=subtotal - 1000, payments=(Payment("微信支付", subtotal - 1000),),
        taxes=(TaxLine("增值税", 1300, subtotal, subtotal * 13 // 113),),
        member=Member("****1234", "金卡会员", 10, 999), footer=("谢谢惠顾",),
    )


def bench_receipt(n: int, width: int) -> dict[str, list[float]]:
    renderer = ReceiptRenderer(paper_width_mm=width)
    native = ReceiptRenderer(paper_width_mm=width, native_codes=True)
    base = forty_line_receipt()
    times: dict[str, list[float]] = {"escpos": [], "native": [], "text": []}
    for _ in range(n):
        receipt = dataclasses.replace(base, sale_id=str(uuid.uuid4()))  # a new QR code each time
        start = time.perf_counter()
        data = renderer.receipt(receipt).escpos
        times["escpos"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert native.receipt(receipt).escpos
        times["native"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert renderer.receipt(receipt).text
        times["text"].append(time.perf_counter() - start)
    assert data.endswith(b"\x1dV\x00")
    times["png"] = []
    for _ in range(max(3, n // 20)):
        receipt = dataclasses.replace(base, sale_id=str(uuid.uuid4()))
        start = time.perf_counter()
        renderer.receipt(receipt).png()
        times["png"].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--receipts", type=int, default=200)
    args = parser.parse_args()
    print("scan -> validated code at on_scan callback")
    print(f"  evdev decoder, in process      {percentiles(bench_decoder(args.scans))}")
    print(f"  evdev reader thread, fake dev  {percentiles(bench_reader_thread(min(args.scans, 500)))}")
    print(f"  simulator feed()               {percentiles(bench_simulator(args.scans))}")
    for width in (58, 80):
        times = bench_receipt(args.receipts, width)
        print(f"40-line receipt, {width} mm")
        print(f"  ESC/POS bytes, QR as image      {percentiles(times['escpos'])}")
        print(f"  ESC/POS bytes, native QR        {percentiles(times['native'])}")
        print(f"  rendered text                   {percentiles(times['text'])}")
        print(f"  PNG preview                     {percentiles(times['png'])}")


if __name__ == "__main__":
    main()
