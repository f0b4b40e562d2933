"""Copy and delete filters: small, composable, and pure.

A copy filter narrows the candidate episodes to those the target should
hold; a delete filter names the target's episodes to remove, with a reason.
Both see only listings and the plan state, never the file system, so they
are tested as plain functions.  To add one, implement ``select`` and add it
to the list the command builds (see docs/architecture.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

from podsync.model import MediaItem


@dataclass(frozen=True)
class PlanState:
    """What the planner knows besides the two listings."""

    now: float = 0.0
    done: Set[str] = frozenset()
    """Episodes finished on the target: never copied to it again."""


class CopyFilter(Protocol):
    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        """The subset of ``items`` that passes, in the same order."""
        ...


class DeleteFilter(Protocol):
    def select(
        self, held: Sequence[MediaItem], wanted: Set[str], state: PlanState
    ) -> Iterable[tuple[MediaItem, str]]:
        """The items of ``held`` to delete, each with a reason."""
        ...


def newest_first(items: Iterable[MediaItem]) -> list[MediaItem]:
    return sorted(items, key=lambda i: (-i.published, i.podcast, i.title, i.key))


@dataclass(frozen=True)
class NotDone:
    """Drop episodes already finished on the target."""

    def select(self, items: Sequence[MediaItem], state: PlanState) -> list[MediaItem]:
        return [i for i in items if i.key not in state.done]


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


@dataclass(frozen=True)
class NotWanted:
    """Delete what the copy filters no longer select."""

    def select(
        self, held: Sequence[MediaItem], wanted: Set[str], state: PlanState
    ) -> Iterable[tuple[MediaItem, str]]:
        return [(i, "no longer among the episodes to keep") for i in held if i.key not in wanted]
