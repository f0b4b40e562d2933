"""No-op push of a big library against ``rsync -r --size-only``, and its peak memory.

    python bench/noop.py [--podcasts P] [--episodes N] [--repeat R] [--smoke]

Builds a cache of P podcasts × N episodes (default 100 × 100 = 10,000 small
episodes, fetched from loopback feeds), pushes them all to a folder once,
then times a push with nothing to do against an rsync with nothing to do
(the same cache to a copy of it), in turns, and measures the push's peak
resident memory.  The push plans from the manifest and the database.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import (
    PODSYNC,
    compare,
    ensure_bytecode,
    peak_memory,
    podsync_env,
    podsync_home,
    report,
    serve_podcasts,
    sh,
    version,
)

MEMORY_GOAL = 100 * 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--podcasts", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=100, help="per podcast")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run")
    args = parser.parse_args()
    if args.smoke:
        args.podcasts, args.episodes, args.repeat = 2, 3, 1
    ensure_bytecode()

    total = args.podcasts * args.episodes
    with tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp:
        root = Path(tmp)
        with serve_podcasts(args.podcasts, args.episodes, args.size) as urls:
            cache = podsync_home(root / "home", urls, args.episodes)
        env = podsync_env(root / "home")
        player, copy = root / "player", root / "copy"
        player.mkdir()
        sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=env)
        sh(PODSYNC, "push", "bench", env=env)
        sh("rsync", "-r", f"{cache}/", str(copy))
        on_player = sum(1 for p in player.rglob("*.mp3"))
        if on_player != total:
            raise SystemExit(f"the first push copied {on_player} of {total} episodes")

        def rsync() -> None:
            sh("rsync", "-r", "--size-only", f"{cache}/", str(copy))

        ours, theirs = compare(lambda: sh(PODSYNC, "push", "bench", env=env), rsync, args.repeat)
        memory = peak_memory(PODSYNC, "push", "bench", env=env)
    peer = f"{version('rsync', '--version')} -r --size-only"
    report(
        f"no-op push: {total} episodes already on the player, median of {args.repeat}",
        [("no-op push (planned)", ours, peer, theirs)],
    )
    print(
        f"peak memory of the no-op push: {memory / 2**20:.1f} MiB"
        f" (goal {MEMORY_GOAL / 2**20:.0f} MiB; ratio {memory / MEMORY_GOAL:.2f})"
    )


if __name__ == "__main__":
    main()
