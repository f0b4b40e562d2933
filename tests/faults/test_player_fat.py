"""Races and FAT on a real FAT image (fusefat): a user's file copied in during the push,
the player pulled out mid-push, a second home pushing the same player, titles that differ
only in case."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from conftest import Run, media_files
from podsync.cli.demo_server import silent_mp3
from podsync.names import episode_date

from .support import BODY, assert_player_consistent, setup_big_podcast, stop_mid_copy


def test_a_file_copied_in_during_the_push_is_never_replaced(
    podsync, make_podcast, fat_player
) -> None:
    player = fat_player(48)
    podcast = setup_big_podcast(podsync, make_podcast, player)
    push = podsync.popen("push")
    part = stop_mid_copy(push, player)  # podsync looked at the names long ago
    mine = {}
    try:
        for episode in podcast.episodes:
            path = part.parent / f"{episode_date(episode.published)} {episode.title}.mp3"
            if not path.exists():
                path.write_bytes(f"the user's {episode.title}".encode())
                mine[path] = path.read_bytes()
    finally:
        push.send_signal(signal.SIGCONT)
    out, err = push.communicate(timeout=120)
    assert push.returncode == 0 and "copied 5" in out, err
    assert mine and all(path.read_bytes() == data for path, data in mine.items())
    owned = json.loads((player / ".podsync" / "manifest.json").read_text())["files"]
    assert len(owned) == 5 and not {str(p.relative_to(player)) for p in mine} & set(owned)
    for path in owned:
        assert (player / path).read_bytes().endswith(BODY)


def test_unplugged_mid_push_nothing_is_written_elsewhere(podsync, make_podcast, fat_player) -> None:
    player = fat_player(48)
    setup_big_podcast(podsync, make_podcast, player)
    push = podsync.popen("push")
    stop_mid_copy(push, player)
    try:  # lazily: the frozen push still holds a file open there
        subprocess.run(["fusermount", "-u", "-z", str(player)], check=True)
        fat_player.mounted.discard(player)
        assert list(player.iterdir()) == []  # the mount folder, on the computer's disk
    finally:
        push.send_signal(signal.SIGCONT)
    out, err = push.communicate(timeout=120)
    assert push.returncode == 1, out + err
    assert "the player was removed" in err and "Traceback" not in err
    assert list(player.iterdir()) == []  # no episode, playlist or manifest on the disk
    fat_player.wait_written(player)  # once the last file there is closed
    fat_player.mount(player)
    assert "copied" in podsync("push").stdout  # plugged in again: the next push completes
    assert_player_consistent(player, BODY)


def test_two_homes_pushing_one_player_take_turns(
    podsync, make_podcast, fat_player, tmp_path: Path
) -> None:
    player = fat_player(48)
    podcast = setup_big_podcast(podsync, make_podcast, player)
    other = Run(tmp_path / "other-home")  # another computer, or another user
    other("subscribe", podcast.url)
    other("fetch")
    other("device", "add", str(player), "--name", "shared")
    first = podsync.popen("push")
    stop_mid_copy(first, player)
    try:
        before = sorted(p for p in player.rglob("*") if ".podsync" not in p.parts)
        second = other("push", check=1)
        assert "podsync: error: shared: busy: another push is running (from " in second.stderr
        assert sorted(p for p in player.rglob("*") if ".podsync" not in p.parts) == before
    finally:
        first.send_signal(signal.SIGCONT)
    out, _err = first.communicate(timeout=120)
    assert first.returncode == 0 and "copied 5" in out
    assert not (player / ".podsync" / "lock").exists()
    other("push")  # its turn now: the episodes are there, under the other home's manifest
    assert len(media_files(player)) == 5
    assert_player_consistent(player, BODY)


def test_titles_differing_only_in_case_share_a_folder_without_overwrites(
    podsync, make_podcast, fat_player
) -> None:
    player = fat_player()
    when = time.time() - 86400
    bodies = {}
    for slug, title, seconds in (("a", "Tech Talk", 0.5), ("b", "TECH TALK", 0.9)):
        podcast = make_podcast(slug, title, 0)
        for n in (1, 2):
            body = silent_mp3(seconds + n / 10)
            podcast.add_episode(f"Episode {n}", when + n, body=body)
            bodies[(title, n)] = body
        podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "fat")
    out = podsync("push").stdout
    assert "copied 4" in out and "failed 0" in out
    owned = json.loads((player / ".podsync" / "manifest.json").read_text())["files"]
    assert len(owned) == 4 and len({p.casefold() for p in owned}) == 4
    assert len(media_files(player)) == 4
    for path, entry in owned.items():
        n = int(entry["title"].split()[-1])
        assert (player / path).read_bytes().endswith(bodies[(entry["podcast"], n)])
    playlists = [p.name for p in player.rglob("*.m3u8")]
    assert len(playlists) == len({p.casefold() for p in playlists}) == 2
    assert "nothing copied or deleted" in podsync("push").stdout
