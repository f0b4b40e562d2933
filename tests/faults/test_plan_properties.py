"""Property tests of planning and doing a push, on a real folder: random players (podsync's
files, files the user deleted, the user's own files, some at the very names podsync would
pick), random caches, filters and budgets."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from podsync.config import Config
from podsync.fileio import copy_file
from podsync.filters import PlanState, Space
from podsync.model import MediaItem
from podsync.names import episode_path
from podsync.player.manifest import Entry, Manifest
from podsync.sizes import Budget
from podsync.stores.base import MediaStore, Transfer
from podsync.stores.device import DeviceStore
from podsync.sync import SyncManager
from podsync.tasks import Task, TaskManager, TaskState
from podsync.wanted import copy_filters, delete_filters

BLOCK = 512
NOW = 100.0


class Folder(MediaStore):
    """A cache stand-in: ``items`` whose bytes are files in ``root``."""

    def __init__(self, root: Path, items: list[MediaItem]) -> None:
        self.root = root
        self.items = items

    def list(self) -> list[MediaItem]:
        return list(self.items)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        copy_file(self.root / item.location, dest, transfer.advance)


@dataclass(frozen=True)
class World:
    episodes: list[MediaItem]
    cached: set[str]
    held: set[str]
    """Episodes podsync put on the player; those in ``deleted`` the user has removed since."""
    deleted: set[str]
    foreign: list[str]
    """The user's own files: some at the paths podsync would pick, some elsewhere."""
    played: set[str]
    settings: dict[str, dict[str, object]]
    free: int


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(0, 10))
    episodes = [
        MediaItem(
            f"k{n}",
            draw(st.sampled_from(["Alpha", "Beta", "Gamma"])),
            draw(st.sampled_from(["Talk", "talk", "News: today", "CON"])),
            float(draw(st.integers(1, 50))),
            f"cache/k{n}.mp3",
            draw(st.integers(1, 2000)),
        )
        for n in range(count)
    ]
    keys = [e.key for e in episodes]
    subset = st.sets(st.sampled_from(keys)) if keys else st.just(set())
    held = draw(subset)
    at_podsync_names = [
        "Podcasts/" + "/".join(episode_path(e)) for e in episodes if e.key not in held
    ]
    foreign = draw(
        st.lists(
            st.sampled_from(
                [*at_podsync_names, "Music/song.mp3", "Podcasts/Alpha/mine.mp3", "notes.txt"]
            ),
            unique=True,
        )
    )
    budget = draw(st.sampled_from(["", "2 kB", "6 kB", "10% free"]))
    return World(
        episodes,
        cached=draw(subset),
        held=held,
        deleted=draw(subset) & held,
        foreign=[
            f for f in foreign if f.casefold() not in {p.casefold() for p in foreign if p < f}
        ],
        played=draw(subset),
        settings={
            "filters": {
                "keep": draw(st.integers(1, 3)),
                "include": draw(st.sampled_from([[], ["alpha"], ["*a"]])),
                "delete_played": draw(st.booleans()),
                "delete_unwanted": draw(st.booleans()),
                "delete_uncached": draw(st.booleans()),
                "budget": budget,
            },
        },
        free=draw(st.integers(0, 40_000)),
    )


def build(world: World, root: Path) -> tuple[Folder, Path, dict[str, bytes]]:
    """The cache and the player on disk; returns the cache, the player and the user's files."""
    cache, player = root / "cache", root / "player"
    cache.mkdir()
    player.mkdir()
    for e in world.episodes:
        (cache / f"{e.key}.mp3").write_bytes(bytes(e.size or 0))
    manifest = Manifest(player)
    for e in world.episodes:
        if e.key in world.held:
            path = f"Podcasts/{episode_path(e)[0]}/held {e.key}.mp3"
            manifest.files[path] = Entry(e.key, e.size or 0, e.podcast, e.title, e.published, "mp3")
            if e.key not in world.deleted:
                (player / path).parent.mkdir(parents=True, exist_ok=True)
                (player / path).write_bytes(bytes(e.size or 0))
    manifest.save()
    mine = {}
    for n, path in enumerate(world.foreign):
        (player / path).parent.mkdir(parents=True, exist_ok=True)
        mine[path] = f"the user's file {n}".encode()
        (player / path).write_bytes(mine[path])
    items = [
        MediaItem(e.key, e.podcast, e.title, e.published, f"{e.key}.mp3", e.size)
        for e in world.episodes
        if e.key in world.cached
    ]
    return Folder(cache, items), player, mine


def settings_of(world: World) -> Config:
    values = Config.defaults().values
    return Config({s: {**v, **world.settings.get(s, {})} for s, v in values.items()})


def push_once(world: World, source: Folder, player: Path, free: int, events: list[Task]):
    """Plan and do one push to ``player``, whose file system has ``free`` bytes free."""
    cfg = settings_of(world)
    target = DeviceStore(player, "Podcasts", Manifest.load(player))
    budget = Budget.parse(cfg.get("filters", "budget"))
    space = Space(2 * world.free + 1, free, 0, budget, BLOCK)
    state = PlanState(NOW, frozenset(target.finished_keys()), frozenset(world.played), space)
    with TaskManager(
        2, 2, lambda t: events.append(t) if t.state == TaskState.RUNNING else None
    ) as tasks:
        manager = SyncManager(source, target, copy_filters(cfg), delete_filters(cfg), tasks=tasks)
        plan = manager.plan(state)
        owned = set(target.manifest.files)
        used_before = sum(state.space.footprint(i.size or 0) for i in target.list())
        result = manager.execute(plan)
    return plan, result, owned, used_before, state.space


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_a_push_keeps_its_promises(world: World) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, player, mine = build(world, Path(tmp))
        events: list[Task] = []
        plan, result, owned, used_before, space = push_once(
            world, source, player, world.free, events
        )
        assert not result.failed, [t.error for t in result.failed]

        # Only files in the manifest are ever planned for deletion ...
        assert {item.location for item, _ in plan.deletes} <= owned
        # ... and the user's files are all still there, unchanged, whatever their names.
        for path, data in mine.items():
            assert (player / path).read_bytes() == data, path

        # Deletes run before copies.
        kinds = [t.kind for t in events]
        assert kinds == sorted(kinds, key=lambda kind: kind != "delete")

        # Copies fit in the room: the free space after the deletes and the budget.
        freed = sum(space.footprint(i.size or 0) for i, _ in plan.deletes)
        copied = sum(space.footprint(i.size or 0) for i in plan.copies)
        assert copied <= space.free + freed
        budget = space.budget
        if budget.bytes is not None and plan.copies:
            assert used_before - freed + copied <= budget.bytes
        if budget.free is not None:
            assert copied <= max(space.free + freed - int(space.total * budget.free), 0)

        # Planning again after doing the plan finds nothing to do.
        again, *_ = push_once(world, source, player, space.free + freed - copied, [])
        assert again.empty, again.describe("cache", "player")
        for path, data in mine.items():
            assert (player / path).read_bytes() == data, path
