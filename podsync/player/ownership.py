"""Whether a file on the player is still the one podsync wrote there.

The manifest says podsync wrote a path; by the time podsync wants to delete
that path, or to count a journal intent for it, the user may have replaced or
edited the file.  These decisions compare what is on the player with what the
manifest recorded.  (A player that rewrites tags changes size and mtime too:
an identity embedded in the file can vouch for it here.)

Every copy podsync puts on a player also carries its episode key and its
feed's stable identity in its tags (ID3 ``TXXX``, a Vorbis comment, an MP4
freeform atom), beside album = podcast and title = episode, written by
:mod:`podsync.steps.tags`.  With them a player can be adopted again without a
manifest (:mod:`podsync.player.repair`), and a file without them is never
claimed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
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


def intent_counts(info: os.stat_result, entry: Entry, path: Path) -> bool:
    """Whether the file at a journal intent's path is the one podsync was renaming there.

    Its size must be the intent's and, where its tags carry podsync's identity,
    the key must be the intent's episode (the mtime is not compared: a crash
    between the rename and restoring the mtime leaves the time of the copy).
    """
    if info.st_size != entry.size:
        return False
    identity = read_identity(path)
    return identity is None or identity.key == entry.key


def _same_time(actual: float, recorded: float) -> bool:
    off = actual - recorded
    zones = round(off / ZONE_STEP)
    return abs(zones) <= 96 and abs(off - zones * ZONE_STEP) <= FAT_MTIME_STEP


KEY_TAG = "PODSYNC_KEY"
FEED_TAG = "PODSYNC_FEED"
MP4_PREFIX = "----:org.podsync:"
"""MP4 freeform atoms: ``----:org.podsync:PODSYNC_KEY`` and ``…:PODSYNC_FEED``."""


@dataclass(frozen=True, slots=True)
class TagIdentity:
    """What a file's tags say it is."""

    key: str
    feed: str
    podcast: str
    title: str


def read_identity(path: Path) -> TagIdentity | None:
    """podsync's identity in the tags of ``path``; None for a file without one (or unreadable)."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    if audio is None or audio.tags is None:
        return None
    values = {name: _text(audio.tags, name) for name in (KEY_TAG, FEED_TAG, "album", "title")}
    if not values[KEY_TAG]:
        return None
    return TagIdentity(values[KEY_TAG], values[FEED_TAG], values["album"], values["title"])


_ID3 = {"album": "TALB", "title": "TIT2"}
_MP4 = {"album": "\xa9alb", "title": "\xa9nam"}


def _text(tags: object, name: str) -> str:
    """The first value of tag ``name`` (one of ours, album or title), in any tag format."""
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    try:
        if isinstance(tags, ID3):
            frame = tags.get(_ID3.get(name, f"TXXX:{name}"))
            return str(frame.text[0]) if frame is not None and frame.text else ""
        if isinstance(tags, MP4Tags):
            values = tags.get(_MP4.get(name, MP4_PREFIX + name), [])
            value = values[0] if values else ""
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        values = tags.get(name.lower()) or tags.get(name) or []  # type: ignore[attr-defined]
        return str(values[0]) if values else ""
    except (KeyError, ValueError, TypeError, IndexError):
        return ""
