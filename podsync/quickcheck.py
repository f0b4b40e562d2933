"""The quick check: knowing that a push has nothing to do without planning it.

A push's plan is a pure function of its inputs: the player's settings, the
state database, the cache's files, the player's files, manifest, journal and
scrobbler log, its free space, and (for an age limit) the time; and of
podsync's own code.  When a push
finds nothing to do (no copy even wanted, so free space does not matter) and
those inputs were the same before and after it, a fingerprint of them is
recorded for the player.  The next push computes the
fingerprint again (one walk of the player's episode folder, one listing of
each cache folder, a few small reads) and, when it matches and the plan has
not expired, reports the player up to date without loading the manifest,
listing the stores or planning.  Anything that differs, down to one file name,
a byte of a playlist or a played mark, means a full push.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podsync import __version__
from podsync.home import Home
from podsync.manifest import JOURNAL, MANIFEST, MARKER_DIR, PLAYLIST_SUFFIX
from podsync.played import SCROBBLER_LOG
from podsync.state import Device, State

FORMAT = 1


@dataclass(frozen=True)
class QuickCheck:
    """A player's recorded fingerprint, when it was taken and until when it holds."""

    fingerprint: str
    taken: float
    expires: float | None
    kept: int
    """Episodes on the player, for the report."""

    def holds(self, fingerprint: str, now: float) -> bool:
        return (
            fingerprint == self.fingerprint
            and now >= self.taken
            and (self.expires is None or now < self.expires)
        )

    def dumps(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "fingerprint": self.fingerprint,
                "taken": self.taken,
                "expires": self.expires,
                "kept": self.kept,
            }
        )

    @classmethod
    def loads(cls, text: str | None) -> QuickCheck | None:
        """The record in ``text``; None for none, an old format or anything unreadable."""
        try:
            data = json.loads(text or "")
            if data["format"] != FORMAT:
                return None
            return cls(
                str(data["fingerprint"]),
                float(data["taken"]),
                None if data["expires"] is None else float(data["expires"]),
                int(data["kept"]),
            )
        except (ValueError, KeyError, TypeError, OverflowError):
            return None


class _Digest:
    def __init__(self) -> None:
        self._hash = hashlib.blake2b(digest_size=16)

    def add(self, *parts: bytes | str | int | float | None) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else repr(part).encode()
            self._hash.update(b"%d:" % len(data))
            self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def fingerprint(
    home: Home,
    state: State,
    device: Device,
    path: Path,
    settings: Mapping[str, Mapping[str, Any]],
    *,
    delete: bool,
) -> str:
    """The fingerprint of everything a push of ``device`` at ``path`` plans from.

    ``settings`` are the player's effective settings, as the push uses them.
    """
    digest = _Digest()
    digest.add(FORMAT, __version__, _code_stamp(), delete)
    digest.add(device.id, device.name, device.folder, str(path))
    digest.add(state.generation(), json.dumps(settings, sort_keys=True, default=str))
    for folder, names in _walk(home.episodes_dir, follow_links=True):
        digest.add(folder, "\0".join(names))
    # Free space is left out: it only decides which wanted copies fit, and a
    # fingerprint is only recorded when no copy was wanted.
    digest.add(path.stat().st_dev)
    episodes = path / device.folder.strip("/")
    for folder, names in _walk(episodes):
        digest.add(folder, "\0".join(names))
        for name in names:
            if name.casefold().endswith(PLAYLIST_SUFFIX):  # FAT: any case names the file
                digest.add(_read(os.path.join(episodes, folder, name)))
    marker = path / MARKER_DIR
    digest.add(_read(marker / MANIFEST), *sorted(_listdir(marker / JOURNAL)))
    try:
        log = (path / SCROBBLER_LOG).stat()
        digest.add(log.st_size, log.st_mtime_ns, log.st_ino)
    except FileNotFoundError:
        digest.add(None)
    return digest.hexdigest()


def recorded(state: State, device: Device) -> QuickCheck | None:
    return QuickCheck.loads(state.quick_check(device.id))


def record(state: State, device: Device, check: QuickCheck | None) -> None:
    state.set_quick_check(device.id, check.dumps() if check else None)


def _walk(top: Path, follow_links: bool = False) -> list[tuple[str, list[str]]]:
    """Every folder under ``top`` (relative), with its files' names, in a stable order.

    A folder that cannot be read is listed as such (the push skips it too);
    with ``follow_links``, linked folders are walked, each real folder once.
    """
    found: list[tuple[str, list[str]]] = []
    seen: set[str] = set()

    def visit(folder: str, relative: str) -> None:
        files: list[str] = []
        dirs: list[str] = []
        if follow_links:
            real = os.path.realpath(folder)
            if real in seen:
                return
            seen.add(real)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    is_dir = entry.is_dir(follow_symlinks=follow_links)
                    (dirs if is_dir else files).append(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            found.append((relative, [f"\0unreadable {exc.errno}"]))
            return
        files.sort()
        found.append((relative, files))
        for sub in sorted(dirs):
            visit(os.path.join(folder, sub), os.path.join(relative, sub))

    visit(str(top), "")
    return found


def _code_stamp() -> str:
    """podsync's own modules as installed (a changed planner must not trust old records)."""
    package = Path(__file__).parent
    stamps = []
    for folder, names in _walk(package):
        for name in names:
            if name.endswith(".py"):
                info = os.stat(package / folder / name)
                stamps.append(f"{folder}/{name}:{info.st_mtime_ns}:{info.st_size}")
    return "\0".join(stamps)


def _listdir(path: Path) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def _read(path: str | Path) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None
