#!/usr/bin/python3
"""Ansible module: is a block device safe to overwrite with an image? (flash role)"""

from __future__ import annotations

import os
import stat

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: flash_target
short_description: Check that a device is a removable card that nothing uses
description:
  - Reads the kernel's view of a disk (sysfs) and the mount table and says whether the
    disk may be overwritten; never writes anything.
  - A disk is refused when it is a partition, is not removable (an SD card slot counts as
    removable), holds the root file system, or has a mounted file system.
options:
  device:
    description: The disk to check, e.g. /dev/sdb or /dev/mmcblk0.
    required: true
    type: path
  sysfs_block:
    description: The kernel's list of disks (a stand-in directory in tests).
    default: /sys/block
    type: path
  mounts:
    description: The mount table (a stand-in file in tests).
    default: /proc/self/mounts
    type: path
  disk_name:
    description: The disk's name under sysfs_block; default the device's own name.
    type: str
  allow_regular_file:
    description: Accept a regular file as the device (tests only).
    default: false
    type: bool
author: fleetpos
"""

RETURN = r"""
safe:
  description: Whether the device may be overwritten.
  type: bool
  returned: always
reason:
  description: Why not, in words for the technician.
  type: str
  returned: always
size_bytes:
  description: The disk's size.
  type: int
  returned: always
"""


def read(path: str, default: str = "") -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return default


def partitions(disk_dir: str) -> set[str]:
    try:
        return {entry for entry in os.listdir(disk_dir) if os.path.exists(os.path.join(disk_dir, entry, "partition"))}
    except OSError:
        return set()


def mounted_sources(mounts: str) -> list[tuple[str, str]]:
    """(device name, mount point) of every mounted /dev/ file system."""
    found = []
    for line in read(mounts).splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/dev/"):
            mount_point = fields[1].replace("\\040", " ")
            found.append((os.path.basename(os.path.realpath(fields[0])), mount_point))
    return found


def check(device: str, sysfs_block: str, mounts: str, disk_name: str | None, allow_regular_file: bool) -> dict:
    result = {"safe": False, "reason": "", "size_bytes": 0, "disk_name": ""}
    real = os.path.realpath(device)
    try:
        mode = os.stat(real).st_mode
    except OSError:
        result["reason"] = f"{device} does not exist: put the card in and look for it with lsblk"
        return result
    if not stat.S_ISBLK(mode) and not (allow_regular_file and stat.S_ISREG(mode)):
        result["reason"] = f"{device} is not a block device"
        return result
    name = disk_name or os.path.basename(real)
    result["disk_name"] = name
    disk_dir = os.path.join(sysfs_block, name)
    if not os.path.isdir(disk_dir):
        if os.path.exists(os.path.join("/sys/class/block", name, "partition")):
            result["reason"] = f"{device} is a partition: give the whole card (e.g. /dev/sdb, not /dev/sdb1)"
        else:
            result["reason"] = f"{device} ({name}) is not a disk in {sysfs_block}"
        return result
    result["size_bytes"] = int(read(os.path.join(disk_dir, "size"), "0") or 0) * 512
    parts = partitions(disk_dir)
    mine = {name} | parts
    mounted = mounted_sources(mounts)
    root = [source for source, point in mounted if point == "/"]
    if root and root[0] in mine:
        result["reason"] = f"{device} is the system disk (it holds /): refusing to overwrite it"
        return result
    in_use = sorted(point for source, point in mounted if source in mine)
    if in_use:
        result["reason"] = (f"{device} has mounted file systems ({', '.join(in_use)}): unmount them first "
                            f"(udisksctl unmount -b /dev/<partition>) and run again")
        return result
    removable = read(os.path.join(disk_dir, "removable")) == "1"
    sd_slot = name.startswith("mmcblk") and read(os.path.join(disk_dir, "device", "type")) == "SD"
    if not (removable or sd_slot):
        result["reason"] = (f"{device} is not a removable disk (sysfs removable=0): an SD card in a USB "
                            f"reader or a card slot is; refusing to overwrite a fixed disk")
        return result
    if result["size_bytes"] == 0:
        result["reason"] = f"{device} has no medium (size 0): put the card in"
        return result
    result["safe"] = True
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "device": {"type": "path", "required": True},
            "sysfs_block": {"type": "path", "default": "/sys/block"},
            "mounts": {"type": "path", "default": "/proc/self/mounts"},
            "disk_name": {"type": "str"},
            "allow_regular_file": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    module.exit_json(changed=False, **check(params["device"], params["sysfs_block"], params["mounts"],
                                            params["disk_name"], params["allow_regular_file"]))


if __name__ == "__main__":
    main()
