"""Property test: pushes over player folders seeded with the user's files, links (to files
and folders off the player), FIFOs, folders and case-twins, at the very names podsync
uses.  No byte of the user's changes, nothing is written off the player, nothing hangs."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podsync.config import Config
from podsync.errors import DeviceError
from podsync.filters import PlanState, Space
from podsync.model import MediaItem
from podsync.names import episode_path
from podsync.player.guard import Player
from podsync.player.lock import player_lock
from podsync.player.manifest import Entry, Manifest
from podsync.player.played import read_scrobbles
from podsync.push import copy_filters, delete_filters
from podsync.sizes import Budget
from podsync.steps.playlists import Playlists
from podsync.stores.device import DeviceStore
from podsync.sync import SyncManager
from podsync.tasks import TaskManager

from .test_plan_properties import Folder

KINDS = ("file", "link to a file", "link to a folder", "dangling link", "fifo", "folder")


@dataclass(frozen=True)
class Seeded:
    episodes: list[MediaItem]
    held: set[str]
    """Episodes podsync wrote; those in ``edited`` the user has changed since."""
    edited: set[str]
    seeds: list[tuple[str, str]]
    """The user's things on the player: (kind, path)."""
    keep: int
    delete_uncached: bool
    cached: set[str]


def twins(text: str) -> list[str]:
    return [text, text.upper(), text.lower()]


@st.composite
def players(draw: st.DrawFn) -> Seeded:
    count = draw(st.integers(1, 6))
    episodes = [
        MediaItem(
            f"k{n}",
            draw(st.sampled_from(["Tech Talk", "TECH TALK", "News"])),
            draw(st.sampled_from(["Ep", "EP", "Other"])),
            float(draw(st.integers(1, 4)) * 86400),
            f"k{n}.mp3",
            draw(st.integers(1, 300)),
        )
        for n in range(count)
    ]
    keys = [e.key for e in episodes]
    held = draw(st.sets(st.sampled_from(keys)))
    names = ["Podcasts/" + "/".join(episode_path(e)) for e in episodes]
    places = sorted(
        {
            *[variant for name in names for variant in twins(name)],
            *[f"Podcasts/{variant}" for p in ("Tech Talk", "News") for variant in twins(p)],
            *[f"Podcasts/{p}.m3u8" for p in ("News", "tech talk", "All podcasts")],
            ".scrobbler.log",
            ".podsync/journal",
            ".podsync/lock",
            "Podcasts/.podsync-k0.part",
            "Music/song.mp3",
        }
    )
    seeds = draw(
        st.lists(
            st.tuples(st.sampled_from(KINDS), st.sampled_from(places)),
            max_size=6,
            unique_by=lambda s: s[1].casefold(),
        )
    )
    return Seeded(
        episodes,
        held,
        draw(st.sets(st.sampled_from(sorted(held)))) if held else set(),
        seeds,
        draw(st.integers(1, 3)),
        draw(st.booleans()),
        draw(st.sets(st.sampled_from(keys))),
    )


def build(world: Seeded, root: Path) -> tuple[Folder, Path, Path, list[str], list[tuple[str, str]]]:
    """The cache, the player, a folder off it, the episodes the user edited, and the
    user's things on the player (kind, path)."""
    cache, player, outside = root / "cache", root / "player", root / "outside"
    for folder in (cache, player, outside / "docs"):
        folder.mkdir(parents=True)
    (outside / "docs" / "letter.txt").write_bytes(b"the user's letter")
    (outside / "song.mp3").write_bytes(b"the user's song")
    for e in world.episodes:
        (cache / e.location).write_bytes(bytes([int(e.key[1:])]) * (e.size or 0))
    manifest, edited = Manifest(player), []
    for e in world.episodes:
        if e.key in world.held:
            path = held_path(e, manifest)
            (player / path).parent.mkdir(parents=True, exist_ok=True)
            (player / path).write_bytes(bytes(e.size or 0))
            mtime = (player / path).stat().st_mtime
            entry = Entry(e.key, e.size or 0, e.podcast, e.title, e.published, "mp3", mtime)
            manifest.files[path] = entry
            if e.key in world.edited:
                (player / path).write_bytes(b"the user's edit")
                # An edit comes later than the copy. (One of the same size within FAT's
                # 2 s of it, or a whole number of quarter hours later, which a time zone
                # change also gives, is one that size and mtime cannot tell from the copy.)
                os.utime(player / path, (mtime + 1000, mtime + 1000))
                edited.append(path)
    manifest.save()
    placed: list[tuple[str, str]] = []
    for kind, place in world.seeds:
        path = player / place
        if os.path.lexists(path) and not path.is_dir():
            path.unlink()  # the user's thing takes the place of podsync's file
        if os.path.lexists(path):
            continue  # podsync's folder
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            continue  # a file of the user's is where this one's folder would be
        placed.append((kind, place))
        if kind == "file":
            path.write_bytes(f"the user's {place}".encode())
        elif kind == "link to a file":
            path.symlink_to(outside / "song.mp3")
        elif kind == "link to a folder":
            path.symlink_to(outside / "docs")
        elif kind == "dangling link":
            path.symlink_to(outside / "nothing")
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            path.mkdir()
            (path / "inside.txt").write_bytes(b"the user's")
    source = Folder(cache, [e for e in world.episodes if e.key in world.cached])
    return source, player, outside, edited, placed


def held_path(episode: MediaItem, manifest: Manifest) -> str:
    """Where podsync put ``episode``: its own name, or another when an earlier one has it."""
    path = "Podcasts/" + "/".join(episode_path(episode))
    if path.casefold() in {p.casefold() for p in manifest.files}:
        path = f"Podcasts/{episode_path(episode)[0]}/held {episode.key}.mp3"
    return path


def users(seeds: list[tuple[str, str]], player: Path, edited: list[str]) -> dict[str, object]:
    """What the user put on the player (and the edited episodes), as it is now.

    (A file at a name of podsync's temporary files, ``.podsync-*.part``, is podsync's
    leftover and is removed: those names are podsync's.)
    """
    places = [p for kind, p in seeds if not (kind == "file" and p.endswith(".part"))]
    places += [f"{p}/inside.txt" for kind, p in seeds if kind == "folder"]
    return {place: describe(player / place) for place in {*places, *edited}}


def describe(path: Path) -> object:
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_fifo():
        return "fifo"
    if path.is_dir():  # (on FAT a podcast's folder of another case is the user's folder)
        return "folder"
    return path.read_bytes() if path.exists() else None


def tree(folder: Path) -> dict[str, object]:
    return {str(p.relative_to(folder)): describe(p) for p in sorted(folder.rglob("*"))}


def push(world: Seeded, source: Folder, root: Path) -> None:
    """The steps of ``podsync push`` on one player, as ``push._sync`` runs them."""
    player = Player(root)
    try:
        with player_lock(player, wait=0):
            manifest = Manifest.load(root, player)
            target = DeviceStore(root, "Podcasts", manifest)
            read_scrobbles(root, {})
            target.clean_stale()
            values = Config.defaults().values
            keep = {"keep": world.keep, "delete_uncached": world.delete_uncached}
            cfg = Config({s: {**v, **(keep if s == "filters" else {})} for s, v in values.items()})
            space = Space(10**9, 10**9, 0, Budget.parse(""), 512)
            state = PlanState(1e9, frozenset(target.finished_keys()), frozenset(), space)
            with TaskManager(2, 2) as tasks:
                manager = SyncManager(
                    source,
                    target,
                    copy_filters(cfg),
                    delete_filters(cfg),
                    finish_steps=[Playlists(root, "Podcasts", manifest)],
                    tasks=tasks,
                )
                manager.execute(manager.plan(state))
    except DeviceError:
        pass  # a link where podsync keeps its records, or a lock: refused, which is fine


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(players())
def test_no_byte_of_the_users_changes_and_nothing_is_written_off_the_player(
    world: Seeded,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, player, outside, edited, seeds = build(world, Path(tmp))
        before, off = users(seeds, player, edited), tree(outside)
        for _ in range(2):
            push(world, source, player)
            assert users(seeds, player, edited) == before
            assert tree(outside) == off
            assert sorted(os.listdir(tmp)) == ["cache", "outside", "player"]
        try:
            owned = Manifest.load(player).files
        except DeviceError:
            return  # a link or a file at .podsync/journal: the pushes were refused
        replaced = {*edited, *(place for _kind, place in seeds)}
        for path, entry in owned.items():
            if path not in replaced:  # (a change is noticed when the file is to be deleted)
                assert (player / path).is_file() and not (player / path).is_symlink(), path
                assert (player / path).stat().st_size == entry.size, path
