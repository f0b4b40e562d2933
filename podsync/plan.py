"""The planner: what to copy and what to delete, as a pure function of listings.

``make_plan`` reads no files and touches no network, so ``--dry-run`` is free
and the rules are tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from podsync.filters import CopyFilter, DeleteFilter, PlanState, newest_first
from podsync.model import MediaItem


@dataclass(frozen=True)
class Plan:
    """Deletes (target items, with reasons) then copies (source items, newest first)."""

    copies: tuple[MediaItem, ...]
    deletes: tuple[tuple[MediaItem, str], ...]
    kept: int = 0

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
        if not lines:
            lines.append(f"nothing to do: {target} is up to date with {source}")
        return lines


def make_plan(
    source: Iterable[MediaItem],
    target: Iterable[MediaItem],
    copy_filters: Sequence[CopyFilter],
    delete_filters: Sequence[DeleteFilter],
    state: PlanState,
) -> Plan:
    """Decide what to copy from ``source`` and delete from ``target``.

    The copy filters run over everything either side holds, so an episode the
    target still has competes fairly with the source's; the delete filters see
    which keys the copy filters selected.
    """
    held = {item.key: item for item in target}
    offered = {item.key: item for item in source}
    candidates = list({**held, **offered}.values())
    for copy_filter in copy_filters:
        candidates = copy_filter.select(candidates, state)
    wanted = {item.key for item in candidates}
    doomed: dict[str, tuple[MediaItem, str]] = {}
    for delete_filter in delete_filters:
        for item, reason in delete_filter.select(list(held.values()), wanted, state):
            doomed.setdefault(item.location, (item, reason))
    copies = [offered[k] for k in wanted if k in offered and k not in held]
    deletes = sorted(doomed.values(), key=lambda d: d[0].location)
    doomed_keys = {item.key for item, _ in deletes}
    kept = sum(1 for k in held if k in wanted and k not in doomed_keys)
    return Plan(tuple(newest_first(copies)), tuple(deletes), kept)
