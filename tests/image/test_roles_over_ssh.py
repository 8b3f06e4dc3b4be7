"""The Ansible roles against the booted image (the session's one QEMU guest, see
conftest.py) over ssh, with the key from the boot partition: site.yml (appliance, kiosk,
enroll) in check mode, then for real changing nothing (the image is what the roles make);
then replace.yml,
which revokes the guest's device at head office and enrolls the guest again as its
replacement, and a second time changes nothing; then replace.yml once more, as on a new Pi,
restoring a copy of the till's database taken off the "broken" one; last, site.yml upgrading
to a release that migrates the database and then crashes, which must roll back by itself.

The guest is offline except for head office (QEMU's guestfwd): the roles install no
packages on a till that has them, which is what this proves for the image.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.ansible.conftest import require_ansible, run_playbook
from tests.image.conftest import DEVICE, HEAD_OFFICE_IN_GUEST, STORE
from tests.sync.conftest import ADMIN_TOKEN

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the image build and boot test need root"),
    pytest.mark.skipif(os.environ.get("FLEETPOS_SKIP_IMAGE") == "1", reason="FLEETPOS_SKIP_IMAGE=1"),
]

HOST = "guest"


@pytest.fixture(scope="module")
def inventory(guest, head_office, tmp_path_factory) -> Path:
    version = guest.ssh("cat /opt/fleetpos/current/VERSION").stdout.strip()
    assert version, "the guest has no /opt/fleetpos/current/VERSION"
    path = tmp_path_factory.mktemp("ansible-guest") / "inventory.ini"
    path.write_text(
        "[stores]\n"
        f"{HOST} ansible_host=127.0.0.1 ansible_port={guest.ssh_port} ansible_user=root "
        f"ansible_ssh_private_key_file={guest.key} ansible_python_interpreter=/usr/bin/python3 "
        f"fleetpos_store_id={STORE} fleetpos_device_id={DEVICE}\n"
        "[stores:vars]\n"
        "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
        f"appliance_version={version}\n"
        f"enroll_fleet_url=http://{HEAD_OFFICE_IN_GUEST}\n"
        f"enroll_fleet_api_url={head_office.url}\n"
        f"enroll_api_token={ADMIN_TOKEN}\n")
    return path


def test_site_playbook_check_real_and_idempotent_on_the_image(guest, inventory):
    require_ansible()
    check = run_playbook("site.yml", inventory, "--check", timeout=1800)
    assert check.returncode == 0, check.output[-6000:]
    print(f"site.yml --check on the QEMU guest: {check.seconds:.0f} s, changed: {check.changed_tasks()}")

    # The image was provisioned from the same sources the roles install (image-build/rootfs,
    # the same wheelhouse), so the first real run is already a run over a provisioned till:
    # it must change nothing. (A run that installs and a second that changes nothing is
    # tests/ansible/test_appliance_chroot.py; a third run here would cost ~5 min of TCG.)
    first = run_playbook("site.yml", inventory, timeout=1800)
    assert first.returncode == 0, first.output[-6000:]
    assert first.recap(HOST)["changed"] == 0, f"site.yml changed the image's till: {first.changed_tasks()}"
    print(f"site.yml on the QEMU guest: {first.seconds:.0f} s, changed nothing")

    # still the till the image made: serving, enrolled, the release link where it was
    assert guest.ssh("systemctl is-active fleetpos-till fleetpos-kiosk").stdout.split() == ["active", "active"]
    assert json.loads(guest.http_get("/healthz")[2])["store_id"] == STORE


def test_replace_playbook_revokes_the_old_device_and_enrolls_the_guest(guest, inventory, head_office):
    require_ansible()
    args = ["-e", f"replace_store_id={STORE}", "-e", f"replace_device_id={DEVICE}"]
    check = run_playbook("replace.yml", inventory, "--check", *args, timeout=1800)
    assert check.returncode == 0, check.output[-6000:]
    assert head_office.call("GET", f"/api/stores/{STORE}/devices/{DEVICE}")["device"]["state"] == "active"

    before = json.loads(guest.ssh("cat /var/lib/fleetpos/enrollment.json").stdout)
    first = run_playbook("replace.yml", inventory, *args, timeout=1800)
    assert first.returncode == 0, first.output[-6000:]
    print(f"replace.yml on the QEMU guest: {first.seconds:.0f} s")
    assert "replace : Replace revoke the broken Pi at head office" in first.changed_tasks(), first.changed_tasks()
    assert "NOT RESTORED" in first.output and "no backups" in first.output, first.output[-3000:]
    after = json.loads(guest.ssh("cat /var/lib/fleetpos/enrollment.json").stdout)
    assert after["state"] == "enrolled" and after["store_id"] == STORE, after
    assert after["updated_at"] >= before["updated_at"]
    device = head_office.call("GET", f"/api/stores/{STORE}/devices/{DEVICE}")["device"]
    assert device["state"] == "active", device  # revoked, then enrolled again by the new Pi
    marker = json.loads(guest.ssh("cat /var/lib/fleetpos/replaced.json").stdout)
    assert marker["replaces"] == {"store_id": STORE, "device_id": DEVICE}
    assert marker["backup_restored"] is False
    kept = guest.ssh("cat /boot/firmware/fleetpos-enrolled.toml").stdout
    assert f'store_id = "{STORE}"' in kept and not re.search(r"^\s*token\s*=", kept, re.M), kept

    again = run_playbook("replace.yml", inventory, *args, timeout=1800)
    assert again.returncode == 0, again.output[-6000:]
    assert again.recap(HOST)["changed"] == 0, f"second run changed: {again.changed_tasks()}"
    print(f"replace.yml second run on the QEMU guest: {again.seconds:.0f} s", file=sys.stderr)


def test_replace_playbook_restores_the_broken_pi_s_database(guest, inventory, head_office, tmp_path):
    require_ansible()
    fleetpos = "runuser -u fleetpos -- /opt/fleetpos/current/bin/fleetpos"
    made = guest.ssh(f"{fleetpos} backup --config /etc/fleetpos/till.toml --reason test")
    assert made.returncode == 0, made.stderr
    remote = made.stdout.strip().splitlines()[-1]
    copied = guest.ssh(f"base64 -w0 {remote}", timeout=120)
    assert copied.returncode == 0, copied.stderr
    # the copy as a technician takes it off the old card, with a sale's worth of proof in it
    backup = tmp_path / "broken-pi-till.sqlite3"
    backup.write_bytes(base64.b64decode(copied.stdout))
    with sqlite3.connect(backup) as db:
        db.execute("INSERT OR IGNORE INTO tax_class (code, name, rate_bp) VALUES ('restore-proof', 'proof', 0)")
        db.execute("INSERT INTO product (sku, name, unit, price, tax_class_id, active, updated_at) "
                   "VALUES ('RESTORE-PROOF', '恢复证明', 'each', 4200, 'restore-proof', 1, '2026-12-05 10:00:00')")
        db.execute("INSERT INTO counter (name, value) VALUES ('receipt:proof', 41) "
                   "ON CONFLICT (name) DO UPDATE SET value = 41")
    guest.ssh("rm -f /var/lib/fleetpos/replaced.json")  # this guest now plays a new Pi

    args = ["-e", f"replace_store_id={STORE}", "-e", f"replace_device_id={DEVICE}",
            "-e", f"replace_backup_file={backup}"]
    run = run_playbook("replace.yml", inventory, *args, timeout=1800)
    assert run.returncode == 0, run.output[-6000:]
    print(f"replace.yml with a restore on the QEMU guest: {run.seconds:.0f} s")
    assert "replace : Replace restore the database (checked, migrated, this Pi's enrollment kept)" in \
        run.changed_tasks(), run.changed_tasks()
    assert "NOT RESTORED" not in run.output
    query = ("python3 -c 'import sqlite3; db = sqlite3.connect(\"file:/var/lib/fleetpos/till.sqlite3?mode=ro\", uri=True); "
             "print(db.execute(\"SELECT name FROM product WHERE sku = ?\", (\"RESTORE-PROOF\",)).fetchone()[0]); "
             "print(db.execute(\"SELECT value FROM counter WHERE name = ?\", (\"receipt:proof\",)).fetchone()[0])'")
    restored = guest.ssh(query)
    assert restored.stdout.split() == ["恢复证明", "41"], restored.stdout + restored.stderr
    marker = json.loads(guest.ssh("cat /var/lib/fleetpos/replaced.json").stdout)
    assert marker["backup_restored"] is True
    assert marker["backup_sha256"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    assert guest.ssh("ls /var/lib/fleetpos/backups").stdout.count("before-restore") == 1
    assert guest.ssh("test -e /var/lib/fleetpos/restore.sqlite3").returncode != 0  # the upload is gone
    assert guest.ssh("systemctl is-active fleetpos-till fleetpos-sync").stdout.split() == ["active", "active"]
    enrolled = json.loads(guest.ssh("cat /var/lib/fleetpos/enrollment.json").stdout)
    assert enrolled["state"] == "enrolled", enrolled
    device = head_office.call("GET", f"/api/stores/{STORE}/devices/{DEVICE}")["device"]
    assert device["state"] == "active", device


# A release that does what a bad upgrade does: the till migrates the database (after the
# backup every migration is preceded by) and then crashes. Other commands are the old release's.
BROKEN_RELEASE = """#!/bin/sh
[ "$1" = till ] || exec /opt/fleetpos/releases/{old}/bin/fleetpos "$@"
if [ ! -e /var/lib/fleetpos/broken-release-migrated ]; then  # once, as a real migration
  /opt/fleetpos/releases/{old}/bin/fleetpos backup --config /etc/fleetpos/till.toml --reason before-migration-{schema}
  python3 -c 'import sqlite3; db = sqlite3.connect("/var/lib/fleetpos/till.sqlite3"); db.execute("INSERT INTO schema_version VALUES (99, \\"broken\\", datetime())"); db.commit()'
  touch /var/lib/fleetpos/broken-release-migrated
fi
echo "this release crashes after migrating" >&2
exit 3
"""


def test_an_upgrade_that_passes_its_health_check_stays_and_the_way_back_too(guest, inventory):
    require_ansible()
    old = guest.ssh("cat /opt/fleetpos/current/VERSION").stdout.strip()
    good = "0.1.1-test"
    # the same code under another version number: a release that starts and answers
    made = guest.ssh(f"cp -a /opt/fleetpos/releases/{old} /opt/fleetpos/releases/{good} && "
                     f"echo {good} > /opt/fleetpos/releases/{good}/VERSION && "
                     f"sed -i 's/^__version__ = .*/__version__ = \"{good}\"/' "
                     f"/opt/fleetpos/releases/{good}/lib/python3*/site-packages/fleetpos/__init__.py && "
                     # the copied command's #! still names the old release's python
                     f"sed -i '1s|/releases/{old}/|/releases/{good}/|' /opt/fleetpos/releases/{good}/bin/fleetpos")
    assert made.returncode == 0, made.stderr
    try:
        for version in (good, old):
            run = run_playbook("site.yml", inventory, "--tags", "appliance", "-e", f"appliance_version={version}",
                               timeout=1800)
            assert run.returncode == 0, run.output[-4000:]
            print(f"site.yml --tags appliance to {version} on the QEMU guest: {run.seconds:.0f} s")
            assert "appliance : Appliance restart the till and the sync agent on the new release" in \
                run.changed_tasks(), run.changed_tasks()
            assert guest.ssh("readlink /opt/fleetpos/current").stdout.strip() == f"releases/{version}"
            assert json.loads(guest.http_get("/healthz")[2])["version"] == version
    finally:
        guest.ssh(f"ln -sfn releases/{old} /opt/fleetpos/current.tmp && mv -T /opt/fleetpos/current.tmp "
                  f"/opt/fleetpos/current && rm -rf /opt/fleetpos/releases/{good}")


def test_an_upgrade_that_fails_its_health_check_rolls_back_release_and_database(guest, inventory):
    require_ansible()
    old = guest.ssh("cat /opt/fleetpos/current/VERSION").stdout.strip()
    schema = json.loads(guest.http_get("/healthz")[2])["schema_version"]
    broken = "0.0.0-broken"
    script = BROKEN_RELEASE.format(old=old, schema=schema)
    made = guest.ssh(f"mkdir -p /opt/fleetpos/releases/{broken}/bin && "
                     f"echo {broken} > /opt/fleetpos/releases/{broken}/VERSION && "
                     f"base64 -d > /opt/fleetpos/releases/{broken}/bin/fleetpos <<'EOF'\n"
                     f"{base64.b64encode(script.encode()).decode()}\nEOF\n"
                     f"chmod 0755 /opt/fleetpos/releases/{broken}/bin/fleetpos")
    assert made.returncode == 0, made.stderr
    try:
        run = run_playbook("site.yml", inventory, "--tags", "appliance", "-e", f"appliance_version={broken}",
                           "-e", "appliance_health_seconds=60", timeout=1800)
        assert run.returncode != 0, run.output[-4000:]
        print(f"site.yml upgrade to a broken release and its roll back on the QEMU guest: {run.seconds:.0f} s")
        assert "failed its health check" in run.output and f"rolled back to {old}" in run.output, run.output[-4000:]
        assert "database restored from till-" in run.output and "the till answers again" in run.output, \
            run.output[-4000:]
        assert guest.ssh("readlink /opt/fleetpos/current").stdout.strip() == f"releases/{old}"
        health = json.loads(guest.http_get("/healthz")[2])
        assert health["ok"] is True and health["version"] == old and health["schema_version"] == schema, health
        assert guest.ssh("ls /var/lib/fleetpos/backups").stdout.count("before-restore") >= 1
        assert guest.ssh("systemctl is-active fleetpos-till fleetpos-sync").stdout.split() == ["active", "active"]
    finally:
        guest.ssh(f"rm -rf /opt/fleetpos/releases/{broken} /var/lib/fleetpos/broken-release-migrated")
