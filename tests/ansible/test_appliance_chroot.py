"""The `appliance` role against a Debian bookworm chroot (not this machine's root), over
Ansible's community.general.chroot connection: check mode, a real run, then a second run
that changes nothing. The result must look like the image: the release beside a
`current` link, the image's own unit files, the till's config, enabled units."""

from __future__ import annotations

import filecmp
import glob
import os
import stat
from pathlib import Path

import pytest

from .conftest import ANSIBLE_DIR, REPO, fleetpos_version, require_ansible, run_playbook

pytestmark = pytest.mark.slow

ROOTFS = REPO / "image-build" / "rootfs"


def inventory(tmp_path: Path, root: Path, version: str, wheelhouse: Path, **hostvars) -> Path:
    path = tmp_path / "inventory.ini"
    extra = " ".join(f"{key}={value}" for key, value in hostvars.items())
    path.write_text(
        "[stores]\n"
        f"{root} ansible_connection=community.general.chroot ansible_python_interpreter=/usr/bin/python3 {extra}\n"
        "[stores:vars]\n"
        f"appliance_version={version}\n"
        f"appliance_wheelhouse={wheelhouse}\n"
        # a chroot runs no systemd: units are enabled, not started
        "appliance_start_services=false\n"
        "fleetpos_kiosk=false\n")
    return path


def test_appliance_role_installs_like_the_image_and_is_idempotent(chroot, wheelhouse_x86_64, tmp_path):
    require_ansible()
    version = fleetpos_version(wheelhouse_x86_64)
    inv = inventory(tmp_path, chroot, version, wheelhouse_x86_64,
                    fleetpos_store_id="store-0042", fleetpos_device_id="till-2")
    host = str(chroot)

    check = run_playbook("site.yml", inv, "--check", "--tags", "appliance")
    assert check.returncode == 0, check.output[-6000:]
    assert check.recap(host)["changed"] > 0, "check mode on a fresh host reported nothing to do"
    print(f"appliance role, check mode in the chroot: {check.seconds:.0f} s")
    assert not (chroot / "opt/fleetpos").exists(), "check mode changed the target"
    assert not (chroot / "etc/fleetpos").exists(), "check mode changed the target"

    first = run_playbook("site.yml", inv, "--tags", "appliance")
    assert first.returncode == 0, first.output[-6000:]
    print(f"appliance role, first run in the chroot: {first.seconds:.0f} s")

    # the image's layout
    assert os.readlink(chroot / "opt/fleetpos/current") == f"releases/{version}"
    assert (chroot / f"opt/fleetpos/releases/{version}/VERSION").read_text() == f"{version}\n"
    assert os.access(chroot / f"opt/fleetpos/releases/{version}/bin/fleetpos", os.X_OK)
    assert not list((chroot / "var/tmp").glob("fleetpos-wheelhouse-*")), "the copied wheelhouse was left behind"
    # the image's own files, byte for byte
    for rel in ("etc/systemd/system/fleetpos-till.service", "etc/systemd/system/fleetpos-sync.service",
                "etc/nftables.conf", "etc/ssh/sshd_config.d/fleetpos.conf", "usr/lib/fleetpos/firstboot"):
        assert filecmp.cmp(ROOTFS / rel, chroot / rel, shallow=False), rel
    assert stat.S_IMODE((chroot / "usr/lib/fleetpos/firstboot").stat().st_mode) == 0o700
    # the till's config is the image's plus the ids, readable by the fleetpos group only
    till = (chroot / "etc/fleetpos/till.toml").read_text()
    assert till.startswith((ROOTFS / "etc/fleetpos/till.toml").read_text())
    assert till.endswith('\n[store]\nid = "store-0042"\n\n[device]\nid = "till-2"\n'), till
    assert stat.S_IMODE((chroot / "etc/fleetpos/till.toml").stat().st_mode) == 0o640
    # units enabled the offline way (systemctl in a chroot)
    for unit in ("fleetpos-till.service", "fleetpos-sync.service", "nftables.service", "ssh.service"):
        # glob.glob, not Path.glob: the links point into the chroot, so they dangle from here
        assert glob.glob(f"{chroot}/etc/systemd/system/*.wants/{unit}"), f"{unit} not enabled"
    passwd = (chroot / "etc/passwd").read_text()
    assert "\nfleetpos:" in passwd and "/var/lib/fleetpos:/usr/sbin/nologin" in passwd
    # the release really runs on this host's Python
    result = os.popen(f"chroot {chroot} /opt/fleetpos/current/bin/fleetpos --help").read()
    assert "enroll" in result and "till" in result, result

    again = run_playbook("site.yml", inv, "--tags", "appliance")
    assert again.returncode == 0, again.output[-6000:]
    assert again.recap(host)["changed"] == 0, f"second run changed: {again.changed_tasks()}"
    print(f"appliance role, second run in the chroot: {again.seconds:.0f} s")

    # re-provisioning without ids keeps the ids that enrollment wrote
    inv_no_ids = inventory(tmp_path, chroot, version, wheelhouse_x86_64)
    keep = run_playbook("site.yml", inv_no_ids, "--tags", "appliance")
    assert keep.returncode == 0, keep.output[-6000:]
    assert keep.recap(host)["changed"] == 0, keep.changed_tasks()
    assert (chroot / "etc/fleetpos/till.toml").read_text() == till


def test_appliance_role_refuses_a_missing_wheelhouse(chroot, tmp_path):
    require_ansible()
    inv = inventory(tmp_path, chroot, "9.9.9", tmp_path / "no-such-wheelhouse")
    run = run_playbook("site.yml", inv, "--tags", "appliance")
    assert run.returncode != 0
    assert "fleetpos 9.9.9 is not installed" in run.output and "wheelhouse.sh" in run.output, run.output[-3000:]
    assert not (chroot / "opt/fleetpos/current").exists()
