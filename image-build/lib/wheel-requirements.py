"""Print the requirements of a wheel for the image's Python, one per line.

Usage: wheel-requirements.py WHEEL MAP [MACHINE]

Markers are evaluated for the target (Linux, MACHINE = aarch64 by default, CPython 3.11),
not for the host that runs the build, and requirements listed in MAP (provided by Debian packages) are left out.
"""

import sys
import zipfile

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # Debian's pip vendors packaging; so does every pip since 10.
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

TARGET = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "aarch64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "linux",
    "extra": "",
}


def main(wheel_path, map_path, machine="aarch64"):
    target = dict(TARGET, platform_machine=machine)
    from_debian = set()
    with open(map_path, encoding="utf-8") as lines:
        for line in lines:
            line = line.split("#", 1)[0].split()
            if line:
                from_debian.add(canonicalize_name(line[0]))
    with zipfile.ZipFile(wheel_path) as wheel:
        metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        text = wheel.read(metadata).decode("utf-8")
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first empty line
        if not line.startswith("Requires-Dist:"):
            continue
        req = Requirement(line.split(":", 1)[1].strip())
        if req.marker is not None and not req.marker.evaluate(target):
            continue
        if canonicalize_name(req.name) in from_debian:
            continue
        req.marker = None
        print(req)


if __name__ == "__main__":
    main(*sys.argv[1:])
