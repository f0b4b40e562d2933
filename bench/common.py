"""Helpers shared by the benchmarks: timing, a podsync home with a filled cache."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from podsync.loopback import FeedServer, SampleEpisode, rss, silent_mp3

PODSYNC = str(Path(sys.executable).with_name("podsync"))
"""The podsync installed beside this Python (the one under test)."""


def median_time(
    run: Callable[[], object], repeat: int, setup: Callable[[], object] = lambda: None
) -> float:
    """Median wall time of ``run`` over ``repeat`` runs, calling ``setup`` before each."""
    times = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sh(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)


def podsync_env(home: Path) -> dict[str, str]:
    return {**os.environ, "PODSYNC_HOME": str(home)}


def filled_cache(home: Path, episodes: int, size: int) -> Path:
    """A podsync home whose cache holds ``episodes`` files of ``size`` bytes; returns the cache."""
    frames = silent_mp3(1)  # real MPEG frames, as a podcast holds, cut to ``size``
    body = (frames * (size // len(frames) + 1))[:size]
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f"[filters]\nkeep = {episodes}\n")
    with FeedServer() as server:
        items = []
        for n in range(episodes):
            path = f"bench/{n}.mp3"
            server.add(path, body, "audio/mpeg")
            items.append(SampleEpisode(f"b{n}", f"Episode {n}", 1.6e9 + n * 3600, path, size))
        url = server.add("bench/feed.xml", rss("Bench", items, server.base_url))
        env = podsync_env(home)
        sh(PODSYNC, "subscribe", url, env=env)
        sh(PODSYNC, "fetch", env=env)
    return home / "cache" / "episodes"


def report(title: str, rows: list[tuple[str, float, str, float]]) -> None:
    """Print one table row per measurement: podsync, the peer, and the ratio."""
    print(f"\n{title}")
    print(f"{'work':<40} {'podsync':>9} {'peer':>9} {'ratio':>6}  peer")
    for work, ours, peer, theirs in rows:
        print(f"{work:<40} {ours:>8.3f}s {theirs:>8.3f}s {ours / theirs:>6.2f}  {peer}")
