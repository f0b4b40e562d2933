"""Skip files the target's file system cannot hold."""

from __future__ import annotations

from dataclasses import dataclass

from podsync.errors import SkipItem
from podsync.model import MediaItem
from podsync.sizes import human_size

FAT32_MAX_FILE = 4 * 1024**3 - 1
FAT_TYPES = frozenset({"vfat", "msdos", "fat", "fat16", "fat32"})


@dataclass(frozen=True)
class FileSizeLimit:
    """Skip files over ``limit`` bytes (FAT32 holds at most 4 GiB - 1 per file)."""

    limit: int = FAT32_MAX_FILE
    filesystem: str = "FAT32"

    def prepare(self, item: MediaItem) -> MediaItem:
        if item.size is not None and item.size > self.limit:
            raise SkipItem(
                f"{human_size(item.size)} is over {self.filesystem}'s limit of "
                f"{human_size(self.limit)} per file"
            )
        return item
