"""The quick check: an unchanged player is known up to date without planning, and any
change to what a plan is made from makes the next push a full one."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podsync import player_sync, quickcheck
from podsync.app import App
from podsync.devices import resolve
from podsync.filters import DAY, MaxAge, NewestPerPodcast, PlanState
from podsync.model import MediaItem
from podsync.plan import make_plan
from podsync.progress import Progress
from podsync.push import push
from podsync.quickcheck import QuickCheck

QUICK = "nothing changed since the last push"
FULL = "nothing copied or deleted"


@pytest.fixture
def settled(podsync, make_podcast, player: Path):
    """A player holding three episodes, pushed twice: the second push found nothing to do."""
    podcast = make_podcast("science", "Science Hour", 3)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "stick")
    podsync("push", "stick")
    assert FULL in podsync("push", "stick").stdout
    return podcast


def push_json(podsync) -> dict:
    return json.loads(podsync("push", "stick", "--json").stdout)["pushes"][0]


def last_sync(name: str) -> float | None:
    with App.open() as app:
        device = app.state.device(name)
        assert device is not None
        return device.last_sync_at


def test_an_unchanged_player_is_up_to_date_without_planning(podsync, settled, player) -> None:
    before = {p: p.stat().st_mtime_ns for p in player.rglob("*") if p.is_file()}
    synced = last_sync("stick")
    out = podsync("push", "stick").stdout
    assert f"up to date, {QUICK} (3 episodes there)" in out
    report = push_json(podsync)
    assert report["quick_check"] is True and report["ok"] is True
    assert report["plan"]["kept"] == 3 and report["plan"]["copy"] == []
    assert report["result"]["copied"] == 0
    assert {p: p.stat().st_mtime_ns for p in player.rglob("*") if p.is_file()} == before
    dry = json.loads(podsync("push", "stick", "--dry-run", "--json").stdout)["pushes"][0]
    assert dry["quick_check"] is True and dry["result"] is None
    assert last_sync("stick") > synced  # still recorded as a sync


def _episodes(player: Path) -> list[Path]:
    return sorted(player.rglob("*.mp3"))


def _add_episode(podsync, podcast, player: Path) -> Callable[[], None]:
    podcast.add_episode("Brand new", time.time())
    podsync("fetch")

    def check() -> None:
        assert any("Brand new" in p.name for p in _episodes(player))

    return check


def _delete_on_player(podsync, podcast, player: Path) -> Callable[[], None]:
    gone = _episodes(player)[0]
    gone.unlink()

    def check() -> None:
        assert not gone.exists()  # done on this player: not copied back
        assert len(_episodes(player)) == 2

    return check


def _mark_played(podsync, podcast, player: Path) -> Callable[[], None]:
    podsync("mark-played", "Science Hour", "episode 3")  # played episodes are deleted

    def check() -> None:
        assert not any("episode 3" in p.name for p in _episodes(player))

    return check


def _edit_config(podsync, podcast, player: Path) -> Callable[[], None]:
    podsync.home.joinpath("config", "config.toml").write_text("[filters]\nkeep = 1\n")

    def check() -> None:
        assert len(_episodes(player)) == 1

    return check


def _edit_playlist(podsync, podcast, player: Path) -> Callable[[], None]:
    playlist = next(player.rglob("Science Hour.m3u8"))
    original = playlist.read_bytes()
    playlist.write_bytes(original.replace(b".mp3", b".MP3"))

    def check() -> None:
        assert playlist.read_bytes() == original

    return check


def _scrobble(podsync, podcast, player: Path) -> Callable[[], None]:
    title = "Science Hour episode 1"
    (player / ".scrobbler.log").write_text(
        "#AUDIOSCROBBLER/1.1\n#TZ/UNKNOWN\n#CLIENT/Rockbox\n"
        f"Science Hour\tScience Hour\t{title}\t1\t1\tL\t1700000000\t\n"
    )

    def check() -> None:
        assert not any("episode 1" in p.name for p in _episodes(player))

    return check


def _stale_part(podsync, podcast, player: Path) -> Callable[[], None]:
    stale = next(player.rglob("*.mp3")).with_name(".podsync-0123456789abcdef.part")
    stale.write_bytes(b"half")

    def check() -> None:
        assert not stale.exists()

    return check


@pytest.mark.parametrize(
    "change",
    [
        _add_episode,
        _delete_on_player,
        _mark_played,
        _edit_config,
        _edit_playlist,
        _scrobble,
        _stale_part,
    ],
)
def test_any_change_makes_the_next_push_a_full_one(podsync, settled, player, change) -> None:
    assert QUICK in podsync("push", "stick").stdout
    check = change(podsync, settled, player)
    report = push_json(podsync)
    assert report["quick_check"] is False
    check()
    podsync("push", "stick")  # whatever the full push found, the next one has nothing to do
    assert QUICK in podsync("push", "stick").stdout


def test_push_options_are_part_of_the_check_and_full_skips_it(podsync, settled) -> None:
    assert QUICK in podsync("push", "stick").stdout
    assert QUICK not in podsync("push", "stick", "--no-delete").stdout
    assert FULL in podsync("push", "stick", "--full").stdout  # planned from scratch
    assert QUICK in podsync("push", "stick").stdout  # and the record still stands


def test_a_change_during_the_push_is_not_recorded_as_settled(
    podsync, settled, player, home, monkeypatch
) -> None:
    """A fetch landing an episode while a push plans must not be hidden by the quick check."""
    full = player_sync.sync_player

    def racing(app, *args, **kwargs):
        report = full(app, *args, **kwargs)
        settled.add_episode("Landed mid-push", time.time())
        podsync("fetch")  # another process, while this push still holds the lock
        return report

    monkeypatch.setattr(player_sync, "sync_player", racing)
    with App.open() as app:
        ((device, path),) = resolve(app.state, "stick")
        app.state.set_quick_check(device.id, None)  # so that this push plans
        report = push(app, device, path, Progress("test", enabled=False))
        assert not report.quick and report.plan.empty
        assert app.state.quick_check(device.id) is None
    monkeypatch.undo()
    out = podsync("push", "stick").stdout
    assert "copied 1" in out and "Landed mid-push" in out


def test_the_check_holds_only_until_the_plan_expires() -> None:
    check = QuickCheck("f", taken=1000.0, expires=2000.0, kept=3)
    assert check.holds("f", 1500.0)
    assert not check.holds("g", 1500.0)  # something changed
    assert not check.holds("f", 2000.0)  # an episode ages out
    assert not check.holds("f", 999.0)  # the clock went back
    assert QuickCheck.loads(check.dumps()) == check
    assert QuickCheck.loads("not json") is None and QuickCheck.loads(None) is None


def test_an_age_limit_gives_the_plan_its_expiry() -> None:
    now = 100 * DAY

    def item(key: str, days_old: float) -> MediaItem:
        return MediaItem(key, "Pod", key, now - days_old * DAY, f"Pod/{key}.mp3", 1)

    items = [item("old", 20), item("young", 3), item("younger", 1), item("undated", 0)]
    items[-1] = MediaItem("undated", "Pod", "undated", 0, "Pod/undated.mp3", 1)
    state = PlanState(now=now)
    plan = make_plan(items, [], [MaxAge(7), NewestPerPodcast(10)], [], state)
    assert plan.expires == now + 4 * DAY  # "young" turns 7 days old
    assert make_plan(items, [], [NewestPerPodcast(10)], [], state).expires is None


def test_the_state_generation_moves_with_what_plans_read(home: Path, podsync, settled) -> None:
    with App.open() as app:
        state = app.state
        device = state.device("stick")
        assert device is not None
        start = state.generation()
        state.record_sync(device.id, device.path, "ok", None)  # bookkeeping moves nothing
        state.set_quick_check(device.id, None)
        state.set_scrobbler_offset(device.id, state.scrobbler_offset(device.id))
        assert state.generation() == start
        key = state.episodes()[0].key
        state.mark_played([key])
        assert state.generation() > start
        moved = state.generation()
        state.mark_played([key])  # already played: no change
        assert state.generation() == moved
    db = sqlite3.connect(home / "state" / "state.db")
    db.execute("UPDATE podcasts SET title = 'Renamed'")
    db.commit()
    assert db.execute("SELECT n FROM generation").fetchone()[0] > moved
    db.close()


def test_record_survives_as_text(home: Path, podsync, settled) -> None:
    podsync("push", "stick")
    with App.open() as app:
        device = app.state.device("stick")
        assert device is not None
        check = quickcheck.recorded(app.state, device)
        assert check is not None and check.kept == 3 and check.expires is None


def test_settings_changed_during_a_run_are_not_recorded_as_seen(podsync, settled) -> None:
    """A push records the settings it planned with, not the file as it is by then."""
    with App.open() as app:  # loaded before the edit, as a push of several players is
        app.home.config_file.write_text("[filters]\nkeep = 1\n")
        ((device, path),) = resolve(app.state, "stick")
        app.state.set_quick_check(device.id, None)
        report = push(app, device, path, Progress("test", enabled=False))
        assert report.plan.empty  # planned with the settings it had
    pushed = push_json(podsync)
    assert pushed["quick_check"] is False and pushed["result"]["deleted"] == 2


def test_files_outside_the_folder_keep_the_check_off(podsync, settled, player: Path) -> None:
    """podsync's files left in an old folder are not walked, so nothing is recorded."""
    podsync("device", "remove", "stick")
    podsync("device", "add", str(player), "--name", "stick", "--folder", "Other")
    podsync("push", "stick")
    assert (player / "Podcasts").is_dir() and (player / "Other").is_dir()
    assert push_json(podsync)["quick_check"] is False
    assert push_json(podsync)["quick_check"] is False


def test_a_linked_cache_folder_is_watched_through_the_link(
    podsync, settled, home: Path, tmp_path: Path, player: Path
) -> None:
    folder = next(p for p in (home / "cache" / "episodes").iterdir() if p.is_dir())
    elsewhere = tmp_path / "other-disk"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere)
    podsync("push", "stick")
    assert QUICK in podsync("push", "stick").stdout
    next(elsewhere.glob("*.mp3")).unlink()  # removed by hand, through the link
    assert push_json(podsync)["quick_check"] is False
