"""The planner: what to copy and what to delete, as a pure function of listings.

``make_plan`` reads no files and touches no network, so ``--dry-run`` is free
and the rules are tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import replace

from podsync.filters import CopyFilter, DeleteFilter, PlanState, Selection, Space, newest_first
from podsync.model import MediaItem, Plan
from podsync.sizes import human_size


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
    which keys the copy filters selected; an episode deleted although selected
    gives its place up.  Copies then fill the room the target has left after
    the deletes, newest first.
    """
    held = {item.key: item for item in target}
    offered = {item.key: item for item in source}
    everything = list({**held, **offered}.values())
    excluded: set[str] = set()
    while True:
        candidates = [item for item in everything if item.key not in excluded]
        wanted, why = select(candidates, copy_filters, state)
        selection = Selection(list(held.values()), offered.keys(), wanted, why)
        doomed: dict[str, tuple[MediaItem, str]] = {}
        for delete_filter in delete_filters:
            for item, reason in delete_filter.select(selection, state):
                doomed.setdefault(item.location, (item, reason))
        # An episode deleted for a reason of its own (it left the cache) must not hold a
        # place another one could take, or the next plan would copy that one: plan again.
        clash = wanted & {item.key for item, _ in doomed.values()}
        if not clash:
            break
        excluded |= clash
    deletes = sorted(doomed.values(), key=lambda d: d[0].location)
    doomed_keys = {item.key for item, _ in deletes}
    copies = newest_first(offered[k] for k in wanted if k in offered and k not in held)
    unfit: list[tuple[MediaItem, str]] = []
    if state.space is not None:
        copies, unfit = _fit(copies, held.values(), doomed_keys, state.space)
    kept = sum(1 for k in held if k in wanted and k not in doomed_keys)
    skipped = newest_first(
        item for key, item in offered.items() if key not in held and key not in wanted
    )
    reasons = {**why, **dict.fromkeys(excluded, "deleted from this player for another reason")}
    return Plan(
        tuple(copies),
        tuple(deletes),
        kept,
        tuple(unfit),
        tuple((item, reasons.get(item.key, "not selected")) for item in skipped),
    )


def select(
    items: Sequence[MediaItem], copy_filters: Sequence[CopyFilter], state: PlanState
) -> tuple[set[str], dict[str, str]]:
    """Run the copy filters over ``items``: the keys they pass, and for each other key the
    reason of the first filter that dropped it."""
    why: dict[str, str] = {}
    candidates = list(items)
    for copy_filter in copy_filters:
        passed = copy_filter.select(candidates, state)
        kept = {item.key for item in passed}
        for item in candidates:
            if item.key not in kept:
                why.setdefault(item.key, copy_filter.why(item))
        candidates = passed
    return {item.key for item in candidates}, why


def explain_uncached(
    known: Sequence[MediaItem],
    present: Set[str],
    plan: Plan,
    copy_filters: Sequence[CopyFilter],
    state: PlanState,
) -> Plan:
    """``plan`` with the episodes ``known`` from the feeds that are neither cached nor on
    the target (``present``) added to its ``skipped``, each with the filter that keeps it
    off (run over all of ``known``, so newest-N counts the cached ones too), or "not
    downloaded yet" when none does."""
    _, why = select(known, copy_filters, state)
    extra = [
        (item, why.get(item.key, "not downloaded yet (podsync fetch)"))
        for item in newest_first(i for i in known if i.key not in present)
    ]
    return replace(plan, skipped=plan.skipped + tuple(extra))


def _fit(
    copies: list[MediaItem], held: Iterable[MediaItem], doomed: Set[str], space: Space
) -> tuple[list[MediaItem], list[tuple[MediaItem, str]]]:
    """Split ``copies`` (in priority order) into those that fit and those that do not."""
    freed = sum(space.footprint(i.size or 0) for i in held if i.key in doomed)
    used = sum(space.footprint(i.size or 0) for i in held if i.key not in doomed)
    room = space.budget.room(space.total, space.free + freed, used, space.reserve)
    fits, unfit = [], []
    for item in copies:
        size = space.footprint(item.size or 0)
        if size <= room:
            fits.append(item)
            room -= size
        else:
            unfit.append((item, f"needs {human_size(size)}, {human_size(room)} left"))
    return fits, unfit
