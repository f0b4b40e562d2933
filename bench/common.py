"""Helpers shared by the benchmarks: timing, loopback feeds, podsync and gPodder homes."""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from podsync.cli.demo_server import FeedServer, SampleEpisode, rss, silent_mp3

PODSYNC = str(Path(sys.executable).with_name("podsync"))
"""The podsync installed beside this Python (the one under test)."""


def push_arguments(doc: str, episodes: int, size: int, target: Path | None) -> argparse.Namespace:
    """The options of the push benchmarks; with ``--smoke``, tiny data and one run."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=episodes)
    parser.add_argument("--size", type=int, default=size)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=Path, default=target, help="where the players go")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run")
    args = parser.parse_args()
    if args.smoke:
        args.episodes, args.size, args.repeat = 3, 1024, 1
    ensure_bytecode()
    return args


def ensure_bytecode() -> None:
    """Compile podsync and its dependencies, as an installed package is.

    Where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile every
    module again at each start, which no installed program does.
    """
    import podsync

    for folder in (Path(podsync.__file__).parent, Path(sysconfig.get_paths()["purelib"])):
        compileall.compile_dir(folder, quiet=1)


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


def compare(
    ours: Callable[[], object],
    theirs: Callable[[], object],
    repeat: int,
    setup_ours: Callable[[], object] = lambda: None,
    setup_theirs: Callable[[], object] = lambda: None,
) -> tuple[float, float]:
    """Median wall times of podsync and its peer, run in turns so both see the same machine.

    One untimed round comes first, so neither is timed on cold caches.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for run, setup in ((ours, setup_ours), (theirs, setup_theirs)):
        setup()
        run()
    for _ in range(repeat):
        times[0].append(median_time(ours, 1, setup_ours))
        times[1].append(median_time(theirs, 1, setup_theirs))
    return statistics.median(times[0]), statistics.median(times[1])


def version(*command: str) -> str:
    """The first line a command prints about its version."""
    out = subprocess.run(command, capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[0]


def sh(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)


_MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_memory(*args: str, env: dict[str, str] | None = None) -> int:
    """Run a command; return its peak resident memory in bytes.

    Linux carries a process's peak over ``fork`` and ``exec``, so a child of
    this (large) benchmark process would report at least this process's size.
    The command is started from a small Python without site packages instead:
    its own few MiB are the floor of the measurement.
    """
    out = subprocess.run(
        [sys.executable, "-S", "-c", _MEASURE, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if int(out[0]):
        raise subprocess.CalledProcessError(int(out[0]), args)
    return int(out[1]) * 1024  # kilobytes on Linux


def empty_player(player: Path, name: str, env: dict[str, str]) -> None:
    """Empty a registered player folder and register it afresh, as a new player would be."""
    shutil.rmtree(player / "Podcasts", ignore_errors=True)
    (player / ".podsync" / "manifest.json").unlink(missing_ok=True)
    sh(PODSYNC, "device", "remove", name, env=env)
    sh(PODSYNC, "device", "add", str(player), "--name", name, env=env)


def podsync_env(home: Path) -> dict[str, str]:
    return {**os.environ, "PODSYNC_HOME": str(home)}


def gpodder_env(home: Path) -> dict[str, str]:
    """An isolated gPodder: its database and its downloads under ``home``."""
    return {
        **os.environ,
        "GPODDER_HOME": str(home / "data"),
        "GPODDER_DOWNLOAD_DIR": str(home / "downloads"),
    }


def episode_body(size: int) -> bytes:
    """``size`` bytes of real MPEG frames, as a podcast episode holds."""
    frames = silent_mp3(1)
    return (frames * (size // len(frames) + 1))[:size]


@contextmanager
def serve_podcasts(podcasts: int, episodes: int, size: int) -> Iterator[list[str]]:
    """Serve ``podcasts`` feeds of ``episodes`` episodes each on loopback; yield the feed URLs.

    Every episode has the same body, so a big library costs little memory here.
    """
    body = episode_body(size)
    with FeedServer() as server:
        urls = []
        for p in range(podcasts):
            items = []
            for n in range(episodes):
                path = f"p{p}/{n}.mp3"
                server.add(path, body, "audio/mpeg")
                items.append(
                    SampleEpisode(f"p{p}-{n}", f"Episode {n}", 1.6e9 + n * 3600, path, size)
                )
            urls.append(server.add(f"p{p}/feed.xml", rss(f"Show {p}", items, server.base_url)))
        yield urls


def podsync_home(home: Path, urls: list[str], keep: int) -> Path:
    """Subscribe a fresh podsync home to ``urls`` and fetch them; return its cache folder."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f"[filters]\nkeep = {keep}\n\n[fetch]\ndownload_workers = 8\n"
    )
    env = podsync_env(home)
    sh(PODSYNC, "subscribe", *urls, env=env)
    sh(PODSYNC, "fetch", env=env)
    return home / "cache" / "episodes"


def filled_cache(home: Path, episodes: int, size: int) -> Path:
    """A podsync home whose cache holds ``episodes`` files of ``size`` bytes; returns the cache."""
    with serve_podcasts(1, episodes, size) as urls:
        return podsync_home(home, urls, episodes)


def report(title: str, rows: list[tuple[str, float, str, float]]) -> None:
    """Print one table row per measurement: podsync, the peer, and the ratio."""
    print(f"\n{title}")
    print(f"{'work':<40} {'podsync':>9} {'peer':>9} {'ratio':>6}  peer")
    for work, ours, peer, theirs in rows:
        print(f"{work:<40} {ours:>8.3f}s {theirs:>8.3f}s {ours / theirs:>6.2f}  {peer}")
