"""Playlists on the player: one m3u8 per podcast and one of every episode."""

from __future__ import annotations

import contextlib
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from podsync.fileio import write_atomically
from podsync.model import MediaItem
from podsync.names import safe_name, transliterate
from podsync.player.manifest import PLAYLIST_SUFFIX, Manifest
from podsync.stores.base import MediaStore

ALL = "All podcasts"


@dataclass
class Playlists:
    """Write the playlists in ``<root>/<folder>/`` after each push, oldest episode first.

    Paths inside are relative to the playlist, so they work wherever the player
    is mounted.  Only playlists podsync wrote are replaced or removed.
    """

    root: Path
    folder: str
    manifest: Manifest
    ascii_names: bool = False
    skipped: list[str] = field(default_factory=list)
    """Playlists not written because a file of the user's has that name."""

    def finish(self, target: MediaStore) -> None:
        self.skipped.clear()
        lists: dict[str, list[MediaItem]] = defaultdict(list)
        names: dict[str, str] = {}
        for item in target.list():
            name = names.get(item.podcast)
            if name is None:
                title = transliterate(item.podcast) if self.ascii_names else item.podcast
                name = names[item.podcast] = safe_name(title, fallback="podcast")
            lists[name].append(item)
            lists[ALL].append(item)
        wanted = {self._path(name): items for name, items in lists.items()}
        for relpath in sorted(p for p in self.manifest.others if p.endswith(PLAYLIST_SUFFIX)):
            if relpath not in wanted:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / relpath).unlink()
                self.manifest.forget(relpath)
        for relpath, items in wanted.items():
            path = self.root / relpath
            if path.exists() and not self.manifest.owns(relpath):
                self.skipped.append(relpath)  # the user's own file of that name
                continue
            if not self.manifest.owns(relpath):
                self.manifest.own(relpath)
            data = self._render(items).encode("utf-8")
            if not _holds(path, data):
                path.parent.mkdir(parents=True, exist_ok=True)  # the folder may be new
                write_atomically(path, data)

    def _path(self, name: str) -> str:
        file = f"{name}{PLAYLIST_SUFFIX}"
        return str(PurePosixPath(self.folder) / file) if self.folder else file

    def _render(self, items: list[MediaItem]) -> str:
        lines = ["#EXTM3U"]
        for item in sorted(items, key=lambda i: (i.published, i.podcast, i.title)):
            lines.append(self._entry(item))
        return "\n".join(lines) + "\n"

    def _entry(self, item: MediaItem) -> str:
        """An item's two lines, with its path relative to the playlists' folder."""
        inside = f"{self.folder}/" if self.folder else ""
        relative = (
            item.location[len(inside) :]
            if item.location.startswith(inside)
            else posixpath.relpath(item.location, self.folder)
        )
        return f"#EXTINF:-1,{item.podcast} - {item.title}\n{relative}"


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` already holds exactly ``data`` (a no-op push rewrites nothing)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
