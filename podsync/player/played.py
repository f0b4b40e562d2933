"""Played signals from the player: Rockbox's scrobbler log.

Rockbox appends one tab-separated row per play to ``/.scrobbler.log``
(Audioscrobbler portable log 1.1): artist, album, title, track, length,
rating (``L`` listened past half, ``S`` skipped), timestamp, MusicBrainz id.
podsync reads only the rows added since its last push, never writes the log,
and matches ``L`` rows to its episodes through the tags it wrote
(album = podcast, title = episode title).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podsync.model import Episode
from podsync.player.guard import UnsafePath, open_regular
from podsync.player.manifest import Entry

SCROBBLER_LOG = ".scrobbler.log"


@dataclass(frozen=True, slots=True)
class Scrobble:
    artist: str
    album: str
    title: str
    rating: str
    timestamp: int


def read_scrobbles(root: Path, offset: int) -> tuple[list[Scrobble], int]:
    """The complete rows after byte ``offset`` of the player's log, and the new offset.

    A log shorter than ``offset`` was cleared or replaced: it is read from the start.
    """
    try:
        with os.fdopen(open_regular(root, SCROBBLER_LOG), "rb") as log:
            size = log.seek(0, 2)
            start = offset if offset <= size else 0
            log.seek(start)
            data = log.read()
    except (FileNotFoundError, UnsafePath):  # a FIFO there must not hang the push
        return [], 0
    end = data.rfind(b"\n") + 1  # a row still being written waits for the next push
    rows = [parse_row(line) for line in data[:end].decode("utf-8", "replace").splitlines()]
    return [r for r in rows if r is not None], start + end


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
    """Keys of the episodes on the player that ``L`` rows say were listened to."""
    by_tags = {(e.podcast.casefold(), e.title.casefold()): e.key for e in files.values()}
    keys = set()
    for row in scrobbles:
        if row.rating == "L":
            key = by_tags.get((row.album.casefold(), row.title.casefold()))
            if key is not None:
                keys.add(key)
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
