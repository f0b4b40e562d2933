"""The MediaStore interface and the atomic write every writable store uses."""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podsync.errors import Cancelled, PodsyncError
from podsync.fileio import fsync_dir
from podsync.model import MediaItem


@dataclass(frozen=True)
class Header:
    """Bytes to write in place of a source's first ``skip`` bytes (a new tag), in one pass."""

    data: bytes
    skip: int


class PostProcess(Protocol):
    """What a store runs on a copy before it gets its final name (the post steps)."""

    def header(self, item: MediaItem, source: Path) -> Header | None:
        """The bytes to write in place of ``source``'s first ones, so the copy does the
        work in one pass; None where :meth:`process` must work on a written file."""
        ...

    def process(self, item: MediaItem, path: Path) -> None:
        """Work on the written file at ``path`` before it is renamed into place."""
        ...


class ReadOnlyStoreError(PodsyncError):
    """Raised when asked to add to or remove from a store that only lists."""


class Transfer:
    """Progress reporting and cancellation for one running copy.

    Stores call :meth:`advance` after each chunk; it raises :class:`Cancelled`
    once the run is being stopped, so no copy outlives an interrupt.
    """

    def __init__(
        self, cancel: threading.Event | None = None, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        self._cancel = cancel or threading.Event()
        self._on_bytes = on_bytes
        self.done = 0

    def silent(self) -> Transfer:
        """The same cancellation, reporting no progress (for a preparatory copy)."""
        return Transfer(self._cancel)

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("interrupted")

    def advance(self, nbytes: int) -> None:
        self.check()
        self.done += nbytes
        if self._on_bytes is not None:
            self._on_bytes(nbytes)

    def watched(self, check: Callable[[], None]) -> Transfer:
        """This transfer, also calling ``check`` after every chunk (it raises to stop the copy)."""

        def on_bytes(nbytes: int) -> None:
            self.advance(nbytes)
            check()

        return Transfer(self._cancel, on_bytes)


class MediaStore(ABC):
    """A place that holds episodes: list them, add one, remove one, read one out."""

    name: str = "store"
    exact_sizes: bool = True
    """Whether listed sizes are the true sizes (a feed's are only advertised)."""

    @abstractmethod
    def list(self) -> list[MediaItem]:
        """Every item this store holds (for a player: only what podsync put there)."""

    @abstractmethod
    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        """Write ``item``'s bytes to the local file ``dest``.

        If ``dest`` already holds the start of the item, a store that can resume
        appends to it; any other store overwrites it.
        """

    def local_path(self, item: MediaItem) -> Path | None:
        """Where ``item``'s bytes can be read directly, if this store is a local folder."""
        return None

    def add(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        post: PostProcess | None = None,
    ) -> MediaItem:
        """Copy ``item`` from ``source`` into this store; return it as stored here.

        ``post`` processes the copy before its rename; a store that can read the
        source directly may instead write ``post.header``'s bytes and then the
        rest of the source, which does the same work in one pass.
        """
        raise ReadOnlyStoreError(f"{self.name} is read-only")

    def remove(self, item: MediaItem) -> None:
        """Delete ``item`` from this store."""
        raise ReadOnlyStoreError(f"{self.name} is read-only")

    def free_space(self) -> int | None:
        """Bytes this store can still take, where that is known."""
        return None

    def settle(self) -> dict[str, Exception]:
        """Put the copies still in flight in place; return those that failed then, by key.

        A store that syncs several copies at once (group commit) finishes them
        here; one that finishes each copy in :meth:`add` has nothing to do.
        """
        return {}

    def commit(self) -> None:  # noqa: B027 - an optional hook; most stores need none
        """Make the run's changes durable (called once after all tasks)."""


def write_whole(
    fill: Callable[[Path], object],
    tmp: Path,
    final: Path,
    *,
    expected: int | None = None,
    discard: Callable[[Path], object] | None = None,
) -> int:
    """Have ``fill`` write ``tmp`` (to become ``final``) and check that it is whole.

    Returns its size, which must be ``expected`` (when given).  On any failure
    ``tmp`` is removed (by ``discard``) and an error names ``final``.
    """
    try:
        fill(tmp)
        size = tmp.stat().st_size
        if expected is not None and size != expected:
            raise PodsyncError(f"copied {size} bytes of {expected}")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            (discard or Path.unlink)(tmp)
        if isinstance(exc, OSError) and exc.filename == str(tmp):
            exc.filename = str(final)  # name the file being written, not the hidden .part
        raise
    return size


def write_then_rename(
    fill: Callable[[Path], None],
    tmp: Path,
    final: Path,
    transfer: Transfer,
    *,
    expected: int | None = None,
    before_rename: Callable[[Path], None] | None = None,
    keep_partial: bool = False,
) -> int:
    """Have ``fill`` write ``tmp``, check it, sync it, then rename it to ``final``.

    The file appears under ``final`` only complete and synced: its size must be
    ``expected`` (when given), and ``before_rename`` runs last on ``tmp``.  On
    any failure ``tmp`` is removed, unless ``keep_partial`` allows a resume;
    the folder is synced after the rename.  (A player's copies are committed
    in batches instead: :mod:`podsync.stores.batch`.)
    """
    try:
        fill(tmp)
        size = tmp.stat().st_size
        if expected is not None and size != expected:
            raise PodsyncError(f"copied {size} bytes of {expected}")
        if before_rename is not None:
            before_rename(tmp)
        transfer.check()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        times = tmp.stat()
        os.replace(tmp, final)
        with contextlib.suppress(OSError):  # some FUSE file systems reset it on rename
            if final.stat().st_mtime_ns != times.st_mtime_ns:
                os.utime(final, ns=(times.st_atime_ns, times.st_mtime_ns), follow_symlinks=False)
    except BaseException as exc:
        if not keep_partial:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError) and exc.filename == str(tmp):
            exc.filename = str(final)  # name the file being written, not the hidden .part
        raise
    fsync_dir(final.parent)
    return times.st_size
