"""Copy and delete filters: small, composable, and pure.

A copy filter narrows the candidate episodes to those the target should
hold; a delete filter names the target's episodes to remove, with a reason.
Both see only listings and the plan state, never the file system, so they
are tested as plain functions.  To add one, implement ``select`` and add it
to the lists that :mod:`podsync.push` or :mod:`podsync.fetch` build (see
docs/architecture.md).
"""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from podsync.model import MediaItem
from podsync.sizes import Budget

DAY = 86400


@dataclass(frozen=True)
class Space:
    """A target's space, for fitting copies into it."""

    total: int
    free: int
    reserve: int = 0
    budget: Budget = field(default_factory=Budget)
    block: int = 1
    """Allocation unit: a file takes its size rounded up to this."""

    def footprint(self, size: int) -> int:
        return -(-size // self.block) * self.block

    @classmethod
    def of_disk(cls, path: Path, reserve: int, budget: Budget | None = None) -> Space:
        """The space of the file system that holds ``path`` (the one call here that reads)."""
        stat = os.statvfs(path)
        return cls(
            total=stat.f_blocks * stat.f_frsize,
            free=stat.f_bavail * stat.f_frsize,
            reserve=reserve,
            budget=budget or Budget(),
            block=stat.f_frsize or 1,
        )


@dataclass(frozen=True)
class PlanState:
    """What the planner knows besides the two listings."""

    now: float = 0.0
    done: Set[str] = frozenset()
    """Episodes finished on the target: never copied to it again."""
    played: Set[str] = frozenset()
    """Episodes the user has listened to, on any player."""
    space: Space | None = None
    """The target's space; None where it does not matter (the cache)."""


@dataclass(frozen=True)
class Selection:
    """What the delete filters look at: the target's items and the copy filters' verdict."""

    held: Sequence[MediaItem]
    offered: Set[str]
    """Keys the source still offers."""
    wanted: Set[str]
    """Keys the copy filters selected."""


class CopyFilter(Protocol):
    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        """The subset of ``items`` that passes, in the same order."""
        ...


class DeleteFilter(Protocol):
    def select(self, selection: Selection, state: PlanState) -> Iterable[tuple[MediaItem, str]]:
        """The held items to delete, each with a reason."""
        ...


def newest_first(items: Iterable[MediaItem]) -> list[MediaItem]:
    return sorted(items, key=lambda i: (-i.published, i.podcast, i.title, i.key))


# Copy filters


@dataclass(frozen=True)
class NotDone:
    """Drop episodes already finished on the target (the user deleted them there)."""

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.key not in state.done]


@dataclass(frozen=True)
class NotPlayed:
    """Drop episodes the user has played."""

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.key not in state.played]


@dataclass(frozen=True)
class Podcasts:
    """Keep podcasts whose title matches an ``include`` glob (all if none) and no ``exclude``."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if self.allows(i.podcast)]

    def allows(self, podcast: str) -> bool:
        title = podcast.casefold()

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(title, p.casefold()) for p in patterns)

        return (not self.include or matches(self.include)) and not matches(self.exclude)


@dataclass(frozen=True)
class MaxAge:
    """Drop episodes published more than ``days`` ago (undated ones stay)."""

    days: int

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        oldest = state.now - self.days * DAY
        return [i for i in items if i.published <= 0 or i.published >= oldest]


@dataclass(frozen=True)
class NewestPerPodcast:
    """Keep the newest ``count`` episodes of each podcast."""

    count: int

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        seen: dict[str, int] = defaultdict(int)
        keep = set()
        for item in newest_first(items):
            if seen[item.podcast] < self.count:
                seen[item.podcast] += 1
                keep.add(item.key)
        return [i for i in items if i.key in keep]


# Delete filters


@dataclass(frozen=True)
class Played:
    """Delete what the user has listened to."""

    def select(self, selection: Selection, state: PlanState) -> Iterable[tuple[MediaItem, str]]:
        return [(i, "played") for i in selection.held if i.key in state.played]


@dataclass(frozen=True)
class NotWanted:
    """Delete what the copy filters no longer select."""

    def select(self, selection: Selection, state: PlanState) -> Iterable[tuple[MediaItem, str]]:
        return [
            (i, "no longer among the episodes to keep")
            for i in selection.held
            if i.key not in selection.wanted
        ]


@dataclass(frozen=True)
class Uncached:
    """Delete what left the source (for a player: what is no longer in the cache)."""

    def select(self, selection: Selection, state: PlanState) -> Iterable[tuple[MediaItem, str]]:
        return [
            (i, "no longer in the cache") for i in selection.held if i.key not in selection.offered
        ]
