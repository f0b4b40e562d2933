"""Group commit on a player: copies waiting to be synced, recorded and renamed together.

A batch closes at :data:`BATCH_BYTES`, :data:`BATCH_FILES` or :data:`BATCH_SECONDS`
after its first copy began, so an unplug loses at most the batch in flight: about ten
seconds of copying on a USB 2 player, where each batch's sync costs 20-50 ms.
:class:`~podsync.stores.device.DeviceStore` commits it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podsync.model import MediaItem
from podsync.player.manifest import Entry, Manifest

BATCH_BYTES = 64 << 20
BATCH_FILES = 256
BATCH_SECONDS = 10.0
NEAR_FULL = 1 << 20
"""Free bytes under which an EPERM is taken for a full player (FAT over FUSE says so)."""
RECORD_BYTES = 600
"""Room to keep per episode on the player for its records: the journal, the manifest
and the playlists, all written after the copies."""


@dataclass(frozen=True)
class Written:
    """A copy written to its temporary file, waiting for its batch to be committed."""

    item: MediaItem
    """As stored on the player (its final path and size)."""
    tmprel: str
    tmp: Path
    entry: Entry


@dataclass
class Batch:
    """The copies written since the last commit (the caller holds a lock around it)."""

    copies: list[Written] = field(default_factory=list)
    size: int = 0
    started: float | None = None

    def begin(self) -> bool:
        """Note that a copy begins; True when it is the batch's first."""
        if self.started is None:
            self.started = time.monotonic()
            return True
        return False

    def add(self, written: Written) -> None:
        self.copies.append(written)
        self.size += written.item.size or 0

    def take(self, now: bool = False) -> list[Written]:
        """The copies to commit, if the batch is full or old enough (or ``now``); else none."""
        due = self.copies and (
            now
            or self.size >= BATCH_BYTES
            or len(self.copies) >= BATCH_FILES
            or time.monotonic() - (self.started or 0) >= BATCH_SECONDS
        )
        if not due:
            return []
        copies, self.copies, self.size, self.started = self.copies, [], 0, None
        return copies


def write_record(
    batch: list[Written],
    manifest: Manifest,
    free_space: Callable[[], int | None],
    drop: Callable[[Written, Exception], None],
) -> Path | None:
    """Write the batch's journal record (not synced); return it, or None with ``batch`` empty.

    When the copies filled the player, the last ones are dropped (as not
    fitting) until this record and the later ones (the playlists, the
    manifest) have room.  A failure to write it drops every copy.
    """
    while batch and (need := _room_needed(manifest.root, len(manifest.files), len(batch))):
        if (free_space() or 0) >= need:
            break
        drop(batch.pop(), no_room_error())
    while batch:
        try:
            return manifest.intend_adds([(w.item.location, w.entry) for w in batch])
        except OSError as exc:
            if not no_room(exc, free_space()):
                for w in batch:
                    drop(w, exc)
                batch.clear()
            else:
                drop(batch.pop(), no_room_error())  # its room is the record's
    return None


def keep_mtime(path: Path, times: os.stat_result) -> None:
    """Give ``path`` back the mtime of ``times`` (some FUSE file systems reset it on rename)."""
    with contextlib.suppress(OSError):
        if path.stat().st_mtime_ns != times.st_mtime_ns:
            os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns), follow_symlinks=False)


def _room_needed(root: Path, owned: int, copies: int) -> int | None:
    """Free bytes the records of ``owned`` files plus ``copies`` new ones need, if known."""
    try:
        cluster = os.statvfs(root).f_frsize
    except OSError:
        return None
    return RECORD_BYTES * (owned + copies) + 16 * cluster


def no_room(exc: OSError, free: int | None) -> bool:
    """Whether ``exc`` says the player is full (FAT over FUSE may say EPERM)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return exc.errno == errno.EPERM and free is not None and free < NEAR_FULL


def no_room_error() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
