"""The MediaStore interface and the atomic write every writable store uses."""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from podsync.errors import Cancelled, PodsyncError
from podsync.fileio import fsync_dir
from podsync.model import MediaItem

Finisher = Callable[[MediaItem, Path], None]
"""Post-processing run on the written temporary file before it gets its final name."""


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

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("interrupted")

    def advance(self, nbytes: int) -> None:
        self.check()
        self.done += nbytes
        if self._on_bytes is not None:
            self._on_bytes(nbytes)


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

    def add(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        finish: Finisher | None = None,
    ) -> MediaItem:
        """Copy ``item`` from ``source`` into this store; return it as stored here."""
        raise ReadOnlyStoreError(f"{self.name} is read-only")

    def remove(self, item: MediaItem) -> None:
        """Delete ``item`` from this store."""
        raise ReadOnlyStoreError(f"{self.name} is read-only")

    def commit(self) -> None:  # noqa: B027 - an optional hook; most stores need none
        """Make the run's changes durable (called once after all tasks)."""


def write_item(
    item: MediaItem,
    source: MediaStore,
    tmp: Path,
    final: Path,
    transfer: Transfer,
    finish: Finisher | None,
    *,
    keep_partial: bool,
) -> int:
    """Fetch ``item`` from ``source`` into ``tmp``, check it, then rename it to ``final``.

    The file appears under ``final`` only complete and synced; on any failure
    ``tmp`` is removed, unless ``keep_partial`` allows a later resume.
    """
    try:
        source.export(item, tmp, transfer)
        size = tmp.stat().st_size
        if item.size and source.exact_sizes and size != item.size:
            raise PodsyncError(f"copied {size} bytes of {item.size}")
        if finish is not None:
            finish(item, tmp)
        transfer.check()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        if not keep_partial:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    fsync_dir(final.parent)
    return final.stat().st_size
