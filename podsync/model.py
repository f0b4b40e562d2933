"""The value types that flow between stores, the planner and the task manager."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from podsync.tasks import Task


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


@dataclass(frozen=True)
class Plan:
    """Deletes (target items, with reasons), then copies (source items, newest first).

    ``unfit`` are copies the copy filters wanted that the target has no room for;
    ``expires`` is when time alone may change the plan (None: never).
    """

    copies: tuple[MediaItem, ...]
    deletes: tuple[tuple[MediaItem, str], ...]
    kept: int = 0
    unfit: tuple[tuple[MediaItem, str], ...] = ()
    expires: float | None = None

    @property
    def empty(self) -> bool:
        return not self.copies and not self.deletes

    @property
    def copy_bytes(self) -> int:
        return sum(i.size or 0 for i in self.copies)

    def describe(self, source: str, target: str) -> list[str]:
        """Human-readable lines, one per action."""
        lines = [f"delete  {item.location}  ({reason})" for item, reason in self.deletes]
        lines += [f"copy    {item.label}" for item in self.copies]
        lines += [f"no room {item.label}  ({reason})" for item, reason in self.unfit]
        if not self.copies and not self.deletes:
            lines.insert(0, f"nothing to do: {target} is up to date with {source}")
        return lines


class TaskState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


NO_ROOM = "no room left on the target"


@dataclass
class SyncResult:
    """What a run did, from its task results."""

    plan: Plan
    tasks: list[Task] = field(default_factory=list)

    def _of(self, kind: str, state: TaskState) -> list[Task]:
        return [t for t in self.tasks if t.kind == kind and t.state == state]

    @property
    def copied(self) -> list[Task]:
        return self._of("copy", TaskState.DONE)

    @property
    def deleted(self) -> list[Task]:
        return self._of("delete", TaskState.DONE)

    @property
    def no_room(self) -> list[Task]:
        return [t for t in self.skipped if t.error == NO_ROOM]

    @property
    def failed(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.FAILED]

    @property
    def skipped(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.SKIPPED]

    @property
    def cancelled(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.CANCELLED]

    @property
    def copied_bytes(self) -> int:
        return sum(t.bytes for t in self.copied)
