"""Rebuild a player's manifest from the identity podsync wrote into each file's tags.

Used by ``podsync device repair NAME`` and, on its own, by a push that finds
the manifest missing or unreadable.  A file is claimed only when its tags
carry podsync's identity (episode key, album, title); nothing else on the
player is ever claimed.  A damaged manifest is kept beside the new one.  Of
two copies of one episode (left by a push that had lost its manifest) the
first is kept and the others, byte for byte the same size, are removed;
podsync's playlists are recognised as the ones that list only its files.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from podsync.player.guard import UnsafePath
from podsync.player.manifest import (
    MANIFEST,
    MARKER_DIR,
    MAX_MANIFEST,
    PLAYLIST_SUFFIX,
    TMP_PREFIX,
    Entry,
    Manifest,
)
from podsync.player.ownership import read_identity

MAX_PLAYLIST = 16 * 1024 * 1024


@dataclass
class RepairReport:
    """What a repair found and did."""

    claimed: list[str] = field(default_factory=list)
    """Files taken into the manifest (their tags carry podsync's identity)."""
    removed: list[str] = field(default_factory=list)
    """Extra copies of an episode podsync already holds, removed."""
    kept: list[str] = field(default_factory=list)
    """Extra copies that differ from the one kept: left alone, not claimed."""
    playlists: list[str] = field(default_factory=list)
    backup: str | None = None
    """Where the damaged manifest was kept (relative to the player's root)."""

    def describe(self) -> list[str]:
        lines = [f"took back {len(self.claimed)} files that carry podsync's identity"]
        if self.removed:
            lines.append(f"removed {len(self.removed)} extra copies of episodes it holds")
        lines += [f"left alone {p}: a second copy that differs from the first" for p in self.kept]
        if self.playlists:
            lines.append(f"took back {len(self.playlists)} playlists")
        if self.backup:
            lines.append(f"kept the damaged manifest as {self.backup}")
        return lines


def repair(
    root: Path, folder: str, manifest: Manifest, published: Mapping[str, float]
) -> RepairReport:
    """Claim into ``manifest`` the files under ``root/folder`` that carry podsync's identity.

    ``published`` gives the dates of the episodes this computer knows (by key);
    the others take the file's modification time, which podsync sets to it.
    The claims are in the manifest's journal; saving it is the caller's.
    """
    report = RepairReport(backup=_backup(manifest))
    held = {e.key: path for path, e in manifest.files.items()}
    sizes = {path: e.size for path, e in manifest.files.items()}
    for path, info in _audio_files(root, folder):
        if manifest.owns(path):
            continue
        ident = read_identity(root / path)
        if ident is None or not (ident.podcast and ident.title):
            continue
        first = held.get(ident.key)
        if first is not None:
            size = sizes[first]
            reason = manifest.player.remove(
                path, lambda now, size=size: None if now.st_size == size else "differs"
            )
            (report.kept if reason else report.removed).append(path)
            continue
        ext = path.rpartition(".")[2].lower()
        when = published.get(ident.key, info.st_mtime)
        entry = Entry(ident.key, info.st_size, ident.podcast, ident.title, when, ext, info.st_mtime)
        manifest.intend_add(path, entry)
        held[ident.key], sizes[path] = path, info.st_size
        report.claimed.append(path)
    report.playlists = _claim_playlists(root, folder, manifest)
    manifest.problem = None
    manifest.absent = False
    return report


def _backup(manifest: Manifest) -> str | None:
    """Keep an unreadable ``manifest.json`` under a new name; return that name."""
    if manifest.problem is None:
        return None
    name = f"{MARKER_DIR}/{MANIFEST}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        damaged = manifest.player.read(f"{MARKER_DIR}/{MANIFEST}", MAX_MANIFEST)
        if damaged is None:
            return None
        manifest.player.write_atomically(name, damaged)
    except (OSError, UnsafePath):
        return None
    return name


def _audio_files(root: Path, folder: str) -> list[tuple[str, os.stat_result]]:
    """Regular files under ``root/folder`` (no links followed; not podsync's temporary files,
    not playlists), sorted so that an original comes before its ``… (2)`` copy."""
    found = []
    for dirpath, _dirs, files in os.walk(root / folder):  # links to folders are not entered
        rel = os.path.relpath(dirpath, root)
        for name in files:
            if name.startswith(TMP_PREFIX) or name.endswith(PLAYLIST_SUFFIX):
                continue
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(dirpath, name))
                if stat.S_ISREG(info.st_mode):
                    found.append((name if rel == "." else f"{rel}/{name}", info))
    return sorted(found, key=lambda f: (len(f[0]), f[0]))


def _claim_playlists(root: Path, folder: str, manifest: Manifest) -> list[str]:
    """Claim the playlists in ``folder`` that list only files podsync holds."""
    claimed = []
    base = root / folder
    try:
        names = sorted(n for n in os.listdir(base) if n.endswith(PLAYLIST_SUFFIX))
    except OSError:
        return []
    for name in names:
        rel = f"{folder}/{name}" if folder else name
        if manifest.owns(rel):
            continue
        try:
            lines = (manifest.player.read(rel, MAX_PLAYLIST) or b"").decode().splitlines()
        except (OSError, UnicodeDecodeError, UnsafePath):
            continue
        paths = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        inside = [os.path.normpath(f"{folder}/{p}" if folder else p) for p in paths]
        if paths and all(p in manifest.files for p in inside):
            manifest.own(rel)
            claimed.append(rel)
    return claimed
