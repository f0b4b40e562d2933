"""kill -9 in the middle of the work: a push to a player that is then unplugged, a fetch."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import media_files
from podsync.cli.demo_server import silent_mp3

from .support import (
    BODY,
    Stall,
    assert_cache_consistent,
    assert_player_consistent,
    cache_files,
    cached_titles,
    device_parts,
    kill_hard,
    setup_big_podcast,
    stop_mid_copy,
    wait_for,
)


def test_unplug_mid_copy_leaves_whole_files_and_the_next_push_completes(
    podsync, make_podcast, fat_player, home: Path
) -> None:
    player = fat_player(48)
    setup_big_podcast(podsync, make_podcast, player)

    process = podsync.popen("push")
    stop_mid_copy(process, player)
    kill_hard(process)
    fat_player.unmount(player)
    fat_player.mount(player)

    assert device_parts(player)  # the kill landed mid-copy ...
    assert len(media_files(player)) < 5
    assert_player_consistent(player, BODY)  # ... yet every final name holds a whole file

    out = podsync("push").stdout
    assert "failed 0" in out
    assert len(media_files(player)) == 5
    assert device_parts(player) == []  # the leftover temporary file was cleaned up
    assert_player_consistent(player, BODY)
    assert "up to date" in podsync("push").stdout


def test_kill_during_downloads_keeps_the_state_intact_and_resumes(
    podsync, server, make_podcast, home: Path
) -> None:
    podcast = make_podcast("pod", "Pod", 3)
    body = silent_mp3(40)  # about 640 kB
    stalled = podcast.add_episode("Stalled", time.time(), body=body)
    stall = Stall(body, 300_000)
    server.faults["/" + stalled.path] = stall
    podsync("subscribe", podcast.url)
    cache = home / "cache" / "episodes"

    process = podsync.popen("fetch")
    try:
        wait_for(
            lambda: (
                len(cached_titles(home)) == 3
                # and renamed: a row is recorded just before its file's rename
                and len(cache_files(home)) == 3
                and any(p.stat().st_size for p in cache.rglob(".*.part"))
            )
        )
        kill_hard(process)
    finally:
        stall.release.set()

    assert_cache_consistent(home)  # integrity_check passes; rows match whole files
    assert "Stalled" not in cached_titles(home)
    assert len(cache_files(home)) == 3
    for episode in podcast.episodes[:3]:  # the finished downloads are whole
        [done] = list(cache.rglob(f"*{episode.title}.mp3"))
        assert done.read_bytes() == server.resources["/" + episode.path].body
    [partial] = list(cache.rglob(".*.part"))
    resumed_from = partial.stat().st_size
    assert 0 < resumed_from < len(body)

    del server.faults["/" + stalled.path]
    out = podsync("fetch").stdout
    assert "Downloaded 1 episode" in out
    ranges = [h.get("Range") for path, h in server.log if path == "/" + stalled.path]
    assert ranges[-1] == f"bytes={resumed_from}-"
    assert_cache_consistent(home)
    [final] = list(cache.rglob("*Stalled.mp3"))
    assert final.read_bytes() == body
    assert list(cache.rglob(".*.part")) == []
