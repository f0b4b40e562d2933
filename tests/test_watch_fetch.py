"""``podsync watch`` fetches: on plug-in when the feeds are stale, never holding the push
back past ``watch.fetch_timeout``, and every ``watch.fetch_interval``.

Real ``podsync watch`` processes, umockdev udev events, fusefat players and a
loopback feed server; the assertions are about what happens in which order,
never about how long it took.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from conftest import FatPlayers, media_files
from http_faults import stall
from watching import fake_notify_send


def configure(home: Path, fetch: dict[str, object] | None = None, **settings: object) -> None:
    lines = ["[tags]", "enabled = false", "[fetch]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in (fetch or {}).items()]
    lines += ["[watch]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n".join(lines) + "\n")


def plugged_player(podsync, testbed, fat_player: FatPlayers):
    """A registered FAT player, unplugged; returns (mount, udev syspath, environment)."""
    name = testbed.partition_name()
    part = testbed.add_partition(name, ID_FS_UUID="ABCD-1234", ID_FS_TYPE="vfat")
    player = fat_player(source=f"/dev/{name}")
    env = testbed.env()
    podsync("device", "add", str(player), "--name", "clip", env=env)
    fat_player.unmount(player)
    return player, part, env


def test_a_new_episode_reaches_the_player_on_plug_in_without_a_manual_fetch(
    podsync, make_podcast, fat_player: FatPlayers, testbed, watch, home: Path, tmp_path: Path
) -> None:
    player, part, env = plugged_player(podsync, testbed, fat_player)
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    configure(home, fetch_max_age=0, fetch_interval=0)
    notify_env, notifications = fake_notify_send(tmp_path)
    w = watch({**env, "PATH": notify_env["PATH"]})

    # Published after the last fetch: only a fetch by the watcher can bring it.
    podcast.add_episode("Fresh this morning", time.time())
    testbed.uevent(part, "add")
    fat_player.mount(player)
    w.wait_for("clip: synced: copied 3")
    log = w.log
    assert log.index("refreshing feeds (clip plugged in)") < log.index("fetched: new: News (1)")
    assert log.index("fetched: new: News (1)") < log.index("clip: synced: copied 3")
    assert any("Fresh this morning" in f for f in media_files(player))
    assert "new: News (1)" in notifications.read_text()
    assert w.stop() == 0


def test_a_stalled_feed_does_not_hold_the_push_back(
    podsync, server, make_podcast, fat_player: FatPlayers, testbed, watch, home: Path
) -> None:
    player, part, env = plugged_player(podsync, testbed, fat_player)
    news, slow = make_podcast("news", "News", 2), make_podcast("slow", "Slow", 1)
    podsync("subscribe", news.url)
    podsync("subscribe", slow.url)
    podsync("fetch")
    news.add_episode("Fresh this morning", time.time())
    gives_up = threading.Event()
    server.faults["/slow/feed.xml"] = stall(60, gives_up)
    configure(home, {"timeout": 60}, fetch_max_age=0, fetch_timeout=1, fetch_interval=0, debounce=0)
    w = watch(env)

    testbed.uevent(part, "add")
    fat_player.mount(player)
    w.wait_for("clip: synced: copied 3")
    # The push went ahead with what was cached while the slow feed still hung.
    assert "clip: the feeds are still refreshing after 1 s; pushing what is cached" in w.log
    assert "fetched:" not in w.log
    assert not any("Fresh this morning" in f for f in media_files(player))

    # When the slow feed gives up, the fetch downloads the rest, and the player still
    # connected gets it.
    gives_up.set()
    w.wait_for("fetched: new: News (1); downloaded 1")
    w.wait_for("clip: synced: copied 1")
    assert any("Fresh this morning" in f for f in media_files(player))
    assert "1 feed failed" in w.log
    assert w.log.count("refreshing feeds") == 1  # news in the cache refresh nothing
    assert w.stop() == 0


def test_the_watcher_fetches_on_its_schedule(
    podsync, make_podcast, watch, home: Path, player: Path
) -> None:
    podcast = make_podcast("news", "News", 1)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "stick")
    configure(home, fetch_max_age=3600, fetch_interval=1, debounce=0, udev=False)
    w = watch()
    w.wait_for("stick: synced: copied 1")
    assert "clip plugged in" not in w.log and "stick plugged in" not in w.log

    podcast.add_episode("Published while plugged in", time.time())
    w.wait_for("fetched: new: News (1)")
    w.wait_for("stick: synced: copied 1", count=2)
    assert len(media_files(player)) == 2
    assert "refreshing feeds (every 1 s)" in w.log

    # A filter change that empties the player is logged before the push does it.
    (home / "config" / "config.toml").write_text(
        '[filters]\nexclude = ["News"]\n[watch]\nfetch_interval = 1\ndebounce = 0\n'
    )
    podcast.add_episode("Another", time.time())
    w.wait_for("deleted 2")
    log = w.log
    warning = "stick: this push deletes all 2 episodes on the player because of the filters"
    assert log.index(warning) < log.index("deleted 2")
    assert media_files(player) == []
    assert w.stop() == 0
