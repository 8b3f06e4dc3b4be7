"""Boot test of the appliance image: build it, boot it under QEMU, and check the till.

The image is built by image-build/build.sh (or taken from FLEETPOS_TEST_IMAGE, e.g. one
that the same CI run built before) and booted, as a technician's copy would be, under
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 with user networking that only
forwards a port on 127.0.0.1 to the guest's ssh. The till listens on the guest's loopback
only and the firewall opens nothing but ssh, so the test reaches /healthz the way a
technician does: `ssh -L` with a key put on the boot partition (the production image, not
a test build with an open port). The state of the kiosk and sync units is read from the
serial console, where fleetpos-boot-report.service prints it.

First boot enrolls for real: the test runs head office and its Mosquitto on the host (the
sync tests' fixtures), issues a one-time token, and puts it in the enrollment file on the
boot partition; QEMU forwards 10.0.2.100:80 in the guest to head office's port, and only
that. The guest's sync agent then runs enrolled (the broker address head office gives out
is the host's loopback, which the guest cannot reach, so the agent keeps reconnecting).

Needs root and the host packages of image-build/host-deps.list plus mosquitto. Skipped when
not root or when FLEETPOS_SKIP_IMAGE=1.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.image.conftest import GROW_BY_MIB, STORE, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the image build and boot test need root"),
    pytest.mark.skipif(os.environ.get("FLEETPOS_SKIP_IMAGE") == "1",
                       reason="FLEETPOS_SKIP_IMAGE=1"),
]


def test_till_answers_healthz_through_the_forwarded_port(guest):
    status, content_type, body = guest.healthz
    assert status == 200
    assert "json" in content_type
    assert json.loads(body)["ok"] is True


def test_till_serves_its_root_page(guest):
    status, content_type, body = guest.http_get("/")
    assert status == 200
    assert "text/html" in content_type
    assert body.strip(), "empty root page"


def test_serial_console_reports_till_and_kiosk_active(guest):
    report = guest.report
    assert report["healthz"] == "ok", report
    assert report["fleetpos-till"] == "active", report
    assert report["fleetpos-kiosk"] == "active", report


def test_serial_console_reports_sync_active_once_enrolled(guest):
    assert guest.report["fleetpos-sync"] == "active", guest.report


def test_kiosk_runs_chromium_on_cage(guest):
    assert guest.report["chromium"] == "running", guest.report
    procs = guest.ssh("ps -u kiosk -o comm=").stdout.split()
    assert "cage" in procs and "chromium" in procs, procs


def test_till_listens_on_loopback_only(guest):
    listening = guest.ssh("ss -Hltn").stdout
    ports = re.findall(r"\s(\S+):8080\s", listening)
    assert ports and all(addr in ("127.0.0.1", "[::1]") for addr in ports), listening


def test_firewall_drops_everything_but_ssh(guest):
    ruleset = guest.ssh("nft list ruleset").stdout
    assert re.search(r"hook input priority filter; policy drop;", ruleset), ruleset
    accepted = re.findall(r"tcp dport (\S+) accept", ruleset)
    assert accepted == ["22"], ruleset


def test_ssh_refuses_passwords(guest):
    result = run(guest.ssh_args("-o", "PubkeyAuthentication=no",
                                "-o", "PreferredAuthentications=password,keyboard-interactive")
                 + ["true"], 60)
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr, result.stderr
    shadow = guest.ssh("awk -F: '$2 !~ /^[*!]/ {print $1}' /etc/shadow").stdout.split()
    assert shadow == [], f"users with a password: {shadow}"


def test_data_partition_is_mounted_and_grown_to_the_disk(guest):
    source, size = guest.ssh("findmnt -bno SOURCE,SIZE /var/lib/fleetpos").stdout.split()
    label = guest.ssh(f"lsblk -no LABEL {source}").stdout.strip()
    assert label == "FLEETPOSDATA"
    assert int(size) > GROW_BY_MIB * 1024 * 1024, f"/var/lib/fleetpos is {size} bytes, not grown"
    assert guest.ssh("test -f /var/lib/fleetpos/till.sqlite3").returncode == 0, \
        "the till keeps no database on the data partition"


def test_release_is_installed_beside_a_current_link(guest):
    current = guest.ssh("readlink /opt/fleetpos/current").stdout.strip()
    assert re.fullmatch(r"releases/[^/]+", current), current
    version = guest.ssh("cat /opt/fleetpos/current/VERSION").stdout.strip()
    assert current == f"releases/{version}"
    manifest = guest.ssh("cat /usr/share/fleetpos/manifest.txt").stdout
    assert re.search(r"^ii +chromium ", manifest, re.M), "manifest lacks the Debian packages"
    assert re.search(rf"^fleetpos=={re.escape(version)}$", manifest, re.M) or \
        re.search(r"^fleetpos==", manifest, re.M), "manifest lacks the release venv's pip freeze"


def test_first_boot_enrolls_and_removes_the_token(guest, head_office):
    state = json.loads(guest.ssh("cat /var/lib/fleetpos/enrollment.json").stdout)
    assert state["state"] == "enrolled", state
    assert state["store_id"] == STORE
    boot = guest.ssh("ls /boot/firmware").stdout.split()
    assert "fleetpos-enroll.toml" not in boot and "fleetpos-enrolled.toml" in boot, boot
    kept = guest.ssh("cat /boot/firmware/fleetpos-enrolled.toml").stdout
    assert head_office.enroll_token not in kept and "token" not in kept, kept
    assert f'store_id = "{STORE}"' in kept
    # the till now runs as the enrolled store
    assert json.loads(guest.http_get("/healthz")[2])["store_id"] == STORE


def test_ssh_host_keys_are_made_on_first_boot(guest):
    keys = guest.ssh("ls /etc/ssh/").stdout.split()
    assert "ssh_host_ed25519_key" in keys
    assert guest.ssh("test -e /boot/firmware/authorized_keys.imported").returncode == 0
