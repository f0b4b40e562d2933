"""Push benchmarks: a full push against ``cp -r``, a no-op push against ``rsync``.

    python bench/push.py [--episodes N] [--size BYTES] [--repeat R] [--smoke]

Builds its own cache (a loopback feed fetched into a fresh home), then times
podsync and the peer on the same files, in the same run, to a fresh folder.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import PODSYNC, filled_cache, median_time, podsync_env, report, sh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--size", type=int, default=10 * 1024 * 1024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run")
    args = parser.parse_args()
    if args.smoke:
        args.episodes, args.size, args.repeat = 3, 1024, 1

    with tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp:
        root = Path(tmp)
        home = root / "home"
        cache = filled_cache(home, args.episodes, args.size)
        env = podsync_env(home)
        player, copy = root / "player", root / "copy"
        player.mkdir()
        sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=env)

        def clear_player() -> None:
            shutil.rmtree(player / "Podcasts", ignore_errors=True)
            (player / ".podsync" / "manifest.json").unlink(missing_ok=True)

        def clear_copy() -> None:
            shutil.rmtree(copy, ignore_errors=True)

        full = median_time(lambda: sh(PODSYNC, "push", "bench", env=env), args.repeat, clear_player)
        cp = median_time(lambda: sh("cp", "-r", str(cache), str(copy)), args.repeat, clear_copy)
        sh(PODSYNC, "push", "bench", env=env)
        sh("rsync", "-r", f"{cache}/", str(copy))
        noop = median_time(lambda: sh(PODSYNC, "push", "bench", env=env), args.repeat)
        rsync = median_time(
            lambda: sh("rsync", "-r", "--size-only", f"{cache}/", str(copy)), args.repeat
        )
    total = args.episodes * args.size / 1e6
    report(
        f"push: {args.episodes} episodes, {total:.0f} MB, median of {args.repeat}",
        [
            ("full push to an empty folder", full, "cp -r", cp),
            ("no-op push", noop, "rsync -r --size-only", rsync),
        ],
    )


if __name__ == "__main__":
    main()
