"""Full push against ``cp -r``: 1 GiB in 100 episodes from the cache to a tmpfs folder.

    python bench/push.py [--episodes N] [--size BYTES] [--repeat R] [--target DIR] [--smoke]

Builds its own cache (a loopback feed fetched into a fresh home, in the
temporary folder), then times podsync and ``cp -r`` copying the same files,
in the same run, into fresh folders under ``--target`` (default /dev/shm, a
tmpfs, so the disk's write speed does not hide the copy's own cost).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common import (
    PODSYNC,
    compare,
    empty_player,
    filled_cache,
    podsync_env,
    push_arguments,
    report,
    sh,
    version,
)


def main() -> None:
    args = push_arguments(__doc__, 100, 10 * 1024 * 1024, Path("/dev/shm"))

    with (
        tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="podsync-bench-", dir=args.target) as out,
    ):
        home = Path(tmp) / "home"
        cache = filled_cache(home, args.episodes, args.size)
        env = podsync_env(home)
        player, copy = Path(out) / "player", Path(out) / "copy"
        player.mkdir()
        sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=env)

        def clear_player() -> None:
            empty_player(player, "bench", env)

        def clear_copy() -> None:
            shutil.rmtree(copy, ignore_errors=True)

        def push() -> None:
            sh(PODSYNC, "push", "bench", env=env)

        def cp() -> None:
            sh("cp", "-r", str(cache), str(copy))

        ours, theirs = compare(push, cp, args.repeat, clear_player, clear_copy)
    total = args.episodes * args.size / 2**20
    report(
        f"full push: {args.episodes} episodes, {total:.0f} MiB, to {args.target},"
        f" median of {args.repeat}",
        [("full push to an empty folder", ours, f"cp -r ({version('cp', '--version')})", theirs)],
    )


if __name__ == "__main__":
    main()
