"""Reading the mount table."""

from __future__ import annotations

from pathlib import Path

from podsync.player.mounts import current_mounts, parse_mountinfo

SAMPLE = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
98 22 8:17 / /media/me/MY\\040PLAYER rw,nosuid - vfat /dev/sdb1 rw,uid=1000
99 22 0:50 / /run/user/1000/gvfs rw - fuse.gvfsd-fuse gvfsd-fuse rw
garbage line
"""


def test_parse_mountinfo() -> None:
    mounts = parse_mountinfo(SAMPLE)
    assert [(str(m.point), m.source, m.fstype) for m in mounts] == [
        ("/", "/dev/sda1", "ext4"),
        ("/media/me/MY PLAYER", "/dev/sdb1", "vfat"),
        ("/run/user/1000/gvfs", "gvfsd-fuse", "fuse.gvfsd-fuse"),
    ]


def test_current_mounts_reads_this_machine() -> None:
    assert Path("/") in {m.point for m in current_mounts()}
