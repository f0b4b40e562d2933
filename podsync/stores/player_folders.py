"""A player's episode folders, scanned once, and the file names podsync claims in them."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from podsync.names import with_counter
from podsync.player.guard import Player


def join(*parts: str) -> str:
    """A relative path from the non-empty ``parts``."""
    return "/".join(p for p in parts if p)


@dataclass
class _Folder:
    """One folder on the player, as the scan found it."""

    files: set[str]
    """Regular files, by their exact names."""
    taken: set[str]
    """Every entry's name (files, folders, links, anything), case-folded as FAT compares."""


class PlayerFolders:
    """The folders under ``folder`` on ``player``, walked once (never through a link).

    FAT compares names without case, so a folder is found and a name is claimed
    the way the player compares them.  Safe to use from several threads.
    """

    def __init__(self, player: Player, folder: str) -> None:
        self.player = player
        self.folder = folder
        self._lock = threading.RLock()
        self._folders: dict[str, _Folder] | None = None
        """Each folder under the episode folder (by its path as on the player)."""
        self._spelling: dict[str, str] = {}
        """A folder's path as on the player, by its case-folded path."""

    def _scan(self) -> dict[str, _Folder]:
        with self._lock:
            if self._folders is None:
                self._folders = {}
                with contextlib.suppress(FileNotFoundError):
                    self._walk(self.player.folder(self.folder), self.folder)
                self._spelling = {f.casefold(): f for f in self._folders}
            return self._folders

    def _walk(self, top: Path, relfolder: str) -> None:
        assert self._folders is not None
        pending = [(top, relfolder)]
        while pending:
            path, rel = pending.pop()
            files, names = set(), set()
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        names.add(entry.name.casefold())
                        if entry.is_dir(follow_symlinks=False):
                            pending.append((path / entry.name, join(rel, entry.name)))
                        elif entry.is_file(follow_symlinks=False):
                            files.add(entry.name)
            except OSError:
                continue  # unreadable: its files are looked up one by one
            self._folders[rel] = _Folder(files, names)

    def has_file(self, relpath: str) -> bool:
        """Whether the scan saw a regular file at ``relpath``, by its exact name."""
        folder, _, name = relpath.rpartition("/")
        with self._lock:
            found = self._scan().get(folder)
            return found is not None and name in found.files

    def files(self) -> list[str]:
        """The paths of the regular files the scan saw (and podsync added since)."""
        with self._lock:
            return [join(f, n) for f, found in self._scan().items() for n in found.files]

    def added(self, relpath: str) -> None:
        """Note a file podsync put at ``relpath``."""
        folder, _, name = relpath.rpartition("/")
        with self._lock:
            self._scan().setdefault(folder, _Folder(set(), set())).files.add(name)

    def removed(self, relpath: str) -> None:
        """Note that the file at ``relpath`` is gone."""
        folder, _, name = relpath.rpartition("/")
        with self._lock:
            found = self._scan().get(folder)
            if found is not None:
                found.files.discard(name)

    def folder_for(self, dirs: list[str]) -> str:
        """The folder for an episode in ``dirs``, spelled as an existing folder of any case is.

        FAT compares names without case: "Tech Talk" and "TECH TALK" are one
        folder there, so their episodes share its names.
        """
        with self._lock:
            self._scan()
            folder = self.folder
            for name in dirs:
                wanted = join(folder, name)
                folder = self._spelling.setdefault(wanted.casefold(), wanted)
            return folder

    def _taken(self, folder: str) -> set[str]:
        """The case-folded names in ``folder`` that podsync must not use."""
        found = self._scan().get(folder)
        if found is None:  # a folder made since the scan
            names = os.listdir(self.player.folder(folder))
            found = self._scan()[folder] = _Folder(set(), {n.casefold() for n in names})
        return found.taken

    def claim(self, folder: str, name: str) -> str:
        """A path in ``folder`` for ``name`` that nothing there uses, compared without case."""
        with self._lock:
            taken = self._taken(folder)
            candidate, counter = name, 1
            while candidate.casefold() in taken:
                counter += 1
                candidate = with_counter(name, counter)
            taken.add(candidate.casefold())
            return join(folder, candidate)

    def unclaim(self, relpath: str) -> None:
        """Free the name of ``relpath`` (its copy failed)."""
        folder, _, name = relpath.rpartition("/")
        with self._lock:
            self._taken(folder).discard(name.casefold())
