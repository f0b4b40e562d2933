"""Played signals from the player: Rockbox's scrobbler log.

Rockbox appends one tab-separated row per play to ``/.scrobbler.log``
(``/.scrobbler-timeless.log`` on players without a clock; Audioscrobbler
portable log 1.1): artist, album, title, track, length, rating (``L``
listened past half, ``S`` skipped), timestamp, MusicBrainz id.  podsync
reads only the rows added since its last push (a log whose start changed is
read again from the start), never writes the log, and matches ``L`` rows to
its episodes through the tags it wrote (album = podcast, title = episode
title).
"""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podsync.model import Episode, LogPosition
from podsync.player.guard import UnsafePath, open_regular
from podsync.player.manifest import Entry

LOGS = (".scrobbler.log", ".scrobbler-timeless.log")
"""Rockbox's logs: with a clock, and (players without one, timestamps 0) timeless."""
HEAD = 1024
"""How many of a log's first bytes vouch that it is still the log read before."""


@dataclass(frozen=True, slots=True)
class Scrobble:
    artist: str
    album: str
    title: str
    rating: str
    timestamp: int


def read_scrobbles(
    root: Path, positions: Mapping[str, LogPosition]
) -> tuple[list[Scrobble], dict[str, LogPosition]]:
    """The complete rows added to each of the player's logs, and the new positions."""
    rows: list[Scrobble] = []
    after: dict[str, LogPosition] = {}
    for name in LOGS:
        new, after[name] = read_log(root, name, positions.get(name, LogPosition()))
        rows += new
    return rows, after


def read_log(root: Path, name: str, position: LogPosition) -> tuple[list[Scrobble], LogPosition]:
    """The complete rows of one log after ``position``, and the position after them.

    A log that is shorter than the position, or whose start changed (deleted
    and started again, truncated, replaced by a longer one), is read from the
    start: re-reading a row marks nothing twice, skipping one loses a play.
    """
    try:
        with os.fdopen(open_regular(root, name), "rb") as log:
            data = log.read()
    except (FileNotFoundError, NotADirectoryError, UnsafePath):  # a FIFO must not hang a push
        return [], LogPosition()
    start = position.offset
    if start > len(data) or (
        position.head and _fingerprint(data[: min(start, HEAD)]) != position.head
    ):
        start = 0
    end = start + data[start:].rfind(b"\n") + 1  # a row still being written waits
    end = max(end, start)
    lines = data[start:end].decode("utf-8", "replace").splitlines()
    rows = [r for r in map(parse_row, lines) if r is not None]
    return rows, LogPosition(end, _fingerprint(data[: min(end, HEAD)]))


def _fingerprint(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(data).hexdigest()


def parse_row(line: str) -> Scrobble | None:
    if not line or line.startswith("#"):
        return None
    fields = line.rstrip("\r").split("\t")
    if len(fields) < 7:
        return None
    try:
        timestamp = int(fields[6])
    except ValueError:
        timestamp = 0
    return Scrobble(fields[0], fields[1], fields[2], fields[5].strip().upper(), timestamp)


def listened(scrobbles: Iterable[Scrobble], files: Mapping[str, Entry]) -> set[str]:
    """Keys of the episodes on the player that ``L`` rows say were listened to.

    A row names an episode by the tags podsync wrote (album = podcast, title
    = episode title): the same text exactly, or, when only one episode has
    those tags ignoring case, that one.  Two episodes a row cannot tell apart
    are both left alone.
    """
    rows = [s for s in scrobbles if s.rating == "L"]
    if not rows:
        return set()  # no log, or nothing listened to: no index of the player needed
    exact: dict[tuple[str, str], set[str]] = defaultdict(set)
    folded: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in files.values():
        exact[(e.podcast, e.title)].add(e.key)
        folded[(e.podcast.casefold(), e.title.casefold())].add(e.key)
    keys = set()
    for row in rows:
        found = exact.get((row.album, row.title)) or folded.get(
            (row.album.casefold(), row.title.casefold()), set()
        )
        if len(found) == 1:
            keys |= found
    return keys


def title_matches(pattern: str, title: str) -> bool:
    """The one rule for naming podcasts and episodes on the command line: any case, a glob
    (``Tech*``) when ``pattern`` has ``*``, ``?`` or ``[``, else a part of ``title``."""
    pattern, title = pattern.casefold(), title.casefold()
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(title, pattern)
    return pattern in title


def select_episodes(
    episodes: Iterable[Episode], podcast: str, titles: Sequence[str]
) -> list[Episode]:
    """Episodes of podcasts matching ``podcast`` whose title matches one of ``titles``
    (all of the podcast's when there are none), by :func:`title_matches`."""
    return [
        e
        for e in episodes
        if title_matches(podcast, e.podcast)
        and (not titles or any(title_matches(t, e.title) for t in titles))
    ]
