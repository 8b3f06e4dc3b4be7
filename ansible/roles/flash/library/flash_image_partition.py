#!/usr/bin/python3
"""Ansible module: where an image's partition lies, and a copy of its bytes (flash role)."""

from __future__ import annotations

import json
import lzma
import os
import re
import shutil
import subprocess
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: flash_image_partition
short_description: Read an image's partition table and copy one partition out of it
description:
  - Reads the partition table of a disk image (raw or xz-compressed) with sfdisk --json
    and returns where partition I(number) starts and how long it is, in bytes.
  - With I(dest), also writes that partition's bytes to I(dest) (sparse), so that mtools
    can work on it as a file; the image itself is never changed.
options:
  image:
    description: The disk image, C(.img) or C(.img.xz).
    required: true
    type: path
  number:
    description: The partition's number (1 is the Pi's boot partition).
    default: 1
    type: int
  dest:
    description: Where to write the partition's bytes; nothing is written without it.
    type: path
author: fleetpos
"""

RETURN = r"""
start:
  description: The partition's offset in the image, in bytes.
  type: int
  returned: always
size:
  description: The partition's length, in bytes.
  type: int
  returned: always
"""

# A partition table (MBR, or GPT with its 128 entries) lies within the first MiB.
TABLE_BYTES = 1024 * 1024
CHUNK = 4 * 1024 * 1024


def open_image(path: str):
    return lzma.open(path, "rb") if path.endswith(".xz") else open(path, "rb")


def read_exactly(stream, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = stream.read(count - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def partition_table(module: AnsibleModule, image: str) -> dict:
    with open_image(image) as stream:
        head = read_exactly(stream, TABLE_BYTES)
    with tempfile.TemporaryDirectory(prefix="flash-table-") as work:
        head_file = os.path.join(work, "head")
        with open(head_file, "wb") as out:
            out.write(head)
        sfdisk = module.get_bin_path("sfdisk", opt_dirs=["/usr/sbin", "/sbin"])
        if sfdisk is None:
            module.fail_json(msg="sfdisk is missing on this machine: apt-get install fdisk")
        rc, stdout, stderr = module.run_command([sfdisk, "--json", head_file], environ_update={"LC_ALL": "C"})
    if rc != 0 or not stdout.strip():
        module.fail_json(msg=f"{image} has no partition table that sfdisk can read ({stderr.strip() or 'empty'}): "
                             f"is it a fleetpos disk image?")
    return json.loads(stdout)["partitiontable"]


def copy_range(module: AnsibleModule, image: str, start: int, size: int, dest: str) -> None:
    """Write image[start:start+size] to dest, leaving runs of zeros as holes."""
    with open_image(image) as stream, open(dest + ".part", "wb") as out:
        skipped = 0
        while skipped < start:
            chunk = stream.read(min(CHUNK, start - skipped))
            if not chunk:
                break
            skipped += len(chunk)
        copied = 0
        while copied < size:
            chunk = stream.read(min(CHUNK, size - copied))
            if not chunk:
                break
            if chunk.count(0) == len(chunk):
                out.seek(len(chunk), os.SEEK_CUR)
            else:
                out.write(chunk)
            copied += len(chunk)
        out.truncate(copied)
    if copied != size:
        os.unlink(dest + ".part")
        module.fail_json(msg=f"{image} ends at byte {start + copied}, inside its partition (which ends at "
                             f"{start + size}): the image is cut short")
    shutil.move(dest + ".part", dest)


def main():
    module = AnsibleModule(
        argument_spec={
            "image": {"type": "path", "required": True},
            "number": {"type": "int", "default": 1},
            "dest": {"type": "path"},
        },
        supports_check_mode=True,
    )
    image, number, dest = module.params["image"], module.params["number"], module.params["dest"]
    table = partition_table(module, image)
    sector = int(table.get("sectorsize", 512))
    # sfdisk names each partition after the file it read, with the number at the end ("head1").
    numbered = {int(re.search(r"(\d+)$", p["node"]).group(1)): p for p in table.get("partitions", [])}
    if number not in numbered:
        module.fail_json(msg=f"{image} has no partition {number} (it has: {sorted(numbered) or 'none'})")
    partition = numbered[number]
    start, size = int(partition["start"]) * sector, int(partition["size"]) * sector
    if dest:
        copy_range(module, image, start, size, dest)
    module.exit_json(changed=False, start=start, size=size)


if __name__ == "__main__":
    main()
