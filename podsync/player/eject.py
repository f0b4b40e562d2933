"""``podsync push --eject``: flush, unmount and power off a player through udisks."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from podsync.errors import DeviceError
from podsync.player.mounts import mount_of

BUSY_RETRIES = (0.2, 0.5, 1.0, None)
"""Seconds to wait before asking again while the drive is busy (None: give up)."""


def eject(path: Path) -> str:
    """Flush the player at ``path`` to disk, then unmount and power it off.

    Returns what was done; raises DeviceError saying why it could not.
    """
    os.sync()
    mount = mount_of(path)
    if mount is None or mount.point != path.resolve() or not mount.source.startswith("/dev/"):
        raise DeviceError(
            f"cannot eject {path}: it is a folder, not a mounted drive "
            "(its files are flushed; it is safe to remove)"
        )
    udisksctl = shutil.which("udisksctl")
    if udisksctl is None:
        raise DeviceError(
            f"cannot eject {mount.source}: udisksctl (package udisks2) is not "
            f"installed; files are flushed, unmount it with: umount {mount.point}"
        )
    for action in ("unmount", "power-off"):
        for wait in BUSY_RETRIES:
            result = subprocess.run(
                [udisksctl, action, "--block-device", mount.source, "--no-user-interaction"],
                capture_output=True,
                text=True,
                check=False,
            )
            reason = (result.stderr or result.stdout).strip().splitlines()
            if result.returncode == 0 or wait is None or not _busy(reason):
                break
            time.sleep(wait)  # a reader (a file manager's preview, a page's plan) lets go
        if result.returncode != 0:
            raise DeviceError(
                f"cannot {action.replace('-', ' ')} {mount.source}: "
                f"{reason[-1] if reason else 'udisksctl failed'}"
            )
    return f"ejected {mount.source}: it is safe to unplug"


def _busy(reason: list[str]) -> bool:
    """Whether udisksctl's answer says something still has the drive open."""
    return "busy" in " ".join(reason).lower()
