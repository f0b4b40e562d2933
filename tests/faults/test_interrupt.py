"""Ctrl-C and SIGTERM during a fetch and a push: exit 130 promptly, nothing partial, resume."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from conftest import media_files
from podsync.cli.demo_server import silent_mp3

from .support import (
    BODY,
    assert_cache_consistent,
    assert_player_consistent,
    device_parts,
    setup_big_podcast,
    stop_mid_copy,
    trickle,
    wait_for,
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_fetch_leaves_no_partial_file_and_resumes(
    podsync, server, make_podcast, home: Path, signum: int
) -> None:
    podcast = make_podcast("slow", "Slow", 0)
    body = silent_mp3(30)  # about 480 kB, trickled at about 40 kB/s
    episode = podcast.add_episode("Long one", time.time() - 60, body=body)
    podsync("subscribe", podcast.url)
    server.faults["/" + episode.path] = trickle(body)

    process = podsync.popen("fetch")
    cache = home / "cache" / "episodes"
    wait_for(lambda: any(p.stat().st_size > 10_000 for p in cache.rglob("*.part")))
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)  # a hang guard, not a speed check
    assert process.returncode == 130
    assert "Traceback" not in err
    # What finished, and what the next fetch resumes (the .part file is kept for that).
    assert (
        "podsync: interrupted; downloaded 0 of 1 episode; 1 partly downloaded: "
        "kept as .part files, the next fetch resumes them"
    ) in err
    assert "nothing partial" not in err
    assert "interrupted" in podsync("log").stdout.splitlines()[-1]
    assert list(cache.rglob("*.mp3")) == []  # nothing under a final name
    partial = next(cache.rglob("*.part")).stat().st_size
    assert 0 < partial < len(body)
    assert_cache_consistent(home)

    # The next fetch resumes with a Range request and ends byte-identical.
    del server.faults["/" + episode.path]
    out = podsync("fetch").stdout
    assert "Downloaded 1 episode" in out
    ranges = [h.get("Range") for path, h in server.log if path == "/" + episode.path]
    assert ranges[-1] == f"bytes={partial}-"
    [final] = list(cache.rglob("*.mp3"))
    assert final.read_bytes() == body
    assert list(cache.rglob("*.part")) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_push_leaves_no_partial_file_and_completes_later(
    podsync, make_podcast, fat_player, home: Path, signum: int
) -> None:
    player = fat_player(48)
    setup_big_podcast(podsync, make_podcast, player)

    process = podsync.popen("push")
    stop_mid_copy(process, player)
    process.send_signal(signum)  # delivered when it runs again
    process.send_signal(signal.SIGCONT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert device_parts(player) == []
    copied = len(media_files(player))
    assert copied < 5
    assert_player_consistent(player, BODY)
    # What reached the player, and what the next push does; the push is on record.
    assert (
        f"podsync: interrupted; fat: copied {copied} of 5 episodes and deleted 0 before the "
        f"stop; the next push copies the other {5 - copied} (no partial file was left on it)"
    ) in err
    listed = podsync("device", "list").stdout
    assert "never" not in listed and f"  {copied}  " in listed and "interrupted" in listed
    log = podsync("log", "--device", "fat").stdout.splitlines()
    assert log[-1].split()[2:5] == ["push", "fat", "interrupted:"]
    assert sum(" copy " in line and " ok: " in line for line in log) == copied

    out = podsync("push").stdout
    assert "failed 0" in out
    assert len(media_files(player)) == 5
    assert_player_consistent(player, BODY)
