"""Out of space for real: a small FAT image fills up mid-push, a size-limited tmpfs cache
fills up mid-fetch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import media_files
from podsync.cli.demo_server import silent_mp3

from .support import (
    assert_cache_consistent,
    assert_player_consistent,
    cached_titles,
    device_parts,
    write_config,
)


def test_player_full_mid_push_stops_cleanly(podsync, make_podcast, fat_player, home: Path) -> None:
    player = fat_player(8)
    # No reserve and tags that grow every copy: the plan is optimistic, the disk runs out.
    write_config(home, '[filters]\nkeep = 100\n[push]\nreserve = "0"\n')
    podcast = make_podcast("many", "Many", 0)
    body = silent_mp3(7.8)  # 127 kB: under a whole number of kB clusters
    for n in range(70):
        podcast.add_episode(f"Episode {n:02d}", time.time() - n * 60, body=body)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "small")
    pushed = podsync("push")
    assert "podsync: warning: small: Many — Episode" in pushed.stderr
    assert ": no room left on the target" in pushed.stderr
    assert device_parts(player) == []
    assert_player_consistent(player, body)
    assert 0 < len(media_files(player)) < 70


@pytest.fixture
def small_cache(cache_on_tmpfs) -> Path:
    """The cache folder on a 2 MB tmpfs."""
    return cache_on_tmpfs(2)


def test_full_cache_stops_the_fetch_cleanly(
    podsync, make_podcast, small_cache: Path, home: Path, player: Path
) -> None:
    podcast = make_podcast("big", "Big", 0)
    body = silent_mp3(40)  # about 640 kB: three fit in 2 MB at most
    for n in range(5):
        podcast.add_episode(f"Part {n}", time.time() - n * 3600, body=body)
    podsync("subscribe", podcast.url)
    write_config(home, '[fetch]\ncache_reserve = "0"\n')  # fill it to the last byte

    result = podsync("fetch", check=1)
    assert "not downloaded: the cache is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(small_cache.rglob("*.part"))  # no partial file fills the disk
    assert_cache_consistent(home)
    cached = cached_titles(home)
    assert 0 < len(cached) < 5
    for path in (small_cache / "episodes").rglob("*.mp3"):
        assert path.read_bytes() == body

    # Still full: the same clear stop, nothing changed; what is cached can be pushed.
    assert "the cache is full" in podsync("fetch", check=1).stderr
    assert cached_titles(home) == cached
    podsync("device", "add", str(player), "--name", "p")
    assert f"copied {len(cached)}" in podsync("push").stdout
