"""The cache as one player wants it: episodes it cannot play, or wants changed, converted.

Listing this store gives every cached episode in the form the player will get
it: converted ones with their new extension and their size (the real one once
converted, else estimated from the bitrate and the duration), so the planner
fits the right sizes without knowing about conversion.  Conversions live in
``<root>/<settings hash>/<key>.<ext>``, shared by every player with the same
settings, and are made by :class:`podsync.steps.convert.Convert` before a copy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from podsync.fileio import copy_file
from podsync.model import MediaItem
from podsync.steps.convert import Job, PlayerFormats
from podsync.stores.base import MediaStore, Transfer
from podsync.stores.cache import CacheStore
from podsync.stores.durations import Durations, durations_file


class ConvertingStore(MediaStore):
    """``cache`` seen through a player's :class:`PlayerFormats` (read-only)."""

    name = "cache"

    def __init__(
        self, cache: CacheStore, formats: PlayerFormats, root: Path, can_convert: bool
    ) -> None:
        self.cache = cache
        self.formats = formats
        self.root = root
        self.can_convert = can_convert
        """False without ffmpeg: episodes the player cannot play are then left out."""
        self.jobs: dict[str, Job] = {}
        """Episode key → its conversion, for the episodes that need one (converted or not)."""
        self.unplayable: list[MediaItem] = []
        """Episodes left out: the player cannot play them and there is no ffmpeg."""
        self.durations = Durations(durations_file(root))

    def list(self) -> list[MediaItem]:
        self.jobs.clear()
        self.unplayable.clear()
        items = []
        cached = self.cache.list()
        for item in cached:
            conversion = self.formats.conversion(item)
            if conversion is None:
                items.append(item)
                continue
            if not self.can_convert:
                if not self.formats.plays(item.ext):
                    self.unplayable.append(item)
                else:
                    items.append(item)  # copied unchanged: speed or loudness need ffmpeg
                continue
            source = self.cache.path(item)
            dest = self.root / conversion.digest / f"{item.key}.{conversion.ext}"
            try:
                size, seconds = dest.stat().st_size, None
            except FileNotFoundError:
                seconds = self.durations.of(item.key, source)
                size = conversion.estimate(seconds, item.size or 0)
            self.jobs[item.key] = Job(source, conversion, dest, item.ext, seconds)
            items.append(replace(item, ext=conversion.ext, size=size))
        self.durations.save({i.key for i in cached})
        return items

    def local_path(self, item: MediaItem) -> Path:
        job = self.jobs.get(item.key)
        return job.dest if job is not None else self.cache.path(item)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        job = self.jobs.get(item.key)
        if job is None:
            self.cache.export(item, dest, transfer)
        else:
            copy_file(job.dest, dest, transfer.advance)


def unwanted_conversions(
    root: Path, cached: Iterable[MediaItem], players: Iterable[PlayerFormats]
) -> list[Path]:
    """The files under ``root`` that no registered player's settings would make of a cached
    episode (a player's settings changed, it was removed, the episode left the cache).

    Only what podsync makes is listed: regular files in the settings folders
    (``<12 hex digits>/``, real folders, not links), and never a hidden file (a
    conversion in progress where unnamed files are not available).
    """
    items = list(cached)
    wanted = set()
    for formats in players:
        for item in items:
            conversion = formats.conversion(item)
            if conversion is not None:
                wanted.add(root / conversion.digest / f"{item.key}.{conversion.ext}")
    return sorted(
        path
        for folder in _entries(root)
        if _SETTINGS.fullmatch(folder.name) and folder.is_dir(follow_symlinks=False)
        for entry in _entries(Path(folder.path))
        if not entry.name.startswith(".")
        and entry.is_file(follow_symlinks=False)
        and (path := Path(entry.path)) not in wanted
    )


_SETTINGS = re.compile(r"[0-9a-f]{12}")
"""The name of a folder of conversions: the settings' digest."""


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
