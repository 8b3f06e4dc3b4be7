"""The `flash` role on this machine, against a stand-in card: a regular file as the device
and a stand-in sysfs and mount table saying what kind of disk it is. It writes and
verifies an image (xz and raw), leaves a card that already holds it alone, and refuses a
damaged image, a fixed disk, the system disk and a mounted card without writing."""

from __future__ import annotations

import hashlib
import lzma
import os
from pathlib import Path

import pytest

from .conftest import require_ansible, run_playbook

MIB = 1024 * 1024


@pytest.fixture
def card(tmp_path):
    """An 8 MiB "card" (zeros) named sdz in a stand-in sysfs: removable, two partitions."""
    device = tmp_path / "sdz"
    device.write_bytes(b"\0" * 8 * MIB)
    sysfs = tmp_path / "sys" / "block"
    disk = sysfs / "sdz"
    for part in ("sdz1", "sdz2"):
        (disk / part).mkdir(parents=True)
        (disk / part / "partition").write_text(part[-1] + "\n")
    (disk / "removable").write_text("1\n")
    (disk / "size").write_text(f"{8 * MIB // 512}\n")
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n")
    return {"device": device, "sysfs": sysfs, "disk": disk, "mounts": mounts}


def make_image(tmp_path: Path, compressed: bool) -> tuple[Path, bytes]:
    raw = os.urandom(3 * MIB + 4096)
    image = tmp_path / ("fleetpos-9.9.9-arm64.img" + (".xz" if compressed else ""))
    image.write_bytes(lzma.compress(raw) if compressed else raw)
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    image.with_name(image.name + ".sha256").write_text(f"{digest}  {image.name}\n")
    return image, raw


def flash(card, image, *extra):
    args = ["-e", f"flash_image={image}", "-e", f"flash_device={card['device']}",
            "-e", f"flash_sysfs_block={card['sysfs']}", "-e", f"flash_mounts={card['mounts']}",
            "-e", "flash_allow_regular_file=true", "-e", "ansible_become=false", *extra]
    return run_playbook("flash.yml", "localhost,", *args, timeout=300)


@pytest.mark.parametrize("compressed", [True, False], ids=["xz", "raw"])
def test_flash_writes_and_verifies_the_image_then_leaves_the_card_alone(card, tmp_path, compressed):
    require_ansible()
    image, raw = make_image(tmp_path, compressed)

    check = flash(card, image, "--check")
    assert check.returncode == 0, check.output[-4000:]
    assert card["device"].read_bytes() == b"\0" * 8 * MIB, "check mode wrote to the card"

    first = flash(card, image)
    assert first.returncode == 0, first.output[-4000:]
    assert "flash : Flash write the image" in first.changed_tasks()
    assert card["device"].read_bytes()[:len(raw)] == raw

    again = flash(card, image)
    assert again.returncode == 0, again.output[-4000:]
    assert again.recap("localhost")["changed"] == 0, again.changed_tasks()


def refused(run, card, reason: str):
    assert run.returncode != 0, run.output[-3000:]
    assert reason in run.output, run.output[-3000:]
    assert card["device"].read_bytes() == b"\0" * 8 * MIB, "the card was written to"


def test_flash_refuses_a_fixed_disk(card, tmp_path):
    require_ansible()
    (card["disk"] / "removable").write_text("0\n")
    refused(flash(card, make_image(tmp_path, True)[0]), card, "is not a removable disk")


def test_flash_refuses_the_system_disk(card, tmp_path):
    require_ansible()
    card["mounts"].write_text("/dev/sdz2 / ext4 rw 0 0\n/dev/sdz1 /boot/firmware vfat rw 0 0\n")
    refused(flash(card, make_image(tmp_path, True)[0]), card, "is the system disk")


def test_flash_refuses_a_mounted_card(card, tmp_path):
    require_ansible()
    card["mounts"].write_text("/dev/vda1 / ext4 rw 0 0\n/dev/sdz1 /media/tech/RASPIFIRM vfat rw 0 0\n")
    refused(flash(card, make_image(tmp_path, True)[0]), card, "has mounted file systems (/media/tech/RASPIFIRM)")


def test_flash_refuses_an_image_that_does_not_match_its_checksum(card, tmp_path):
    require_ansible()
    image, _raw = make_image(tmp_path, True)
    data = bytearray(image.read_bytes())
    data[100] ^= 0xFF
    image.write_bytes(bytes(data))
    refused(flash(card, image), card, "does not match")


def test_flash_refuses_a_card_smaller_than_the_image(card, tmp_path):
    require_ansible()
    (card["disk"] / "size").write_text("2048\n")  # 1 MiB
    refused(flash(card, make_image(tmp_path, False)[0]), card, "use a bigger card")
