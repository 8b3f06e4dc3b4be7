"""Ansible test helpers: run ansible-playbook from the venv on ansible/, and parse its
recap; a Debian bookworm chroot made with mmdebstrap (cached under /var/tmp, keyed by
its package list); an x86_64 wheelhouse of this source tree (image-build/wheelhouse.sh).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = Path(sys.executable).parent
CHROOT_CACHE = Path(os.environ.get("FLEETPOS_ANSIBLE_CACHE", "/var/tmp/fleetpos-ansible"))
# What the appliance role needs on a host (roles/appliance/defaults/main.yml, packages),
# plus python3 for Ansible itself.
CHROOT_PACKAGES = ["python3", "python3-venv", "python3-evdev", "nftables", "openssh-server",
                   "systemd", "systemd-sysv", "systemd-timesyncd", "udev", "netbase"]
CHROOT_MIRROR = os.environ.get("FLEETPOS_DEBIAN_MIRROR", "http://deb.debian.org/debian")

RECAP_RE = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                      r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    seconds: float

    def recap(self, host: str) -> dict[str, int]:
        for match in RECAP_RE.finditer(self.output):
            if match.group(1) == host:
                names = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
                return dict(zip(names, map(int, match.groups()[1:])))
        raise AssertionError(f"no recap for {host} in the output:\n{self.output[-4000:]}")

    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported changed (from the default callback's output)."""
        changed, task = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:") and task and task not in changed:
                changed.append(task)
        return changed


def ansible_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(Path(os.environ.get("TMPDIR", "/tmp")) / "fleetpos-ansible-local"),
    })
    env.update(extra)
    return env


def run_playbook(playbook: str, inventory: Path | str, *args: str, timeout: float = 1800,
                 env: dict | None = None) -> PlaybookRun:
    started = time.monotonic()
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), playbook, *args],
                            cwd=ANSIBLE_DIR, env=env or ansible_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    return PlaybookRun(result.returncode, result.stdout + result.stderr, time.monotonic() - started)


def require_ansible():
    if not (BIN / "ansible-playbook").exists():
        pytest.fail("ansible-playbook is not in the venv: pip install -e '.[test]' (scripts/setup.sh)")


@pytest.fixture(scope="session")
def chroot_base() -> Path:
    """A tarball of a Debian bookworm amd64 minbase root with CHROOT_PACKAGES, made once
    and kept under /var/tmp, keyed by the package list and the mirror."""
    if os.geteuid() != 0:
        pytest.skip("the chroot needs root (mmdebstrap --mode=root, Ansible's chroot connection)")
    if shutil.which("mmdebstrap") is None:
        pytest.fail("mmdebstrap is missing: apt-get install mmdebstrap (scripts/setup.sh installs it)")
    key = hashlib.sha256("\n".join([CHROOT_MIRROR, *sorted(CHROOT_PACKAGES)]).encode()).hexdigest()[:16]
    tarball = CHROOT_CACHE / f"bookworm-amd64-{key}.tar"
    if not tarball.exists():
        CHROOT_CACHE.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".partial.tar")
        result = subprocess.run(
            ["mmdebstrap", "--mode=root", "--variant=minbase", "--architectures=amd64",
             f"--include={','.join(CHROOT_PACKAGES)}", "bookworm", str(partial), CHROOT_MIRROR],
            capture_output=True, text=True, timeout=1800, check=False)
        assert result.returncode == 0, f"mmdebstrap failed:\n{result.stderr[-4000:]}"
        partial.rename(tarball)
    return tarball


@pytest.fixture
def chroot(chroot_base, tmp_path) -> Path:
    """A fresh root file system unpacked from the cached base."""
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xf", str(chroot_base)], check=True, timeout=600)
    yield root
    # the unpacked root holds device nodes and root-owned files: remove it here, at once
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def wheelhouse_x86_64(tmp_path_factory) -> Path:
    """The fleetpos wheel of this tree and its x86_64 dependencies (as for a PC till)."""
    dest = tmp_path_factory.mktemp("wheelhouse-x86_64")
    result = subprocess.run([str(REPO / "image-build" / "wheelhouse.sh"), str(dest), "x86_64"],
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return dest


def fleetpos_version(wheelhouse: Path) -> str:
    wheel = next(wheelhouse.glob("fleetpos-*-py3-none-any.whl"))
    return wheel.name.split("-")[1]
