"""Processing steps: small pieces that run around each copy.

A pre-processing step sees the item before it is transferred and may change
it or raise :class:`~podsync.errors.SkipItem`; a post-processing step works
on the transferred file while it still has its temporary name, so what it
changes appears atomically with the file.  Both run inside the copy task, so
a step that raises fails that one task only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podsync.model import MediaItem


class PreStep(Protocol):
    def prepare(self, item: MediaItem) -> MediaItem:
        """Return the item to copy (possibly changed), or raise SkipItem."""
        ...


class PostStep(Protocol):
    def process(self, item: MediaItem, path: Path) -> None:
        """Work on the copied file at ``path`` before it is renamed into place."""
        ...


@dataclass(frozen=True)
class PublishedMtime:
    """Date the file by its episode's publication, so players sorting by date agree."""

    def process(self, item: MediaItem, path: Path) -> None:
        if item.published > 0:
            os.utime(path, (item.published, item.published))
