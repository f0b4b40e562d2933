"""Whether a file on the player is still the one podsync wrote there.

The manifest says podsync wrote a path; by the time podsync wants to delete
that path, or to count a journal intent for it, the user may have replaced or
edited the file.  These decisions compare what is on the player with what the
manifest recorded.  (A player that rewrites tags changes size and mtime too:
an identity embedded in the file can vouch for it here.)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from podsync.player.manifest import Entry

FAT_MTIME_STEP = 2.0
"""FAT keeps modification times to 2 seconds."""

ZONE_STEP = 900.0
"""FAT keeps local time: a player read in another time zone shows its mtimes moved by a
whole number of quarter hours (at most a day)."""


def changed(info: os.stat_result, entry: Entry) -> str | None:
    """Why the file ``info`` (its ``lstat``) is no longer what podsync wrote, or None."""
    if info.st_size != entry.size:
        return (
            f"changed on the player since podsync wrote it ({info.st_size} bytes, not {entry.size})"
        )
    if entry.mtime is not None and not _same_time(info.st_mtime, entry.mtime):
        return "changed on the player since podsync wrote it (modified at another time)"
    return None


def intent_counts(info: os.stat_result, entry: Entry) -> bool:
    """Whether the file at a journal intent's path is the one podsync was renaming there.

    Only its size is compared: a crash between the rename and restoring the
    mtime leaves the file with the time of the copy.
    """
    return info.st_size == entry.size


def _same_time(actual: float, recorded: float) -> bool:
    off = actual - recorded
    zones = round(off / ZONE_STEP)
    return abs(zones) <= 96 and abs(off - zones * ZONE_STEP) <= FAT_MTIME_STEP
