"""The booted appliance image, shared by the tests in tests/image: built (or taken from
FLEETPOS_TEST_IMAGE) and booted ONCE per test session under qemu-system-aarch64 -M virt,
enrolled with a head office that the test runs. test_image_boot.py checks the boot;
test_roles_over_ssh.py runs the Ansible roles against the same running guest.
How the guest is booted and reached: see test_image_boot.py's docstring.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import sys
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE_BUILD = REPO / "image-build"
BUILD_TIMEOUT = 45 * 60       # cold: ~17 min on 2 busy cores; with the base cached: ~1.5 min
BOOT_REPORT_TIMEOUT = 12 * 60  # first boot under TCG, kiosk included: ~1.5-5 min
SSH_TIMEOUT = 5 * 60
GROW_BY_MIB = 512             # the test's "card" is this much bigger than the image


REPORT_RE = re.compile(r"fleetpos-boot-report: (.*)")
STORE, DEVICE = "image-test-store", "till-1"
HEAD_OFFICE_IN_GUEST = "10.0.2.100"

# Copies one connection between QEMU (stdin/stdout, a guest's TCP connection to
# HEAD_OFFICE_IN_GUEST) and head office on the host's loopback.
RELAY = """\
import os, socket, sys, threading
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def up():
    while data := os.read(0, 65536):
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
while data := sock.recv(65536):
    os.write(1, data)
"""


def die_with_parent():
    """Child-side: SIGKILL this process if pytest dies (e.g. killed by a CI timeout)
    before its finalizers could stop QEMU."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd, timeout, **kwargs):
    return subprocess.run(cmd, timeout=timeout, check=False, text=True,
                          capture_output=True, **kwargs)


def partition_offset(image: Path, number: int) -> int:
    table = json.loads(run(["sfdisk", "--json", str(image)], 60).stdout)["partitiontable"]
    return table["partitions"][number - 1]["start"] * table.get("sectorsize", 512)


def wait_for(what, check, timeout, interval=2.0, alive=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def built_image(tmp_path_factory):
    """The raw image: FLEETPOS_TEST_IMAGE if set, else a fresh build (cache reused).
    Images this fixture made are deleted afterwards (gigabytes each)."""
    made = []
    given = os.environ.get("FLEETPOS_TEST_IMAGE")
    if given:
        image = Path(given)
        assert image.is_file(), f"FLEETPOS_TEST_IMAGE={given} does not exist"
    else:
        out = tmp_path_factory.mktemp("image-out")
        # No xz by default: compressing takes minutes of CI time and is one plain xz call
        # (FLEETPOS_IMAGE_COMPRESS=xz to include it).
        env = dict(os.environ, FLEETPOS_IMAGE_OUT=str(out),
                   FLEETPOS_IMAGE_COMPRESS=os.environ.get("FLEETPOS_IMAGE_COMPRESS", "none"))
        started = time.monotonic()
        log = out / "build.log"
        with open(log, "w") as log_file:
            result = subprocess.run([str(IMAGE_BUILD / "build.sh")], env=env, stdout=log_file,
                                    stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False)
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
        assert result.returncode == 0, f"image build failed, end of {log}:\n{tail}"
        print(f"image build took {time.monotonic() - started:.0f} s")
        images = [p for p in sorted(out.glob("fleetpos-*-arm64.img*")) if p.suffix in (".img", ".xz")]
        assert len(images) == 1, f"expected one image in {out}, found {images}"
        image = images[0]
        made.append(image)
        checksum = image.with_name(image.name + ".sha256")
        assert checksum.is_file(), "the build wrote no .sha256 next to the image"
        check = run(["sha256sum", "--check", checksum.name], 600, cwd=out)
        assert check.returncode == 0, check.stdout + check.stderr
        assert list(out.glob("fleetpos-*-arm64.manifest.txt")), "no manifest next to the image"
    if image.suffix == ".xz":
        raw = tmp_path_factory.mktemp("image-raw") / image.name[:-3]
        with open(raw, "wb") as out_file:
            # cp --sparse=always keeps the image's empty space out of the disk
            xz = subprocess.Popen(["xz", "-dc", str(image)], stdout=subprocess.PIPE)
            subprocess.run(["cp", "--sparse=always", "/dev/stdin", str(raw)], stdin=xz.stdout,
                           check=True, timeout=900)
            xz.stdout.close()
            assert xz.wait(timeout=60) == 0
        image = raw
        made.append(raw)
    yield image
    for path in made:
        path.unlink(missing_ok=True)


class Guest:
    """A booted image: its serial log, ssh into it, and HTTP through an ssh tunnel."""

    def __init__(self, workdir: Path, image: Path, key: Path, netdev: str = ""):
        self.workdir, self.image, self.key, self.netdev = workdir, image, key, netdev
        self.serial = workdir / "serial.log"
        self.ssh_port = free_port()
        self.qemu = None
        self.tunnel = None
        self.http_port = None

    # -- lifecycle
    def start(self):
        # FLEETPOS_QEMU_WORKDIR: qemu-run.sh execs QEMU, which keeps the death signal
        env = dict(os.environ, FLEETPOS_QEMU_SSH_PORT=str(self.ssh_port),
                   FLEETPOS_QEMU_SERIAL=str(self.serial),
                   FLEETPOS_QEMU_WORKDIR=str(self.workdir / "qemu"),
                   FLEETPOS_QEMU_NETDEV=self.netdev)
        self.qemu_log = open(self.workdir / "qemu.log", "w")
        self.started = time.monotonic()
        self.qemu = subprocess.Popen([str(IMAGE_BUILD / "qemu-run.sh"), str(self.image)],
                                     env=env, stdout=self.qemu_log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=die_with_parent)

    def stop(self):
        for proc in (self.tunnel, self.qemu):
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=20)
        self.qemu_log.close()

    def alive(self):
        if self.qemu.poll() is not None:
            pytest.fail(f"QEMU exited ({self.qemu.returncode}) during the test; "
                        f"serial console:\n{self.console_tail()}")

    def console(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    def console_tail(self, lines=60) -> str:
        return "\n".join(self.console().splitlines()[-lines:])

    # -- ssh
    def ssh_args(self, *extra):
        return ["ssh", "-i", str(self.key), "-p", str(self.ssh_port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                *extra, "root@127.0.0.1"]

    def ssh(self, command: str, timeout=60) -> subprocess.CompletedProcess:
        return run(self.ssh_args() + [command], timeout)

    def ssh_ready(self) -> bool:
        """Whether a login works now; one that hangs (sshd still starting, or a loaded
        machine's emulated guest slow to answer) is a no for this try, not an error."""
        try:
            return self.ssh("true", timeout=60).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def open_tunnel(self, guest_port=8080):
        self.http_port = free_port()
        self.tunnel = subprocess.Popen(
            self.ssh_args("-N", "-o", "ExitOnForwardFailure=yes",
                          "-L", f"127.0.0.1:{self.http_port}:127.0.0.1:{guest_port}"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=die_with_parent)

    def http_get(self, path: str, timeout=10):
        url = f"http://127.0.0.1:{self.http_port}{path}"
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()


@pytest.fixture(scope="session")
def head_office(tmp_path_factory):
    """Head office and its broker on the host, with a token for the guest's till."""
    from tests.sync.conftest import MOSQUITTO, Broker, HeadOffice

    if not os.path.exists(MOSQUITTO):
        pytest.fail("the image test enrolls with a real head office: apt-get install mosquitto")
    workdir = tmp_path_factory.mktemp("head-office")
    broker = Broker(workdir / "broker", secrets.token_urlsafe(16))
    broker.start()
    office = HeadOffice(workdir / "fleet", broker, broker.server_password)
    try:
        office.start()
        office.add_store(STORE)
        office.enroll_token = office.token(STORE, DEVICE)
        yield office
    finally:
        office.stop()
        broker.stop()


@pytest.fixture(scope="session")
def guest(built_image, head_office, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("image-boot")
    # The test's own copy, grown like an SD card bigger than the image.
    image = workdir / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(built_image), str(image)], check=True, timeout=900)
    with open(image, "r+b") as disk:
        disk.truncate(image.stat().st_size + GROW_BY_MIB * 1024 * 1024)

    # What a technician puts on the boot partition: an ssh key and an enrollment file.
    key = workdir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "image-test",
                    "-f", str(key)], check=True, timeout=60)
    enroll = workdir / "fleetpos-enroll.toml"
    enroll.write_text(f'store_id = "{STORE}"\ndevice_id = "{DEVICE}"\n'
                      f'url = "http://{HEAD_OFFICE_IN_GUEST}"\ntoken = "{head_office.enroll_token}"\n')
    fat = f"{image}@@{partition_offset(image, 1)}"
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for source, name in ((key.with_suffix(".pub"), "authorized_keys"), (enroll, enroll.name)):
        subprocess.run(["mcopy", "-o", "-i", fat, str(source), f"::/{name}"], check=True,
                       env=env, timeout=60)

    relay = workdir / "relay.py"
    relay.write_text(RELAY)
    vm = Guest(workdir, image, key, netdev=f",guestfwd=tcp:{HEAD_OFFICE_IN_GUEST}:80-cmd:"
                                            f"{sys.executable} {relay} {head_office.http_port}")
    vm.start()
    try:
        # The boot report comes once the till answers and the units have settled.
        line = wait_for("the boot report on the serial console",
                        lambda: REPORT_RE.search(vm.console()), BOOT_REPORT_TIMEOUT,
                        alive=vm.alive)
        vm.report = dict(field.split("=", 1) for field in line.group(1).split())
        vm.report_after = time.monotonic() - vm.started
        print(f"boot report after {vm.report_after:.0f} s: {line.group(1)}")
        wait_for("ssh login with the key from the boot partition", vm.ssh_ready, SSH_TIMEOUT, alive=vm.alive)
        vm.open_tunnel()

        def healthz_through_tunnel():
            try:
                return vm.http_get("/healthz")
            except OSError:
                return None
        vm.healthz = wait_for("/healthz through the ssh tunnel", healthz_through_tunnel, 120,
                              alive=vm.alive)
        print(f"healthz through the forwarded port after {time.monotonic() - vm.started:.0f} s")
        yield vm
    except BaseException:
        print(f"serial console (end):\n{vm.console_tail(120)}")
        raise
    finally:
        vm.stop()
        image.unlink(missing_ok=True)
        shutil.rmtree(workdir / "qemu", ignore_errors=True)  # kernel + initrd, 70 MB
