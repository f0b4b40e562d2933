"""A umockdev testbed from the test process: fake udev devices that child processes see.

The testbed is a folder of fake sysfs and udev data; a child process run with
:meth:`Testbed.env` (libumockdev's preload library and ``UMOCKDEV_DIR``) sees
those devices through libudev and pyudev, and receives the testbed's uevents.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil


def available() -> bool:
    return ctypes.util.find_library("umockdev") is not None


class Testbed:
    def __init__(self) -> None:
        self._lib = ctypes.CDLL("libumockdev.so.0")
        self._lib.umockdev_testbed_new.restype = ctypes.c_void_p
        self._lib.umockdev_testbed_get_root_dir.restype = ctypes.c_char_p
        self._lib.umockdev_testbed_get_root_dir.argtypes = [ctypes.c_void_p]
        self._lib.umockdev_testbed_add_from_string.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_void_p,
        ]
        self._lib.umockdev_testbed_add_from_string.restype = ctypes.c_bool
        self._lib.umockdev_testbed_uevent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
        ]
        self._bed = self._lib.umockdev_testbed_new()
        self.root = self._lib.umockdev_testbed_get_root_dir(self._bed).decode()

    def add_partition(self, name: str, **props: str) -> str:
        """Add a USB disk partition ``name`` (such as ``sdb1``); return its sysfs path."""
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
        if not self._lib.umockdev_testbed_add_from_string(
            self._bed, ("\n".join(lines) + "\n\n").encode(), None
        ):
            raise RuntimeError(f"umockdev refused the device {name}")
        return f"/sys{devpath}"

    def uevent(self, syspath: str, action: str) -> None:
        self._lib.umockdev_testbed_uevent(self._bed, syspath.encode(), action.encode())

    def env(self) -> dict[str, str]:
        """The environment for a child process that should see this testbed."""
        return {**os.environ, "LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": self.root}

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
