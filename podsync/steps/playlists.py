"""Playlists on the player: one m3u8 per podcast and one of every episode."""

from __future__ import annotations

import contextlib
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from podsync.model import MediaItem
from podsync.names import safe_name, transliterate
from podsync.player.guard import UnsafePath
from podsync.player.manifest import PLAYLIST_SUFFIX, Manifest
from podsync.stores.base import MediaStore
from podsync.text import clean_text

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
        player = self.manifest.player
        lists: dict[str, list[MediaItem]] = defaultdict(list)
        names: dict[str, str] = {}
        spelled: dict[str, str] = {}  # FAT: "Tech Talk" and "TECH TALK" share one playlist
        for item in target.list():
            name = names.get(item.podcast)
            if name is None:
                title = transliterate(item.podcast) if self.ascii_names else item.podcast
                name = safe_name(title, fallback="podcast")
                name = names[item.podcast] = spelled.setdefault(name.casefold(), name)
            lists[name].append(item)
            lists[ALL].append(item)
        wanted = {self._path(name): items for name, items in lists.items()}
        entries = {item.location: self._entry(item) for item in lists[ALL]}
        for relpath in sorted(p for p in self.manifest.others if p.endswith(PLAYLIST_SUFFIX)):
            if relpath not in wanted:
                with contextlib.suppress(UnsafePath):
                    player.remove(relpath)  # a link or anything not a file is left alone
                self.manifest.forget(relpath)
        for relpath, items in wanted.items():
            if not self.manifest.write_own(relpath, _render(items, entries).encode("utf-8")):
                self.skipped.append(relpath)  # the user's file of that name, or a link

    def _path(self, name: str) -> str:
        file = f"{name}{PLAYLIST_SUFFIX}"
        return str(PurePosixPath(self.folder) / file) if self.folder else file

    def _entry(self, item: MediaItem) -> str:
        """An item's two lines, with its path relative to the playlists' folder."""
        inside = f"{self.folder}/" if self.folder else ""
        relative = (
            item.location[len(inside) :]
            if item.location.startswith(inside)
            else posixpath.relpath(item.location, self.folder)
        )
        return f"#EXTINF:-1,{_line(item.podcast)} - {_line(item.title)}\n{_line(relative)}"


def _render(items: list[MediaItem], entries: dict[str, str]) -> str:
    """A playlist of ``items``, oldest first, from each item's rendered entry."""
    lines = ["#EXTM3U"]
    for item in sorted(items, key=lambda i: (i.published, i.podcast, i.title)):
        lines.append(entries[item.location])
    return "\n".join(lines) + "\n"


def _line(text: str) -> str:
    """``text`` as one line: a title's line breaks or control characters add no entry.

    (Titles are cleaned when they enter podsync; these also come from the manifest on
    the player, which anyone may have written.)
    """
    return clean_text(text)
