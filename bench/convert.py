"""Conversion throughput: a push that converts Opus episodes to MP3, with 1 and 2 workers.

    python bench/convert.py [--episodes N] [--seconds S] [--repeat R] [--smoke]

Makes ``N`` Opus tones of ``S`` seconds with ffmpeg, serves and fetches them
into a fresh home, and times a push to a folder player with the mp3-player
profile (every episode converted to MP3 at 128k), with ``push.convert_workers``
1 and 2, the converted cache and the player emptied before each run.  The
peer is ffmpeg alone converting the same files with the same arguments, one
at a time and two at a time.  Prints files per second and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import PODSYNC, compare, empty_player, ensure_bytecode, podsync_env, sh, version
from podsync.cli.demo_server import FeedServer, SampleEpisode, rss
from podsync.steps.convert import Conversion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run")
    args = parser.parse_args()
    if args.smoke:
        args.episodes, args.seconds, args.repeat = 2, 2, 1
    ensure_bytecode()

    with tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp:
        root = Path(tmp)
        body = tone(root / "tone.opus", args.seconds)
        home, player, out = root / "home", root / "player", root / "ffmpeg-out"
        env = podsync_env(home)
        with FeedServer() as server:
            items = []
            for n in range(args.episodes):
                path = f"t/{n}.opus"
                server.add(path, body, "audio/ogg")
                items.append(
                    SampleEpisode(f"t-{n}", f"Tone {n}", 1.6e9 + n * 3600, path, len(body))
                )
            url = server.add("t/feed.xml", rss("Tones", items, server.base_url))
            config(home, args.episodes, 1)
            sh(PODSYNC, "subscribe", url, env=env)
            sh(PODSYNC, "fetch", env=env)
        sources = sorted((home / "cache" / "episodes").rglob("*.opus"))
        player.mkdir()
        sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=env)

        def fresh() -> None:
            shutil.rmtree(home / "cache" / "converted", ignore_errors=True)
            empty_player(player, "bench", env)
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        rows = []
        for workers in (1, 2):
            config(home, args.episodes, workers)

            def push() -> None:
                sh(PODSYNC, "push", "bench", env=env)

            def alone(workers: int = workers) -> None:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(lambda s: ffmpeg_alone(s, out), sources))

            ours, theirs = compare(push, alone, args.repeat, fresh, fresh)
            rows.append((workers, ours, theirs))

    n = args.episodes
    print(
        f"\nconversion: {n} Opus episodes of {args.seconds} s to MP3 128k, "
        f"median of {args.repeat}; {version('ffmpeg', '-version').split(' Copyright')[0]}"
    )
    print(f"{'workers':<8} {'podsync':>9} {'files/s':>8} {'ffmpeg':>9} {'files/s':>8} {'ratio':>6}")
    for workers, ours, theirs in rows:
        print(
            f"{workers:<8} {ours:>8.2f}s {n / ours:>8.2f} {theirs:>8.2f}s {n / theirs:>8.2f}"
            f" {ours / theirs:>6.2f}"
        )


def config(home: Path, keep: int, workers: int) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f"[filters]\nkeep = {keep}\n\n[push]\nconvert_workers = {workers}\n\n"
        '[player]\nformats = ["mp3"]\nbitrate = "128k"\n\n[tags]\nenabled = false\n'
    )


def tone(path: Path, seconds: int) -> bytes:
    sh("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
       f"sine=frequency=440:duration={seconds}", str(path))  # fmt: skip
    return path.read_bytes()


def ffmpeg_alone(source: Path, out: Path) -> None:
    """Convert ``source`` as podsync's conversion does, by running ffmpeg directly."""
    dest = out / f"{source.stem}.mp3"
    args = Conversion("mp3", "128k").arguments(source, str(dest), None)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
