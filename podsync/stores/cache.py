"""The cache store: downloaded episodes in the local cache directory.

A file's place is recorded in the state database when it is complete; a
download in progress lives in ``<podcast>/.<key>.part`` so that the next
fetch resumes it and no partial file ever carries a final name.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

from podsync.errors import PodsyncError
from podsync.fileio import copy_file, size_or_zero
from podsync.model import MediaItem
from podsync.names import episode_path, with_counter
from podsync.sizes import human_size
from podsync.state import State
from podsync.stores.base import MediaStore, PostProcess, Transfer, write_then_rename
from podsync.stores.feed import DOWNLOAD_CHUNK, validator_path


class ReserveReached(PodsyncError):
    """A download stopped because the cache's disk came down to ``fetch.cache_reserve``."""


log = logging.getLogger(__name__)


class CacheStore(MediaStore):
    """Episodes in ``root``, as recorded in the state database.

    With a ``reserve``, a download stops (and its partial file goes) as soon as
    the disk has less than that free: checked as the bytes arrive, so a feed
    that gives no length, a wrong one, or a body that never ends cannot fill it.
    Such a download also leaves room for what the others in flight still have
    to receive of their stated sizes: a runaway never starves an honest one.
    """

    name = "cache"

    def __init__(self, root: Path, state: State, reserve: int = 0) -> None:
        self.root = root
        self.state = state
        self.reserve = reserve
        self._naming = threading.Lock()
        self._taken: set[str] | None = None
        self._sized: dict[str, tuple[Path, int]] = {}
        """Downloads in flight with a stated size: key → (partial file, size)."""

    def list(self) -> list[MediaItem]:
        """The cached episodes, from the database and one listing of each podcast's folder.

        A file removed by hand is forgotten (and fetched again); no file is opened.
        (A download being renamed into place is not listed yet, and its row stays.)
        """
        items, gone = [], []
        names: dict[str, set[str]] = {}
        for item in self.state.cached_items():
            folder, _, name = item.location.rpartition("/")
            if folder not in names:
                try:
                    names[folder] = set(os.listdir(self.root / folder))
                except OSError:
                    names[folder] = set()
            try:
                if name not in names[folder] or item.size is None:
                    item = replace(item, size=self.path(item).stat().st_size)
            except FileNotFoundError:
                if not self.path(item).with_name(f".{item.key}.part").exists():
                    gone.append(item.key)
                continue
            items.append(item)
        if gone:
            self.state.forget_cached(gone)
        return items

    def path(self, item: MediaItem) -> Path:
        return self.root / item.location

    def local_path(self, item: MediaItem) -> Path:
        return self.path(item)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        try:
            copy_file(self.path(item), dest, transfer.advance)
        except FileNotFoundError:
            raise PodsyncError(f"{item.location} is no longer in the cache") from None

    def add(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        post: PostProcess | None = None,
    ) -> MediaItem:
        """Download ``item``; ``post`` works on the download itself (no header needed)."""
        *folders, name = episode_path(item)
        folder = "/".join(folders)
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        tmp = self.root / folder / f".{item.key}.part"
        with self._naming:
            relpath = self._claim(folder, name)
        resume = f" (resuming at {tmp.stat().st_size} bytes)" if tmp.exists() else ""
        log.info("download: %s to %s%s", item.label, self.root / relpath, resume)
        recorded = False

        def record(path: Path) -> None:
            # Recorded before the rename: whoever sees the file under its name (a watcher
            # on the cache) finds it in the database.  A crash in between leaves a row
            # whose file is missing, which the next listing forgets.
            nonlocal recorded
            if post is not None:
                post.process(item, path)
            self.state.set_cached(item.key, relpath, path.stat().st_size)
            recorded = True

        watched = (
            transfer.watched(lambda: self._hold_reserve(item, tmp)) if self.reserve else transfer
        )
        if item.size:
            with self._naming:
                self._sized[item.key] = (tmp, item.size)
        try:
            size = write_then_rename(
                lambda path: source.export(item, path, watched or transfer),
                tmp,
                self.root / relpath,
                transfer,
                expected=item.size if source.exact_sizes else None,
                before_rename=record,
                keep_partial=True,
            )
        except BaseException as exc:
            if recorded:
                self.state.set_cached(item.key, None)
            if isinstance(exc, ReserveReached) or (
                isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
            ):
                tmp.unlink(missing_ok=True)  # a full disk: keep no partial file to resume
                validator_path(tmp).unlink(missing_ok=True)
            with self._naming:
                self._release(relpath)
            raise
        finally:
            with self._naming:
                self._sized.pop(item.key, None)
        return replace(item, location=relpath, size=size)

    def adopt(self, item: MediaItem, source: Path, transfer: Transfer) -> bool:
        """Take the local file ``source`` into the cache as ``item``.

        A hard link where the file system allows one (no copy, no extra space),
        else a copy through a temporary file.  Returns whether it was linked.
        """
        *folders, name = episode_path(item)
        folder = "/".join(folders)
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        with self._naming:
            relpath = self._claim(folder, name)
        final = self.root / relpath
        # Recorded before the file takes its name, as in add(): a watcher finds it there.
        self.state.set_cached(item.key, relpath, source.stat().st_size)
        try:
            try:
                os.link(source, final)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise
            tmp = self.root / folder / f".{item.key}.part"
            write_then_rename(
                lambda path: copy_file(source, path, transfer.advance), tmp, final, transfer
            )
            return False
        except BaseException:
            self.state.set_cached(item.key, None)
            with self._naming:
                self._release(relpath)
            raise

    def free_space(self) -> int | None:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def _hold_reserve(self, item: MediaItem, part: Path) -> None:
        """Stop the download of ``item`` into ``part`` once the disk is down to the reserve."""
        free, owed = self.free_space(), self._owed(item.key)
        if free is None or free >= self.reserve + owed + DOWNLOAD_CHUNK:
            return
        got = size_or_zero(part)
        if free >= self.reserve and item.size and got <= item.size:
            return  # within its stated size: the room left is for it too
        said = f"the feed said {human_size(item.size)}" if item.size else "the feed gave no size"
        others = f", and {human_size(owed)} kept for the downloads in flight" if owed else ""
        raise ReserveReached(
            f"stopped after {human_size(got)} ({said}): the cache's disk is down to "
            f"fetch.cache_reserve ({human_size(self.reserve)} free){others};"
            " the partial file was removed"
        )

    def _owed(self, key: str) -> int:
        """What the other downloads in flight have still to receive of their stated sizes
        (a download beyond its own leaves room for them, and a chunk more, so they never
        see the disk below the reserve because of it)."""
        with self._naming:
            others = [v for k, v in self._sized.items() if k != key]
        return sum(max(0, size - size_or_zero(part)) for part, size in others)

    def remove(self, item: MediaItem) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(item).unlink()
        self.state.set_cached(item.key, None)
        with self._naming:
            self._release(item.location)

    def _claim(self, folder: str, name: str) -> str:
        """Reserve a relative path no other episode uses (case-insensitively)."""
        if self._taken is None:
            self._taken = {p.casefold() for p in self.state.cache_paths()}
        candidate, counter = f"{folder}/{name}", 1
        while candidate.casefold() in self._taken or (self.root / candidate).exists():
            counter += 1
            candidate = f"{folder}/{with_counter(name, counter)}"
        self._taken.add(candidate.casefold())
        return candidate

    def _release(self, relpath: str) -> None:
        if self._taken is not None:
            self._taken.discard(relpath.casefold())
