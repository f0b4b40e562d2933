"""Processing steps: small pieces that run around the copies.

A pre-processing step sees each item before it is transferred and may change
it or raise :class:`~podsync.errors.SkipItem`; a post-processing step works
on each transferred file before it gets its final name, so what it changes
appears atomically with the file.  Both run inside the copy task, so a step
that raises fails that one task only.  A post step that can also give a
:class:`~podsync.stores.base.Header` lets the copy write its change and the
source's bytes in one pass (on a player, other post steps work on a local
staging copy, written out in one pass).  A finishing step runs once after all
tasks, on the target store (playlists).  A slow pre step (conversion) runs
on a pool of its own before the copy is queued, so copies that need no such
work never wait behind it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from podsync.model import MediaItem
from podsync.stores.base import Header, MediaStore, Transfer


class PreStep(Protocol):
    def prepare(self, item: MediaItem) -> MediaItem:
        """Return the item to copy (possibly changed), or raise SkipItem."""
        ...


class SlowPreStep(Protocol):
    def pending(self, item: MediaItem) -> str | None:
        """What the step will do to ``item`` (for the plan), or None when nothing is left."""
        ...

    def work(self, item: MediaItem, transfer: Transfer) -> None:
        """Do it (on the convert pool); ``transfer`` stops it when the run is cancelled, and
        hears its progress: ``item.size`` units in all, advanced as the work goes on."""
        ...


class PostStep(Protocol):
    def process(self, item: MediaItem, path: Path) -> None:
        """Work on the copied file at ``path`` before it is renamed into place."""
        ...


@runtime_checkable
class HeaderStep(PostStep, Protocol):
    def header(self, item: MediaItem, source: Path) -> Header | None:
        """The bytes to write in place of ``source``'s first ones, or None to use ``process``."""
        ...


class FinishStep(Protocol):
    def finish(self, target: MediaStore) -> None:
        """Work on the target once every task of the run has ended."""
        ...
