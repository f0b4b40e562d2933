"""The value types that flow between stores, the planner and the task manager."""

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

    @property
    def label(self) -> str:
        return f"{self.podcast} — {self.title}"
