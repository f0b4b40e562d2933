"""Date each file by its episode's publication."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from podsync.model import MediaItem


@dataclass(frozen=True)
class PublishedMtime:
    """Set the file's mtime to the publication date, so players sorting by date agree.

    The cache's files get it when downloaded, so a player's copy keeps its source's mtime.
    """

    def process(self, item: MediaItem, path: Path) -> None:
        if item.published > 0:
            os.utime(path, (item.published, item.published))
