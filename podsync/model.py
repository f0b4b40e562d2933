"""The value types: items that flow between stores and the planner, and the records
the state database keeps (podcasts, episodes, devices)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One episode as a store holds it.

    ``key`` is the episode's identity, the same in every store, so listings of
    two stores can be compared; ``location`` is where *this* store keeps it (a
    URL for a feed, a path for the cache or a player).
    """

    key: str
    podcast: str
    title: str
    published: float
    location: str
    size: int | None = None
    ext: str = "mp3"
    author: str = ""
    feed: str = ""
    """The feed's stable identity (``podsync.identity``), written into the player's tags."""

    @property
    def label(self) -> str:
        return f"{self.podcast} — {self.title}"


@dataclass(frozen=True)
class Plan:
    """Deletes (target items, with reasons), then copies (source items, newest first).

    ``unfit`` are copies the copy filters wanted that the target has no room for;
    ``skipped`` the source's other items the target lacks, each with the filter that
    kept it off.
    """

    copies: tuple[MediaItem, ...]
    deletes: tuple[tuple[MediaItem, str], ...]
    kept: int = 0
    unfit: tuple[tuple[MediaItem, str], ...] = ()
    skipped: tuple[tuple[MediaItem, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.copies and not self.deletes

    @property
    def copy_bytes(self) -> int:
        return sum(i.size or 0 for i in self.copies)

    def describe(self, source: str, target: str, explain: bool = False) -> list[str]:
        """Human-readable lines, one per action (``explain``: and per episode left off)."""
        lines = [f"delete  {item.location}  ({reason})" for item, reason in self.deletes]
        lines += [f"copy    {item.label}" for item in self.copies]
        lines += [f"no room {item.label}  ({reason})" for item, reason in self.unfit]
        if explain:
            lines += [f"skip    {item.label}  ({reason})" for item, reason in self.skipped]
        if not self.copies and not self.deletes:
            lines.insert(0, f"nothing to do: {target} is up to date with {source}")
        return lines


@dataclass(frozen=True, slots=True)
class Podcast:
    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    status: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Episode:
    """An episode as the feed described it, and where the cache holds it."""

    key: str
    podcast_id: int
    podcast: str
    guid: str
    title: str
    author: str
    url: str
    size: int | None
    ext: str
    published: float
    cache_path: str | None


@dataclass(frozen=True, slots=True)
class Identity:
    """How udev knows a player's file system and drive (any part may be unknown)."""

    fs_uuid: str | None = None
    fs_label: str | None = None
    serial: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fs_uuid or self.serial)


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    path: str
    folder: str
    last_sync_at: float | None
    last_result: str | None
    identity: Identity = Identity()
    profile: str | None = None
    """The player profile chosen at ``device add`` (see ``player/profiles.py``)."""


@dataclass(frozen=True, slots=True)
class LogPosition:
    """How far a log was read, and a fingerprint of its start (to tell a replaced log)."""

    offset: int = 0
    head: str = ""
    """sha1 of the log's first ``min(offset, 1024)`` bytes; empty: not known."""

    @staticmethod
    def encode(positions: dict[str, LogPosition]) -> str:
        """Positions by log name, as the state database keeps them (JSON)."""
        import json

        return json.dumps({name: [p.offset, p.head] for name, p in positions.items()})

    @staticmethod
    def decode(text: str) -> dict[str, LogPosition]:
        """What :meth:`encode` wrote; nothing (every log read again) if it is damaged."""
        import json

        try:
            return {name: LogPosition(int(o), str(h)) for name, (o, h) in json.loads(text).items()}
        except (ValueError, TypeError, AttributeError):
            return {}  # reading a row twice marks nothing twice


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """An episode parsed from a feed, before it has a row."""

    guid: str
    title: str
    author: str
    url: str
    mime: str
    size: int | None
    ext: str
    published: float


@dataclass(frozen=True, slots=True)
class PodcastCounts:
    known: int = 0
    cached: int = 0
    played: int = 0
    cache_bytes: int = 0
