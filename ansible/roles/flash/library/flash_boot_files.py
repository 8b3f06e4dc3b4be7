#!/usr/bin/python3
"""Ansible module: check the files a card's boot partition takes for first boot, and put
them into a FAT file system (flash role)."""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
import tempfile
import tomllib

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: flash_boot_files
short_description: Check first-boot files and copy them into a FAT file system with mtools
description:
  - Checks the files that the fleetpos image's first boot reads from its boot partition
    (docs/image.md) and refuses, with a message for the technician, anything the till
    could not use; a private key given as an ssh key is refused and never written.
  - With I(partition) (a file holding a FAT file system, e.g. the boot partition copied
    out of the image), copies the files into it with mtools' mcopy, without mounting.
    Every file gets the same fixed time stamp, so the same files make the same bytes.
options:
  files:
    description:
      - The files by name. Known names are C(fleetpos-enroll.toml), C(authorized_keys)
        and C(fleetpos-ca.pem).
    required: true
    type: dict
  partition:
    description: The FAT file system to copy the files into; without it they are only checked.
    type: path
author: fleetpos
"""

RETURN = r"""
names:
  description: The names of the files, sorted.
  type: list
  elements: str
  returned: always
"""

ENROLL_FILE = "fleetpos-enroll.toml"
KEYS_FILE = "authorized_keys"
CA_FILE = "fleetpos-ca.pem"
# What the image's first boot (image-build/rootfs/usr/lib/fleetpos/firstboot) accepts.
ENROLL_KEYS = {"store_id", "device_id", "url", "token", "ca_file", "wifi"}
ENROLL_REQUIRED = ("store_id", "url", "token")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Public key types that the image's OpenSSH (bookworm, 9.2) accepts by default.
KEY_TYPES = {"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"}
PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File")
# authorized_keys options before the key (sshd(8), AUTHORIZED_KEYS FILE FORMAT):
# restrict,from="192.0.2.0/24",command="..."
FLAGS = ("agent-forwarding|cert-authority|no-agent-forwarding|no-port-forwarding|no-pty|no-user-rc|"
         "no-x11-forwarding|port-forwarding|pty|restrict|user-rc|x11-forwarding|no-touch-required|verify-required")
VALUED = "command|environment|expiry-time|from|permitlisten|permitopen|principals|tunnel"
OPTION = rf'(?i:{FLAGS}|(?:{VALUED})="(?:[^"\\]|\\.)*")'
OPTIONS_RE = re.compile(rf"{OPTION}(,{OPTION})*")
# 2000-01-01 00:00:00 UTC: a fixed time for every file, so that a second run makes the same bytes.
FIXED_MTIME = 946684800


class Refused(ValueError):
    """A file the till could not use, in words for the technician."""


def check_authorized_keys(text: str) -> None:
    if any(marker in text for marker in PRIVATE_MARKERS):
        raise Refused("the ssh keys (flash_authorized_keys) include a PRIVATE key: it was not written anywhere. "
                      "A private key never leaves your laptop; give the public key instead, the one line of "
                      "~/.ssh/id_ed25519.pub (ssh-ed25519 AAAA... you@laptop)")
    keys = 0
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        # authorized_keys lines may start with options (from="...",restrict): the key type
        # is the first word that names one.
        at = next((i for i, word in enumerate(words) if word in KEY_TYPES), None)
        options = " ".join(words[:at]) if at is not None else ""
        if at is None or at + 1 >= len(words) or (options and not OPTIONS_RE.fullmatch(options)):
            raise Refused(f"ssh key {number} (flash_authorized_keys) is not an ssh public key: a key line is "
                          f"'<type> <base64> [comment]' with type one of {', '.join(sorted(KEY_TYPES))}, "
                          f"as in ~/.ssh/id_ed25519.pub")
        key_type = words[at]
        try:
            blob = base64.b64decode(words[at + 1], validate=True)
            (length,) = struct.unpack(">I", blob[:4])
            embedded = blob[4:4 + length].decode("ascii")
        except (binascii.Error, struct.error, UnicodeDecodeError):
            embedded = None
        if embedded != key_type:
            raise Refused(f"ssh key {number} (flash_authorized_keys, type {key_type}) is damaged: its base64 part "
                          f"is not a {key_type} key; copy the line again from the .pub file")
        keys += 1
    if keys == 0:
        raise Refused("flash_authorized_keys has no key in it: give ssh public keys, or leave it empty ([]) "
                      "to put no authorized_keys on the card")


def check_enroll_file(text: str, names: set[str]) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise Refused(f"the enrollment file is not valid TOML: {error}") from None
    unknown = sorted(set(data) - ENROLL_KEYS)
    if unknown:
        raise Refused(f"the enrollment file has unknown keys {', '.join(unknown)} "
                      f"(known: {', '.join(sorted(ENROLL_KEYS))}; docs/image.md)")
    for key in ENROLL_REQUIRED:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise Refused(f"the enrollment file's {key} is missing or empty: the till could not enroll "
                          f"(a one-time token comes from head office: the store -> Add device)")
    for key in ("store_id", "device_id"):
        value = data.get(key, "till-1")
        if not isinstance(value, str) or not ID_RE.fullmatch(value):
            raise Refused(f"the enrollment file's {key} must be 1-64 letters, digits, '.', '_' or '-'")
    if not re.match(r"https?://", data["url"]):
        raise Refused(f"the enrollment file's url must be head office's http(s):// address, not {data['url']!r}")
    wifi = data.get("wifi", {})
    if not isinstance(wifi, dict) or (wifi and not isinstance(wifi.get("ssid"), str)):
        raise Refused("the enrollment file's [wifi] must be a table with ssid = \"...\"")
    ca_file = data.get("ca_file")
    if ca_file is not None:
        if not isinstance(ca_file, str) or not ca_file:
            raise Refused("the enrollment file's ca_file must be a file name")
        if not ca_file.startswith("/") and ca_file not in names:
            raise Refused(f"the enrollment file names ca_file {ca_file!r}, which would not be on the card: "
                          f"give enroll_ca_file (it goes on the card as {CA_FILE})")


def check_ca_file(text: str) -> None:
    if any(marker in text for marker in PRIVATE_MARKERS):
        raise Refused("enroll_ca_file holds a PRIVATE key: give head office's CA certificate only")
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise Refused("enroll_ca_file is not a PEM certificate (-----BEGIN CERTIFICATE-----)")


def check(files: dict) -> None:
    names = set(files)
    unknown = sorted(names - {ENROLL_FILE, KEYS_FILE, CA_FILE})
    if unknown:
        raise Refused(f"the image's first boot does not read {', '.join(unknown)}")
    for name, text in files.items():
        if not isinstance(text, str):
            raise Refused(f"{name}: the content must be text")
    if KEYS_FILE in files:
        check_authorized_keys(files[KEYS_FILE])
    if ENROLL_FILE in files:
        check_enroll_file(files[ENROLL_FILE], names)
    if CA_FILE in files:
        check_ca_file(files[CA_FILE])


def copy_into(module: AnsibleModule, partition: str, files: dict) -> None:
    mcopy = module.get_bin_path("mcopy")
    if mcopy is None:
        module.fail_json(msg="mcopy is missing on this machine: apt-get install mtools")
    # TZ: mtools writes local time into FAT; MTOOLS_SKIP_CHECK: a partition's geometry need
    # not match a floppy's.
    environ = {"TZ": "UTC0", "MTOOLS_SKIP_CHECK": "1", "LC_ALL": "C"}
    with tempfile.TemporaryDirectory(prefix="flash-boot-") as work:
        for name in sorted(files):
            source = os.path.join(work, name)
            with open(os.open(source, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
                out.write(files[name])
            os.utime(source, (FIXED_MTIME, FIXED_MTIME))
            rc, _stdout, stderr = module.run_command([mcopy, "-m", "-D", "o", "-i", partition, source, f"::{name}"],
                                                     environ_update=environ)
            if rc != 0:
                module.fail_json(msg=f"could not write {name} into the image's boot partition (is it a FAT file "
                                     f"system?): {stderr.strip()}")


def main():
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "dict", "required": True, "no_log": True},
            "partition": {"type": "path"},
        },
        supports_check_mode=True,
    )
    files = module.params["files"]
    try:
        check(files)
    except Refused as refusal:
        module.fail_json(msg=f"NOT FLASHED: {refusal}")
    if module.params["partition"]:
        copy_into(module, module.params["partition"], files)
    module.exit_json(changed=False, names=sorted(files))


if __name__ == "__main__":
    main()
