"""Files on a player that are podsync's episodes under another name: manifest
entries written under an older key (before a feed moved, before stable keys)
or by a computer that keys an episode differently, and gPodder's copies of
episodes taken over from gPodder."""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from podsync.model import Episode, MediaItem
from podsync.names import safe_name
from podsync.player.manifest import MARKER_DIR, Entry, Manifest


def rekeyed(
    files: Mapping[str, Entry], moves: Mapping[str, str], episodes: Iterable[Episode]
) -> dict[str, str]:
    """New keys for manifest entries whose key this computer does not know (path → key).

    A recorded move of the key decides; else the one episode with the same
    podcast (any case), title and date.
    """
    known: set[str] = set()
    by_tags: dict[tuple[str, str, float], str | None] = {}
    for e in episodes:
        known.add(e.key)
        tags = (e.podcast.casefold(), e.title, e.published)
        by_tags[tags] = None if tags in by_tags else e.key  # None: two episodes, ambiguous
    changes = {}
    for path, entry in files.items():
        if entry.key in known:
            continue
        new = moves.get(entry.key) or by_tags.get(
            (entry.podcast.casefold(), entry.title, entry.published)
        )
        if new is not None and new != entry.key:
            changes[path] = new
    return changes


def adopt_copies(
    root: Path, manifest: Manifest, files: Iterable[tuple[MediaItem, Path]]
) -> list[str]:
    """Take gPodder's copies on the player at ``root`` into ``manifest``; their paths.

    ``files`` are the episodes taken over from gPodder with gPodder's file of
    each.  A file on the player is that episode's copy when it has the same
    size and its name is gPodder's file name or holds the episode's title.
    The manifest is saved at the end.
    """
    by_size: dict[int, list[tuple[MediaItem, Path]]] = defaultdict(list)
    for item, source in files:
        by_size[source.stat().st_size].append((item, source))
    held = {e.key for e in manifest.files.values()}
    adopted = []
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != MARKER_DIR)
        for name in sorted(names):
            path = os.path.relpath(os.path.join(dirpath, name), root)
            info = os.lstat(os.path.join(dirpath, name))
            if manifest.owns(path) or not stat.S_ISREG(info.st_mode):
                continue  # (a link is nobody's copy)
            size = info.st_size
            for item, source in by_size.get(size, []):
                if item.key not in held and _names_it(name, item, source):
                    ext = name.rpartition(".")[2].lower()
                    entry = Entry(
                        item.key, size, item.podcast, item.title, item.published, ext, info.st_mtime
                    )
                    manifest.intend_add(path, entry)
                    held.add(item.key)
                    adopted.append(path)
                    break
    manifest.save()
    return adopted


def _names_it(name: str, item: MediaItem, source: Path) -> bool:
    """Whether the file name ``name`` is gPodder's for ``item`` (its own, or with the title)."""
    stem = name.rpartition(".")[0].casefold() or name.casefold()
    titles = {item.title.casefold(), safe_name(item.title, fallback="").casefold()} - {""}
    return stem == source.stem.casefold() or any(t in stem for t in titles)
