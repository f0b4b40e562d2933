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
from collections.abc import Iterable, Mapping, Sequence, Set
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
    why: Mapping[str, str] = field(default_factory=dict)
    """For a key the copy filters dropped: the reason of the first one that did."""


class CopyFilter(Protocol):
    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        """The subset of ``items`` that passes, in the same order."""
        ...

    def why(self, item: MediaItem) -> str:
        """Why ``select`` dropped ``item``: the setting, in a few words."""
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

    def why(self, item: MediaItem) -> str:
        return "finished: deleted or played on this player"


@dataclass(frozen=True)
class NotPlayed:
    """Drop episodes the user has played."""

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.key not in state.played]

    def why(self, item: MediaItem) -> str:
        return "played"


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

    def why(self, item: MediaItem) -> str:
        title = item.podcast.casefold()
        for pattern in self.exclude:
            if fnmatch.fnmatchcase(title, pattern.casefold()):
                return f"exclude: matches {pattern!r}"
        return f"include: matches none of {', '.join(repr(p) for p in self.include)}"


@dataclass(frozen=True)
class MaxAge:
    """Drop episodes published more than ``days`` ago (undated ones stay); ``per_podcast``
    gives some podcasts their own limit (0: none)."""

    days: int
    per_podcast: tuple[tuple[str, int], ...] = ()

    def days_for(self, podcast: str) -> int:
        return dict(self.per_podcast).get(podcast, self.days)

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        limits = dict(self.per_podcast)
        return [
            i
            for i in items
            if i.published <= 0
            or not limits.get(i.podcast, self.days)
            or i.published >= state.now - limits.get(i.podcast, self.days) * DAY
        ]

    def why(self, item: MediaItem) -> str:
        return f"max_age: published more than {self.days_for(item.podcast)} days ago"


@dataclass(frozen=True)
class NewestPerPodcast:
    """Keep the newest ``count`` episodes of each podcast (``per_podcast``: its own count)."""

    count: int
    per_podcast: tuple[tuple[str, int], ...] = ()

    def count_for(self, podcast: str) -> int:
        return dict(self.per_podcast).get(podcast, self.count)

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        counts = dict(self.per_podcast)
        seen: dict[str, int] = defaultdict(int)
        keep = set()
        for item in newest_first(items):
            if seen[item.podcast] < counts.get(item.podcast, self.count):
                seen[item.podcast] += 1
                keep.add(item.key)
        return [i for i in items if i.key in keep]

    def why(self, item: MediaItem) -> str:
        return f"keep: not among the newest {self.count_for(item.podcast)} of {item.podcast}"


@dataclass(frozen=True)
class Without:
    """Drop these ``podcasts`` (by title), for ``reason`` (such as "sync = false")."""

    podcasts: frozenset[str]
    reason: str

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.podcast not in self.podcasts]

    def why(self, item: MediaItem) -> str:
        return self.reason


@dataclass(frozen=True)
class NotIn:
    """Drop the episodes ``keys`` names, for ``reason`` (unsubscribed podcasts, for one)."""

    keys: frozenset[str]
    reason: str

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.key not in self.keys]

    def why(self, item: MediaItem) -> str:
        return self.reason


@dataclass(frozen=True)
class AnyOf:
    """Pass what any one of ``chains`` (each a list of filters run in turn) passes."""

    chains: tuple[tuple[CopyFilter, ...], ...]

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        passed: set[str] = set()
        for chain in self.chains:
            candidates = list(items)
            for copy_filter in chain:
                candidates = copy_filter.select(candidates, state)
            passed.update(i.key for i in candidates)
        return [i for i in items if i.key in passed]

    def why(self, item: MediaItem) -> str:
        return "wanted by no player and not among the episodes to fetch"


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
            (i, selection.why.get(i.key, "no longer among the episodes to keep"))
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
