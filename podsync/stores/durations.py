"""The lengths of cached episodes, remembered so that a push does not read every file again.

A push plans an unconverted episode at the size its conversion will have,
which takes the episode's duration (read with mutagen).  :class:`Durations`
keeps each length in a small JSON file beside the conversions, under the
episode's key with the file's identity (size, modification time, inode): a
file that changed in any of these is read again.  The file is only a cache:
a lost or unreadable one costs one more reading of each episode.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from pathlib import Path

from podsync.fileio import write_atomically
from podsync.steps.convert import duration

Entry = tuple[int, int, int, float | None]
"""Size, mtime in nanoseconds, inode, and the length in seconds (None: mutagen cannot tell)."""


class Durations:
    """Episode key → its audio's length, read once per version of the cached file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known = _load(path)
        self._seen: dict[str, Entry] = {}

    def of(self, key: str, source: Path) -> float | None:
        """The length of ``source`` (the cached file of episode ``key``), in seconds."""
        try:
            info = source.stat()
        except OSError:
            return None
        identity = (info.st_size, info.st_mtime_ns, info.st_ino)
        entry = self._known.get(key)
        if entry is None or entry[:3] != identity:
            entry = (*identity, duration(source))
        self._seen[key] = entry
        return entry[3]

    def save(self, cached: Collection[str]) -> None:
        """Write what was read, forgetting episodes no longer in ``cached`` (their keys).

        Entries written meanwhile by another push are kept; nothing is written
        when nothing changed.  A file that cannot be written is left as it is.
        """
        merged = {**_load(self.path), **self._seen}
        kept = {k: e for k, e in merged.items() if k in cached}
        if kept == self._known:
            return
        data = json.dumps({k: list(e) for k, e in sorted(kept.items())}, separators=(",", ":"))
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, data.encode())
            self._known = kept


def _load(path: Path) -> dict[str, Entry]:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    entries = {}
    for key, value in raw.items():
        if _valid(value):
            size, mtime, inode, seconds = value
            entries[key] = (size, mtime, inode, None if seconds is None else float(seconds))
    return entries


def _valid(value: object) -> bool:
    if not isinstance(value, list) or len(value) != 4:
        return False
    *identity, seconds = value
    return all(type(n) is int for n in identity) and (
        seconds is None or (type(seconds) in (int, float) and seconds >= 0)
    )


def durations_file(converted_dir: Path) -> Path:
    """Where the lengths are kept: beside the conversions, never mistaken for one."""
    return converted_dir / "durations.json"
