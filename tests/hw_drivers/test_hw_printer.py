"""Receipt printers: the queue that never loses a job, status, and every backend's bytes."""

from __future__ import annotations

import socket

import pytest

from hw_drivers.errors import DeviceUnavailable
from hw_drivers.null import AbsentPrinter
from hw_drivers.printer.base import PrinterStatus, parse_status
from hw_drivers.printer.file_backend import FilePrinter
from hw_drivers.printer.network_backend import NetworkPrinter
from hw_drivers.printer.queue import PrintJob, PrintQueue
from hw_drivers.printer.serial_backend import SerialPrinter
from hw_drivers.printer.simulator import SimulatedPrinter
from hw_drivers.printer.usb_backend import UsbPrinter


@pytest.fixture
def printer():
    p = SimulatedPrinter(paper_width_mm=58, retry_s=0.05)
    p.start()
    yield p
    p.stop()


def test_simulator_prints_the_rendered_receipt(printer, sale_receipt):
    job = printer.print_receipt(sale_receipt)
    assert job.state == "printed"
    assert printer.receipts == [printer.renderer.receipt(sale_receipt).text]
    assert bytes(printer.output).endswith(job.data)
    assert printer.pending_jobs() == []


def test_unplugged_printer_keeps_the_job_pending_then_prints_it_exactly_once(
    printer, sale_receipt, wait_until
):
    events = []
    printer.on_job.add(events.append)
    printer.set_online(False)  # the cable is pulled
    job = printer.print_receipt(sale_receipt)
    assert job.state == "pending" and printer.pending_jobs() == [job]
    assert printer.receipts == []
    assert not printer.status.available and "unplugged" in printer.status.message
    assert [(e.state, e.job.id) for e in events] == [("pending", job.id)]
    printer.set_online(True)  # plugged back: the background retry prints it
    assert wait_until(lambda: job.state == "printed")
    assert printer.retry_pending() == 0
    assert printer.receipts == [printer.renderer.receipt(sale_receipt).text]
    assert bytes(printer.output).count(job.data) == 1
    assert printer.status.available and printer.pending_jobs() == []
    assert [e.state for e in events] == ["pending", "printed"]


def test_jobs_waiting_for_the_printer_come_out_in_order(printer, sale_receipt, refund_receipt):
    printer.set_online(False)
    jobs = [printer.print_receipt(sale_receipt), printer.print_receipt(refund_receipt)]
    jobs.append(printer.reprint(sale_receipt))
    assert [j.title for j in printer.pending_jobs()] == ["S01-0042", "R01-0007", "S01-0042"]
    printer.set_online(True)
    assert printer.retry_pending() == 3
    assert [j.id for j in printer.printed] == [j.id for j in jobs]
    assert "重打小票" in printer.receipts[2] and "退货单" in printer.receipts[1]


def test_paper_out_holds_the_job_until_paper_is_loaded(printer, sale_receipt, wait_until):
    printer.set_paper("out")
    job = printer.print_receipt(sale_receipt)
    assert job.state == "pending" and "paper out" in job.last_error
    assert printer.query_status() == PrinterStatus(online=False, cover_open=False, paper="out")
    printer.set_paper("near_end")
    assert wait_until(lambda: job.state == "printed")
    assert printer.query_status().paper == "near_end"
    assert "nearly used up" in printer.query_status().message


def test_open_cover_is_reported_and_holds_the_job(printer, sale_receipt):
    printer.set_cover_open(True)
    job = printer.print_receipt(sale_receipt)
    assert "cover open" in job.last_error
    assert printer.query_status().cover_open is True
    printer.set_cover_open(False)
    assert printer.retry_pending() == 1


def test_reports_are_printed(printer):
    from datetime import datetime

    from hw_drivers.receipt import Report, ReportRow

    printer.print_report(Report("Z 报表", datetime(2024, 5, 1, 22, 0), (ReportRow("合计", "¥88.00"),)))
    assert "Z 报表" in printer.reports[0] and "￥88.00" in printer.reports[0]


@pytest.mark.parametrize(
    "answers, expected",
    [
        ((0x12, None, 0x12), PrinterStatus(True, False, "ok")),
        ((0x1A, 0x16, 0x12), PrinterStatus(False, True, "ok")),
        ((0x1A, 0x32, 0x72), PrinterStatus(False, False, "out")),
        ((0x12, None, 0x1E), PrinterStatus(True, False, "near_end")),
        ((None, None, None), PrinterStatus(None, None, "unknown")),
    ],
)
def test_dle_eot_answers_are_decoded(answers, expected):
    assert parse_status(*answers) == expected


def test_spooled_jobs_survive_a_restart_and_print_once(tmp_path, sale_receipt):
    spool = tmp_path / "spool"
    first = SimulatedPrinter(queue=PrintQueue(spool), retry_s=0.05)
    first.set_online(False)
    job = first.print_receipt(sale_receipt)
    first.stop()
    assert len(list(spool.glob("*.job"))) == 1
    # The till restarts: a new printer on the same spool prints what waited.
    second = SimulatedPrinter(queue=PrintQueue(spool), retry_s=0.05)
    [waiting] = second.pending_jobs()
    assert (waiting.id, waiting.data, waiting.text) == (job.id, job.data, job.text)
    assert waiting.last_error == job.last_error != ""
    second.start()
    try:
        assert [j.id for j in second.printed] == [job.id]
    finally:
        second.stop()
    assert list(spool.glob("*.job")) == []


def test_an_unreadable_spool_file_is_set_aside(tmp_path):
    (tmp_path / "000000000001-x.job").write_bytes(b"not json\n")
    queue = PrintQueue(tmp_path)
    assert len(queue) == 0 and (tmp_path / "000000000001-x.bad").exists()


def test_queue_keeps_fifo_order_in_memory():
    queue = PrintQueue()
    a, b = PrintJob("receipt", "a", b"A", "a"), PrintJob("receipt", "b", b"B", "b")
    queue.add(a)
    queue.add(b)
    queue.failed(a, "offline")
    assert queue.first() is a and a.attempts == 1
    queue.done(a)
    assert queue.pending() == [b]


# -- backends that move bytes ------------------------------------------------------------


def test_file_printer_appends_each_job(tmp_path, sale_receipt, refund_receipt):
    path = tmp_path / "lp0"
    printer = FilePrinter(path=str(path), paper_width_mm=80)
    printer.start()
    try:
        first = printer.print_receipt(sale_receipt)
        second = printer.print_receipt(refund_receipt)
        printer.kick_drawer(5)
    finally:
        printer.stop()
    assert path.read_bytes() == first.data + second.data + b"\x1bp\x01\x32\x32"
    assert printer.query_status() == PrinterStatus(None)  # a file cannot answer


def test_file_printer_that_cannot_be_opened_keeps_the_job(tmp_path, sale_receipt):
    printer = FilePrinter(path=str(tmp_path / "no-such-dir" / "lp0"), retry_s=0.05)
    printer.start()
    try:
        job = printer.print_receipt(sale_receipt)
        assert job.state == "pending"
        assert "group 'lp'" in printer.status.message
    finally:
        printer.stop()


def test_serial_printer_writes_the_job_to_the_port(pty_pair, sale_receipt):
    printer = SerialPrinter(port=pty_pair.path, baudrate=19200, query_status=False, paper_width_mm=58)
    printer.start()
    try:
        job = printer.print_receipt(sale_receipt)
        received = pty_pair.read_until(lambda data: data.endswith(b"\x1dV\x00"))
        printer.kick_drawer(2)
        kick = pty_pair.read_until(lambda data: len(data) >= 5)
    finally:
        printer.stop()
    assert job.state == "printed" and received == job.data
    assert kick == b"\x1bp\x00\x32\x32"


def test_network_printer_prints_over_tcp_and_reports_status(network_printer, sale_receipt):
    printer = NetworkPrinter(host="127.0.0.1", port=network_printer.port, timeout_s=1.0)
    printer.start()
    try:
        job = printer.print_receipt(sale_receipt)
        assert job.state == "printed"
        assert network_printer.jobs_containing(job.data) == 1
        assert printer.query_status() == PrinterStatus(True, False, "ok")
        network_printer.status = {1: 0x1A, 2: 0x32, 4: 0x72}  # paper ran out
        second = printer.reprint(sale_receipt)
        assert second.state == "pending" and "paper out" in second.last_error
        assert network_printer.jobs_containing(second.data) == 0
    finally:
        printer.stop()


def test_network_printer_unplugged_mid_job_prints_the_job_once_after_reconnect(
    network_printer, sale_receipt, wait_until
):
    printer = NetworkPrinter(host="127.0.0.1", port=network_printer.port, timeout_s=1.0, retry_s=0.05)
    printer.start()
    try:
        network_printer.drop_after = 200  # the cable is pulled 200 bytes into the job
        job = printer.print_receipt(sale_receipt)
        assert job.state == "pending" and printer.pending_jobs() == [job]
        assert not printer.status.available
        network_printer.drop_after = None  # plugged back in
        assert wait_until(lambda: job.state == "printed")
        assert printer.pending_jobs() == []
    finally:
        printer.stop()
    assert network_printer.jobs_containing(job.data) == 1  # complete exactly once
    assert any(len(c) >= 200 and job.data not in c for c in network_printer.connections)  # the torn try


def test_network_printer_switched_off_is_unavailable_with_advice(sale_receipt):
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = NetworkPrinter(host="127.0.0.1", port=port, timeout_s=0.5, retry_s=0.05)
    printer.start()
    try:
        assert not printer.available
        assert "not reachable" in printer.status.message and "IP address" in printer.status.message
        assert printer.print_receipt(sale_receipt).state == "pending"
        with pytest.raises(DeviceUnavailable):
            printer.kick_drawer()
    finally:
        printer.stop()


def test_usb_printer_without_pyusb_names_the_package(monkeypatch):
    from escpos.printer import Usb

    monkeypatch.setattr(Usb, "is_usable", staticmethod(lambda: False))
    printer = UsbPrinter(vendor_product="0416:5011", retry_s=0.05)
    printer.start()
    try:
        assert not printer.available
        assert "pyusb" in printer.status.message and "/dev/usb/lp0" in printer.status.message
    finally:
        printer.stop()


def test_no_printer_configured_skips_jobs_visibly(sale_receipt):
    printer = AbsentPrinter()
    events = []
    printer.on_job.add(events.append)
    printer.start()
    job = printer.print_receipt(sale_receipt)
    assert job.state == "skipped" and events[0].state == "skipped"
    assert "not configured" in printer.status.message
