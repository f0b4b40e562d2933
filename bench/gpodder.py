"""Push against gPodder's ``gpo sync`` to a folder device: a full sync, then a no-op.

    python bench/gpodder.py [--episodes N] [--size BYTES] [--repeat R] [--target DIR] [--smoke]

One loopback feed serves the episodes; a podsync home fetches them and an
isolated gPodder (GPODDER_HOME, GPODDER_DOWNLOAD_DIR) downloads them, so both
hold the same files.  Each then syncs them to a folder of its own, both with
their default settings (podsync also tags each copy; both write playlists).
The two folders are made under ``--target`` (default: the temporary folder,
on disk; /dev/shm shows the same work without the cost of podsync's syncs).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from common import (
    PODSYNC,
    compare,
    empty_player,
    gpodder_env,
    podsync_env,
    podsync_home,
    push_arguments,
    report,
    serve_podcasts,
    sh,
)


def gpo(env: dict[str, str], *args: str) -> None:
    subprocess.run(["gpo", *args], check=True, capture_output=True, env=env)


def gpodder_version() -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "gpodder"], capture_output=True, text=True
    )
    return f"gpo sync (gPodder {out.stdout or '?'})"


def main() -> None:
    args = push_arguments(__doc__, 200, 1024 * 1024, None)

    with (
        tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="podsync-bench-", dir=args.target) as out,
    ):
        root = Path(tmp)
        ours, theirs = podsync_env(root / "podsync"), gpodder_env(root / "gpodder")
        with serve_podcasts(1, args.episodes, args.size) as urls:
            podsync_home(root / "podsync", urls, args.episodes)
            gpo(theirs, "subscribe", urls[0])
            gpo(theirs, "download")
        player, folder = Path(out) / "player", Path(out) / "folder"
        player.mkdir()
        folder.mkdir()
        sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=ours)
        gpo(theirs, "set", "device_sync.device_type", "filesystem")
        gpo(theirs, "set", "device_sync.device_folder", str(folder))

        def clear_player() -> None:
            empty_player(player, "bench", ours)

        def clear_folder() -> None:
            for child in folder.iterdir():
                shutil.rmtree(child)

        def push() -> None:
            sh(PODSYNC, "push", "bench", env=ours)

        def sync() -> None:
            gpo(theirs, "sync")

        full, full_peer = compare(push, sync, args.repeat, clear_player, clear_folder)
        copied = sum(1 for p in folder.rglob("*.mp3"))
        if copied != args.episodes:
            raise SystemExit(f"gpo sync copied {copied} of {args.episodes} episodes")
        noop, noop_peer = compare(push, sync, args.repeat)
    peer = gpodder_version()
    where = args.target or Path(tempfile.gettempdir())
    report(
        f"push to a folder device in {where}: {args.episodes} episodes of"
        f" {args.size / 1e6:.1f} MB, median of {args.repeat}",
        [
            ("push (copy all)", full, peer, full_peer),
            ("no-op push (all already there)", noop, peer, noop_peer),
        ],
    )


if __name__ == "__main__":
    main()
