"""Two commands at once: two pushes to one player, a fetch during a push."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from conftest import media_files

from .support import (
    BODY,
    assert_cache_consistent,
    assert_player_consistent,
    cached_titles,
    setup_big_podcast,
    stop_mid_copy,
)


def test_second_push_to_a_player_waits_then_reports_it_busy(
    podsync, make_podcast, fat_player
) -> None:
    player = fat_player(48)
    setup_big_podcast(podsync, make_podcast, player)
    first = podsync.popen("push")
    stop_mid_copy(first, player)  # it holds the player, in the middle of a copy
    try:
        before = sorted(p for p in player.rglob("*") if ".podsync" not in p.parts)
        second = podsync("push", check=1)
        assert "podsync: error: fat: busy: another push to it is running" in second.stderr
        assert second.stderr.count("fat") == 1  # named once, not "device 'fat': device 'fat'"
        assert sorted(p for p in player.rglob("*") if ".podsync" not in p.parts) == before
    finally:
        first.send_signal(signal.SIGCONT)
    out, _err = first.communicate(timeout=60)
    assert first.returncode == 0 and "copied 5" in out
    assert_player_consistent(player, BODY)


def test_fetch_while_a_push_runs(podsync, make_podcast, fat_player, home: Path) -> None:
    player = fat_player(48)
    podcast = setup_big_podcast(podsync, make_podcast, player)
    push = podsync.popen("push")
    stop_mid_copy(push, player)
    try:
        podcast.add_episode("Fresh", time.time(), body=BODY)
        assert "Downloaded 1 episode" in podsync("fetch").stdout  # not blocked by the push
        # The fetch's clean left the cache alone (the push may be copying any of it);
        # a clean or an unsubscribe by hand says the push is running.
        busy = podsync("clean", check=1).stderr
        assert busy == (
            "podsync: error: not cleaned: fat: busy: another push to it is running;"
            " it cleans when done\n"
        )
        assert (
            "fat: busy: another push to it is running"
            in podsync("unsubscribe", podcast.url, check=1).stderr
        )
    finally:
        push.send_signal(signal.SIGCONT)
    out, _err = push.communicate(timeout=60)
    assert push.returncode == 0 and "copied 5" in out  # the push did what it planned
    assert_cache_consistent(home)
    assert "Fresh" in cached_titles(home)
    assert_player_consistent(player, BODY)

    out = podsync("push").stdout  # and the next one brings the new episode
    assert "copied 1" in out and "deleted 1" in out
    assert any("Fresh" in f for f in media_files(player))
    assert_player_consistent(player, BODY)
