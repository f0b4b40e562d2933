"""A umockdev testbed: fake udev devices and uevents that podsync processes see.

libumockdev sends a uevent only from a process that runs under its preload
library (it looks the device up through the faked ``/sys``), so the testbed
lives in a small helper process started with ``umockdev-wrapper``; the test
talks to it over a pipe.  A ``podsync`` process run with :meth:`Testbed.env`
sees the testbed's devices and receives its uevents.

Run as a script, this file is that helper: it reads one JSON request per line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import random
import shutil
import string
import subprocess
import sys


def available() -> bool:
    return ctypes.util.find_library("umockdev") is not None and bool(
        shutil.which("umockdev-wrapper")
    )


class Testbed:
    """The test's handle on the helper process that owns the testbed."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            ["umockdev-wrapper", sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.root = self._call(op="root")

    def _call(self, **request: object) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline() or '{"error": "helper died"}')
        if "error" in reply:
            raise RuntimeError(f"umockdev: {reply['error']}")
        return str(reply["ok"])

    def partition_name(self) -> str:
        """A partition name (``sdqwe1``) no other test run on this machine is using: test
        runs share the mount table, where FAT images appear as mounts of ``/dev/NAME``."""
        letters = "".join(random.choices(string.ascii_lowercase, k=4))
        return f"sd{letters}1"

    def add_partition(self, name: str, **props: str) -> str:
        """Add a USB disk partition ``name`` (such as ``sdb1``); return its sysfs path."""
        return self._call(op="add", name=name, props=props)

    def uevent(self, syspath: str, action: str) -> None:
        self._call(op="uevent", syspath=syspath, action=action)

    def env(self) -> dict[str, str]:
        """The environment for a child process that should see this testbed."""
        return {**os.environ, "LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": self.root}

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _serve() -> None:
    lib = ctypes.CDLL("libumockdev.so.0")
    lib.umockdev_testbed_new.restype = ctypes.c_void_p
    lib.umockdev_testbed_get_root_dir.restype = ctypes.c_char_p
    lib.umockdev_testbed_get_root_dir.argtypes = [ctypes.c_void_p]
    lib.umockdev_testbed_add_from_string.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_void_p,
    ]
    lib.umockdev_testbed_add_from_string.restype = ctypes.c_bool
    lib.umockdev_testbed_uevent.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    bed = lib.umockdev_testbed_new()

    def add(name: str, props: dict[str, str]) -> str:
        disk = name.rstrip("0123456789")
        devpath = (
            f"/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/"
            f"6:0:0:0/block/{disk}/{name}"
        )
        lines = [
            f"P: {devpath}",
            f"N: {name}",
            f"E: DEVNAME=/dev/{name}",
            "E: SUBSYSTEM=block",
            "E: DEVTYPE=partition",
            *(f"E: {k}={v}" for k, v in props.items()),
        ]
        if not lib.umockdev_testbed_add_from_string(
            bed, ("\n".join(lines) + "\n\n").encode(), None
        ):
            raise RuntimeError(f"umockdev refused the device {name}")
        return f"/sys{devpath}"

    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "root":
                reply = lib.umockdev_testbed_get_root_dir(bed).decode()
            elif request["op"] == "add":
                reply = add(request["name"], request["props"])
            else:
                lib.umockdev_testbed_uevent(
                    bed, request["syspath"].encode(), request["action"].encode()
                )
                reply = "sent"
            print(json.dumps({"ok": reply}), flush=True)
        except Exception as exc:
            print(json.dumps({"error": str(exc)}), flush=True)


if __name__ == "__main__":
    _serve()
