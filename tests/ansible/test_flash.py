"""The `flash` role on this machine, against a stand-in card: a regular file as the device
and a stand-in sysfs and mount table saying what kind of disk it is. It writes and
verifies an image (xz and raw), leaves a card that already holds it alone, and refuses a
damaged image, a fixed disk, the system disk and a mounted card without writing.

With ssh keys and an enrollment file it also puts them on the image's FAT boot partition
(read back here with mtools, as the Pi's first boot would find them), takes a token from
a real head office, and refuses a private key, a line that is no key and an empty token."""

from __future__ import annotations

import base64
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.sync.conftest import ADMIN_TOKEN, broker_factory, fleet_factory  # noqa: F401

from .conftest import ansible_env, require_ansible, run_playbook

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


def write_image(tmp_path: Path, raw: bytes, compressed: bool) -> Path:
    image = tmp_path / ("fleetpos-9.9.9-arm64.img" + (".xz" if compressed else ""))
    image.write_bytes(lzma.compress(raw) if compressed else raw)
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    image.with_name(image.name + ".sha256").write_text(f"{digest}  {image.name}\n")
    return image


def make_image(tmp_path: Path, compressed: bool) -> tuple[Path, bytes]:
    raw = os.urandom(3 * MIB + 4096)
    return write_image(tmp_path, raw, compressed), raw


def flash(card, image, *extra, boot: dict | None = None):
    """Run flash.yml on the stand-in card; `boot` are more variables (as JSON extra vars)."""
    args = ["-e", f"flash_image={image}", "-e", f"flash_device={card['device']}",
            "-e", f"flash_sysfs_block={card['sysfs']}", "-e", f"flash_mounts={card['mounts']}",
            "-e", "flash_allow_regular_file=true", "-e", "ansible_become=false", *extra]
    if boot:
        args += ["-e", json.dumps(boot)]
    # head office's settings come from the test, never from the developer's shell
    env = ansible_env(FLEETPOS_FLEET_URL="", FLEETPOS_FLEET_TOKEN="", FLEETPOS_FLEET_TOKEN_FILE="")
    return run_playbook("flash.yml", "localhost,", *args, timeout=300, env=env)


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


# -- boot files ------------------------------------------------------------------------------

BOOT_START = 1 * MIB  # the stand-in image's partition 1 (FAT, like the image's RASPIFIRM)
BOOT_SIZE = 4 * MIB
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "TZ": "UTC"}


def public_key(comment: str, key_type: str = "ssh-ed25519") -> str:
    """An OpenSSH public key line: the type, then base64 of (type, key bytes)."""
    name = key_type.encode()
    blob = struct.pack(">I", len(name)) + name + struct.pack(">I", 32) + os.urandom(32)
    return f"{key_type} {base64.b64encode(blob).decode()} {comment}"


PRIVATE_KEY_BODY = base64.b64encode(b"openssh-key-v1\0" + os.urandom(120)).decode()
PRIVATE_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZmxlZXRwb3MtdGVzdC1jYQ==\n-----END CERTIFICATE-----\n"


def make_boot_image(tmp_path: Path, compressed: bool) -> tuple[Path, bytes]:
    """A 6 MiB disk image laid out like the fleetpos image: an MBR, partition 1 a FAT file
    system labelled RASPIFIRM holding config.txt, partition 2 random bytes."""
    missing = [tool for tool in ("mkfs.vfat", "mcopy", "mtype", "mdir", "sfdisk")
               if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install dosfstools mtools fdisk")
    work = tmp_path / "image-work"
    work.mkdir()
    boot = work / "boot.vfat"
    subprocess.run(["mkfs.vfat", "-n", "RASPIFIRM", "-C", str(boot), str(BOOT_SIZE // 1024)],
                   check=True, capture_output=True)
    config = work / "config.txt"
    config.write_text("arm_64bit=1\n")
    subprocess.run(["mcopy", "-i", str(boot), str(config), "::config.txt"], check=True, env=MTOOLS_ENV)
    disk = work / "disk.img"
    disk.write_bytes(b"\0" * 6 * MIB)
    subprocess.run(["sfdisk", "--quiet", str(disk)], check=True, text=True,
                   input="label: dos\nunit: sectors\nstart=2048, size=8192, type=c, bootable\n"
                         "start=10240, size=2048, type=83\n")
    raw = bytearray(disk.read_bytes())
    raw[BOOT_START:BOOT_START + BOOT_SIZE] = boot.read_bytes()
    raw[5 * MIB:] = os.urandom(MIB)
    return write_image(tmp_path, bytes(raw), compressed), bytes(raw)


def card_file(card, name: str) -> str:
    """A file from the card's boot partition, read with mtools as the Pi would see it."""
    result = subprocess.run(["mtype", "-i", f"{card['device']}@@{BOOT_START}", f"::{name}"],
                            capture_output=True, text=True, env=MTOOLS_ENV, check=False)
    assert result.returncode == 0, f"{name} is not on the card's boot partition: {result.stderr}"
    return result.stdout


def card_names(card) -> set[str]:
    result = subprocess.run(["mdir", "-b", "-i", f"{card['device']}@@{BOOT_START}", "::"],
                            capture_output=True, text=True, env=MTOOLS_ENV, check=True)
    return {line.rsplit("/", 1)[-1] for line in result.stdout.split()}


def assert_image_outside_the_boot_partition(card, raw: bytes):
    written = card["device"].read_bytes()
    assert written[:BOOT_START] == raw[:BOOT_START]
    assert written[BOOT_START + BOOT_SIZE:len(raw)] == raw[BOOT_START + BOOT_SIZE:]


ENROLL_CONTENT = ('store_id = "store-0042"\nurl = "https://fleet.example.com:8070"\ntoken = "t0k-3n_one.time"\n'
                  '\n[wifi]\nssid = "Shop WiFi"\npsk = "correct horse"\n')


def test_flash_puts_keys_and_the_enrollment_file_on_the_boot_partition_then_leaves_the_card_alone(card, tmp_path):
    require_ansible()
    image, raw = make_boot_image(tmp_path, compressed=True)
    keys = [public_key("ana@laptop"), public_key("bo@laptop", "ecdsa-sha2-nistp256"),
            'restrict,from="192.0.2.0/24" ' + public_key("cy@office", "ssh-rsa")]
    boot = {"flash_authorized_keys": keys, "flash_enroll_content": ENROLL_CONTENT}

    check = flash(card, image, "--check", boot=boot)
    assert check.returncode == 0, check.output[-4000:]
    assert card["device"].read_bytes() == b"\0" * 8 * MIB, "check mode wrote to the card"

    first = flash(card, image, boot=boot)
    assert first.returncode == 0, first.output[-4000:]
    assert "flash : Flash write the image" in first.changed_tasks()
    assert card_file(card, "fleetpos-enroll.toml") == ENROLL_CONTENT
    assert card_file(card, "authorized_keys") == "\n".join(keys) + "\n"
    assert card_names(card) == {"config.txt", "fleetpos-enroll.toml", "authorized_keys"}
    assert card_file(card, "config.txt") == "arm_64bit=1\n", "the image's own boot files were lost"
    assert_image_outside_the_boot_partition(card, raw)
    assert "t0k-3n_one.time" not in first.output, "the token was logged"

    again = flash(card, image, boot=boot)
    assert again.returncode == 0, again.output[-4000:]
    assert again.recap("localhost")["changed"] == 0, again.changed_tasks()

    # other keys: only the boot partition is written again, the rest of the card stays the image
    other = [public_key("cy@laptop")]
    changed = flash(card, image, boot={"flash_authorized_keys": "\n".join(other) + "\n"})
    assert changed.returncode == 0, changed.output[-4000:]
    assert changed.changed_tasks() == ["flash : Flash write the boot partition"]
    assert card_file(card, "authorized_keys") == other[0] + "\n"
    assert card_names(card) == {"config.txt", "authorized_keys"}
    assert_image_outside_the_boot_partition(card, raw)


def test_flash_makes_the_enrollment_file_from_the_enroll_variables(card, tmp_path):
    require_ansible()
    image, raw = make_boot_image(tmp_path, compressed=False)
    ca_file = tmp_path / "fleet-ca.pem"
    ca_file.write_text(CA_PEM)
    key = public_key("ana@laptop")
    boot = {"enroll_store_id": "store-0042", "enroll_device_id": "till-2", "enroll_token": "Tok_123-abc",
            "enroll_fleet_url": "https://fleet.example.com:8070", "enroll_ca_file": str(ca_file),
            "flash_authorized_keys": [key]}

    first = flash(card, image, boot=boot)
    assert first.returncode == 0, first.output[-4000:]
    assert card_file(card, "fleetpos-enroll.toml") == (
        "# fleetpos enrollment file (written by Ansible's enroll or flash role; format: docs/image.md).\n"
        "# The one-time token is removed from it once the till has enrolled.\n"
        'store_id = "store-0042"\ndevice_id = "till-2"\nurl = "https://fleet.example.com:8070"\n'
        'token = "Tok_123-abc"\nca_file = "fleetpos-ca.pem"\n')
    assert card_file(card, "fleetpos-ca.pem") == CA_PEM
    assert card_file(card, "authorized_keys") == key + "\n"
    assert_image_outside_the_boot_partition(card, raw)

    again = flash(card, image, boot=boot)
    assert again.recap("localhost")["changed"] == 0, again.changed_tasks()


def test_flash_gets_a_token_from_head_office_once_and_the_till_can_enroll_with_it(card, tmp_path, fleet_factory):
    require_ansible()
    office = fleet_factory().start()
    office.add_store("store-0042")
    image, _raw = make_boot_image(tmp_path, compressed=True)
    boot = {"enroll_store_id": "store-0042", "enroll_fleet_url": office.url, "enroll_api_token": ADMIN_TOKEN}

    check = flash(card, image, "--check", boot=boot)
    assert check.returncode == 0, check.output[-4000:]
    assert card["device"].read_bytes() == b"\0" * 8 * MIB, "check mode wrote to the card"
    devices = office.call("GET", "/api/v1/stores/store-0042/devices")
    assert devices["items"] == [], "check mode asked head office for a token"

    first = flash(card, image, boot=boot)
    assert first.returncode == 0, first.output[-4000:]
    enroll_file = card_file(card, "fleetpos-enroll.toml")
    token = enroll_file.split('token = "', 1)[1].split('"', 1)[0]
    assert len(token) >= 24 and token not in first.output
    assert f'url = "{office.url}"' in enroll_file and 'device_id = "till-1"' in enroll_file

    # a second run keeps the card's token: nothing written, no new token spent
    again = flash(card, image, boot=boot)
    assert again.returncode == 0, again.output[-4000:]
    assert again.recap("localhost")["changed"] == 0, again.changed_tasks()
    assert card_file(card, "fleetpos-enroll.toml") == enroll_file

    # enroll_force spends a new token (head office voids the old): only the boot partition changes
    forced = flash(card, image, boot={**boot, "enroll_force": True})
    assert forced.returncode == 0, forced.output[-4000:]
    assert forced.changed_tasks() == ["flash : Flash write the boot partition"]
    old_token, enroll_file = token, card_file(card, "fleetpos-enroll.toml")
    token = enroll_file.split('token = "', 1)[1].split('"', 1)[0]
    assert token != old_token
    voided = office.client.post("/api/enroll", json={"token": old_token})
    assert voided.status_code >= 400, voided.get_json()

    # the token on the card is the one head office holds for till-1
    enrolled = office.client.post("/api/enroll", json={"token": token})
    assert enrolled.status_code == 200, enrolled.get_json()
    assert enrolled.get_json()["device_id"] == "till-1"

    unknown = flash(card, image, boot={**boot, "enroll_store_id": "store-9999", "enroll_force": True})
    assert unknown.returncode != 0
    assert "did not issue an enrollment token for store-9999/till-1" in unknown.output, unknown.output[-3000:]
    assert card_file(card, "fleetpos-enroll.toml") == enroll_file, "a refused run changed the card"


@pytest.mark.parametrize("boot, reason", [
    ({"flash_authorized_keys": [public_key("ana@laptop"), PRIVATE_KEY]}, "include a PRIVATE key"),
    ({"flash_authorized_keys": PRIVATE_KEY}, "include a PRIVATE key"),
    ({"flash_authorized_keys": ["ana@laptop AAAAC3NzaC1lZDI1NTE5"]}, "ssh key 1 (flash_authorized_keys) is not an ssh public key"),
    ({"flash_authorized_keys": [public_key("ana@laptop"), "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB x@y"]},
     "ssh key 2 (flash_authorized_keys, type ssh-ed25519) is damaged"),
    ({"enroll_store_id": "store-0042", "enroll_fleet_url": "https://fleet.example.com"},
     "the enrollment token is empty"),
    ({"enroll_store_id": "store-0042", "enroll_fleet_url": "https://fleet.example.com", "enroll_token": "  "},
     "the enrollment token is empty"),
    ({"flash_enroll_content": ENROLL_CONTENT.replace('"t0k-3n_one.time"', '""')},
     "the enrollment file's token is missing or empty"),
    ({"flash_enroll_content": ENROLL_CONTENT, "enroll_store_id": "store-0042"}, "not both"),
], ids=["private-key-among-keys", "private-key-text", "not-a-key", "damaged-key", "no-token", "blank-token",
        "content-without-token", "content-and-store"])
def test_flash_refuses_boot_files_the_till_could_not_use_without_writing(card, tmp_path, boot, reason):
    require_ansible()
    image, _raw = make_boot_image(tmp_path, compressed=False)
    run = flash(card, image, boot=boot)
    refused(run, card, reason)
    assert "NOT FLASHED" in run.output
    assert PRIVATE_KEY_BODY not in run.output, "the private key was echoed"


def test_flash_refuses_boot_files_for_an_image_without_a_partition_table(card, tmp_path):
    require_ansible()
    image = write_image(tmp_path, b"\0" * 512 + os.urandom(3 * MIB), compressed=False)  # no MBR
    refused(flash(card, image, boot={"flash_authorized_keys": [public_key("ana@laptop")]}), card,
            "has no partition table that sfdisk can read")
