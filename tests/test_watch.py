"""``podsync watch`` for real: udev events from a umockdev testbed, FAT players via fusefat.

Each test runs the real ``podsync watch`` process and waits (with a deadline,
never a fixed sleep) for what it logs and for the files on the player.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from conftest import FatPlayers, Podcast, media_files
from watching import fake_notify_send


def configure(home: Path, **watch: object) -> None:
    # Untagged copies keep the served size, so a partial file shows.
    lines = ["[tags]", "enabled = false", "[watch]"]
    watch = {"ui_port": 0, **watch}  # no web page (tests/ui/ test it)
    lines += [f"{key} = {json.dumps(value)}" for key, value in watch.items()]
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n".join(lines) + "\n")


def long_talks(podsync, server, home: Path) -> Podcast:
    """Four 6 MB episodes in the cache: a push long enough to be caught in the middle."""
    podcast = Podcast(server, "big", "Big")
    for n in range(4):
        podcast.add_episode(f"Long talk {n}", time.time() - (4 - n) * 86400, seconds=400)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    configure(home, notify=False)
    return podcast


def sizes_match(player: Path, podcast: Podcast) -> bool:
    """Every episode file on the player has its full size (no partial file under a final name)."""
    sizes = {e.size for e in podcast.episodes}
    return all((player / f).stat().st_size in sizes for f in media_files(player))


def test_a_plugged_in_player_is_synced_once_its_mount_appears(
    podsync, make_podcast, fat_player: FatPlayers, testbed, watch, home: Path, tmp_path: Path
) -> None:
    props = {"ID_FS_UUID": "ABCD-1234", "ID_FS_TYPE": "vfat", "ID_SERIAL": "Clip_0001"}
    name, other = testbed.partition_name(), testbed.partition_name()
    part = testbed.add_partition(name, **props)
    other_part = testbed.add_partition(other, **{**props, "ID_FS_UUID": "FFFF-0000"})
    player = fat_player(source=f"/dev/{name}")
    env = testbed.env()
    podsync("device", "add", str(player), "--name", "clip", env=env)
    fat_player.unmount(player)
    podcast = make_podcast("news", "News", 3)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    configure(home, mount_timeout=30)
    notify_env, notifications = fake_notify_send(tmp_path)
    w = watch({**env, "PATH": notify_env["PATH"]})

    testbed.uevent(part, "add")
    testbed.uevent(part, "add")  # repeated events start one sync
    w.wait_for(f"clip plugged in (/dev/{name}); waiting for it to be mounted")
    fat_player.mount(player)
    w.wait_for("clip: synced: copied 3")
    assert len(media_files(player)) == 3 and sizes_match(player, podcast)
    assert "podsync: clip synced" in notifications.read_text()

    # Another drive, not registered: its events and its mount change nothing.
    stranger = fat_player(name="stranger", source=f"/dev/{other}")
    testbed.uevent(part, "change")
    testbed.uevent(other_part, "add")
    w.wait_for(f"add: /dev/{other}, not a registered player")
    assert w.stop() == 0
    assert list(stranger.iterdir()) == []
    assert w.log.count("syncing (") == 1
    assert w.log.count("plugged in") == 1
    assert "stopped" in w.log


def test_two_players_plugged_in_together_each_get_their_own_sync(
    podsync, make_podcast, fat_player: FatPlayers, testbed, watch, home: Path
) -> None:
    env = testbed.env()
    players = {}
    for n in range(2):
        name = testbed.partition_name()
        syspath = testbed.add_partition(name, ID_FS_UUID=f"AAAA-000{n}", ID_FS_TYPE="vfat")
        mount = fat_player(name=f"player{n}", source=f"/dev/{name}")
        podsync("device", "add", str(mount), "--name", f"player{n}", env=env)
        fat_player.unmount(mount)
        players[syspath] = mount
    podsync("subscribe", make_podcast("news", "News", 2).url)
    podsync("fetch")
    configure(home, notify=False)
    w = watch(env)
    for syspath in players:
        testbed.uevent(syspath, "add")
    for mount in players.values():
        fat_player.mount(mount)
    w.wait_for("player0: synced: copied 2")
    w.wait_for("player1: synced: copied 2")
    assert all(len(media_files(mount)) == 2 for mount in players.values())
    assert w.stop() == 0


def test_a_player_already_mounted_is_synced_when_the_watcher_starts(
    podsync, make_podcast, fat_player: FatPlayers, watch, home: Path
) -> None:
    player = fat_player()
    podsync("device", "add", str(player), "--name", "stick")
    podsync("subscribe", make_podcast("news", "News", 2).url)
    podsync("fetch")
    configure(home)
    w = watch()
    w.wait_for(f"stick: syncing (already connected at {player})")
    w.wait_for("stick: synced: copied 2")
    assert len(media_files(player)) == 2
    assert w.stop(signal.SIGINT) == 0


def test_unplugged_mid_sync_the_watcher_survives_and_the_next_plug_in_completes(
    podsync, server, fat_player: FatPlayers, testbed, watch, home: Path
) -> None:
    name = testbed.partition_name()
    part = testbed.add_partition(name, ID_FS_UUID="ABCD-1234", ID_FS_TYPE="vfat")
    player = fat_player(size_mb=64, source=f"/dev/{name}")
    env = testbed.env()
    podsync("device", "add", str(player), "--name", "clip", env=env)
    fat_player.unmount(player)
    podcast = long_talks(podsync, server, home)
    w = watch(env)

    testbed.uevent(part, "add")
    fat_player.mount(player)
    folder = player / "Podcasts"
    w.wait_until(lambda: any(folder.rglob(".podsync-*.part")), "a copy in flight")
    testbed.uevent(part, "remove")
    w.wait_for("clip: sync stopped")
    fat_player.unmount(player)
    assert w.proc.poll() is None, "the watcher must outlive an unplugged player"

    # Plugged in again: what is there is whole, and the sync completes.
    testbed.uevent(part, "add")
    fat_player.mount(player)
    w.wait_for("clip: synced: copied")
    assert len(media_files(player)) == 4 and sizes_match(player, podcast)
    assert not list(folder.rglob("*.part"))
    assert w.stop() == 0


def unplugged_stick(podsync, make_podcast, home: Path, media: Path, marker: Path, episodes: int):
    """A folder player "stick" with a fetched podcast of ``episodes``, watched for in the
    automount folder ``media`` (no udev), then unplugged: its marker moved to ``marker``."""
    media.mkdir()
    configure(home, udev=False, automount_dirs=[str(media)], debounce=0)
    stick = media.parent / "stick"
    stick.mkdir()
    podsync("device", "add", str(stick), "--name", "stick")
    podcast = make_podcast("news", "News", episodes)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    (stick / ".podsync").rename(marker)  # no longer at its registered path
    return podcast


def test_without_udev_a_player_appearing_in_an_automount_folder_is_synced(
    podsync, make_podcast, watch, home: Path, tmp_path: Path
) -> None:
    media, marker = tmp_path / "media", tmp_path / "marker"
    podcast = unplugged_stick(podsync, make_podcast, home, media, marker, episodes=2)
    w = watch()
    assert "syncing" not in w.log

    # The folder shows up first, its files a moment later (as a mount would).
    mounted = media / "STICK"
    mounted.mkdir()
    time.sleep(0.3)
    shutil.copytree(marker, mounted / ".podsync")
    w.wait_for(f"stick: syncing (appeared at {mounted})")
    w.wait_for("stick: synced: copied 2")
    assert len(media_files(mounted)) == 2

    # While it stays connected, new episodes that land in the cache follow it.
    podcast.add_episode("News episode 3", time.time())
    podsync("fetch")
    w.wait_for("stick: syncing (new episodes in the cache)")
    w.wait_for("stick: synced: copied 1")
    assert len(media_files(mounted)) == 3
    assert w.stop() == 0


def test_sigterm_mid_sync_rolls_back_the_file_in_flight_and_exits_cleanly(
    podsync, server, fat_player: FatPlayers, watch, home: Path
) -> None:
    player = fat_player(size_mb=64)
    podsync("device", "add", str(player), "--name", "stick")
    podcast = long_talks(podsync, server, home)
    w = watch()
    folder = player / "Podcasts"
    w.wait_until(lambda: any(folder.rglob(".podsync-*.part")), "a copy in flight")
    assert w.stop(signal.SIGTERM) == 0
    assert "stopping: finishing or rolling back the file in flight" in w.log
    assert w.log.rstrip().endswith("stopped")
    assert sizes_match(player, podcast)
    assert not list(folder.rglob("*.part"))
    # What was copied is recorded: the next push copies only the rest.
    rest = 4 - len(media_files(player))
    assert (f"copied {rest}" if rest else "up to date") in podsync("push").stdout


@pytest.mark.parametrize("marker", ["deep", "fifo"])
def test_a_hostile_drive_does_not_stop_the_watcher(
    podsync, make_podcast, watch, home: Path, tmp_path: Path, marker: str
) -> None:
    """Another drive whose marker is JSON nested 100,000 deep, or a FIFO: ignored."""
    media, saved = tmp_path / "media", tmp_path / "marker"
    unplugged_stick(podsync, make_podcast, home, media, saved, episodes=1)
    w = watch()
    hostile = media / "OTHER"
    (hostile / ".podsync").mkdir(parents=True)
    if marker == "deep":
        (hostile / ".podsync" / "device.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    else:
        os.mkfifo(hostile / ".podsync" / "device.json")
    time.sleep(0.5)  # the watcher looks at it (and must live on)
    shutil.copytree(saved, media / "STICK" / ".podsync")
    w.wait_for("stick: synced: copied 1")
    assert "Traceback" not in w.log and "RecursionError" not in w.log
    assert w.stop() == 0
