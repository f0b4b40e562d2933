"""Push onto a modelled USB player: podsync against `gpo sync` + `sync` and `cp -r` + `sync`.

    python bench/usbpush.py [--profile NAME] [--episodes N] [--size BYTES] [--repeat R]
                            [--small] [--smoke]

One loopback feed serves the episodes; a podsync home fetches them and an
isolated gPodder downloads them, so both hold the same files.  The device
model (``usbmodel.py``) is mounted over a folder in /dev/shm, and the three
tools push the same episodes onto it in turns: ``podsync push``; ``gpo sync``
then ``sync``; ``cp -r`` of podsync's cache then ``sync``.  Each time runs
until the player is safe to unplug: the command, ``sync``, then the model's
flush (the kernel does not pass ``sync`` on to a FUSE file system, so the
model is told directly; it charges only what is still dirty).  Each is shown
as a ratio to the device's limit: the episodes' bytes ÷ the profile's
bandwidth.  ``--small`` is the 1,000-small-episodes case.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    PODSYNC,
    empty_player,
    ensure_bytecode,
    gpodder_env,
    podsync_env,
    podsync_home,
    serve_podcasts,
    sh,
)
from usbmodel import PROFILES, ModelledDevice, mounted


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="usb2-stick")
    parser.add_argument("--podcasts", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=60, help="per podcast")
    parser.add_argument("--size", type=int, default=2_500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="10 x 100 episodes of 50 kB")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run, usb3-ssd")
    args = parser.parse_args()
    if args.small:
        args.podcasts, args.episodes, args.size = 10, 100, 50_000
    if args.smoke:
        args.profile, args.podcasts, args.episodes, args.size = "usb3-ssd", 1, 3, 4096
        args.repeat = 1
    ensure_bytecode()
    return args


def gpo(env: dict[str, str], *args: str) -> None:
    subprocess.run(["gpo", *args], check=True, capture_output=True, env=env)


class Turn:
    """One tool's way to fill the player, and to empty it before the next turn."""

    def __init__(self, name: str, run: Callable[[], object], clear: Callable[[], object]) -> None:
        self.name = name
        self.run = run
        self.clear = clear
        self.times: list[float] = []
        self.stats: dict[str, float] = {}

    def once(self, device: ModelledDevice) -> float:
        """Time from the start of the command until the player is safe to unplug."""
        self.clear()
        device.flush()  # the clearing's own cost is not timed
        device.reset()
        start = time.monotonic()
        self.run()
        device.flush()
        elapsed = time.monotonic() - start
        self.stats = device.stats()
        self.stats["lead"] = self.stats["first"] - start
        self.stats["idle"] = elapsed - self.stats["busy"]
        self.stats["tail"] = start + elapsed - self.stats["done"]
        return elapsed


def main() -> None:
    args = arguments()
    profile = PROFILES[args.profile]
    with (
        tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="usbmodel-", dir="/dev/shm") as backing,
        tempfile.TemporaryDirectory(prefix="usbmodel-mnt-") as mnt,
    ):
        root = Path(tmp)
        ours, theirs = podsync_env(root / "podsync"), gpodder_env(root / "gpodder")
        total = args.podcasts * args.episodes
        with serve_podcasts(args.podcasts, args.episodes, args.size) as urls:
            cache = podsync_home(root / "podsync", urls, args.episodes)
            for url in urls:
                gpo(theirs, "subscribe", url)
            gpo(theirs, "download")
        episodes = [p for p in cache.rglob("*") if p.is_file()]
        if len(episodes) != total:
            raise SystemExit(f"podsync fetched {len(episodes)} of {total} episodes")
        nbytes = sum(p.stat().st_size for p in episodes)
        with mounted(profile, Path(backing), Path(mnt)) as device:
            player, folder, copy = (Path(mnt) / n for n in ("player", "gpo", "cp"))
            for made in (player, folder, copy):
                made.mkdir()
            sh(PODSYNC, "device", "add", str(player), "--name", "bench", env=ours)
            gpo(theirs, "set", "device_sync.device_type", "filesystem")
            gpo(theirs, "set", "device_sync.device_folder", str(folder))

            def clear(path: Path) -> Callable[[], None]:
                return lambda: [shutil.rmtree(c) for c in path.iterdir()]

            turns = [
                Turn(
                    "podsync push",
                    lambda: sh(PODSYNC, "push", "bench", env=ours),
                    lambda: empty_player(player, "bench", ours),
                ),
                Turn(
                    "gpo sync + sync",
                    lambda: (gpo(theirs, "sync"), sh("sync")),
                    clear(folder),
                ),
                Turn(
                    "cp -r + sync",
                    lambda: (sh("cp", "-r", str(cache), str(copy / "Podcasts")), sh("sync")),
                    clear(copy),
                ),
            ]
            for turn in turns:  # one untimed round: nobody runs on cold caches
                turn.once(device)
            for _ in range(args.repeat):
                for turn in turns:
                    turn.times.append(turn.once(device))
            for tool, where in (("podsync", player), ("gpo sync", folder), ("cp", copy)):
                copied = sum(1 for p in where.rglob("*.mp3"))
                if copied != total:
                    raise SystemExit(f"{tool} copied {copied} of {total} episodes")
    report(args, total, nbytes, turns)


def report(args: argparse.Namespace, total: int, nbytes: int, turns: list[Turn]) -> None:
    profile = PROFILES[args.profile]
    limit = profile.limit(nbytes)
    print(
        f"\npush onto the modelled {profile.name} ({profile.bandwidth / 1e6:g} MB/s,"
        f" {profile.sync * 1e3:g} ms per sync, {profile.meta * 1e3:g} ms per metadata change):"
        f" {args.podcasts} podcast(s), {total} episodes, {nbytes / 1e6:.1f} MB;"
        f" the device's limit {limit:.2f} s; median of {args.repeat}"
    )
    print(
        f"{'tool':<18} {'time':>9} {'ratio':>6} {'÷ gpo':>6} {'÷ cp':>6}"
        f" {'MB':>8} {'syncs':>6} {'charged':>7} {'meta':>6} {'lead':>6} {'tail':>6} {'idle':>6}"
    )
    medians = {t.name: statistics.median(t.times) for t in turns}
    gpo_time, cp_time = medians["gpo sync + sync"], medians["cp -r + sync"]
    for turn in turns:
        took, s = medians[turn.name], turn.stats
        print(
            f"{turn.name:<18} {took:>8.2f}s {took / limit:>6.3f} {took / gpo_time:>6.3f}"
            f" {took / cp_time:>6.3f} {s['bytes'] / 1e6:>8.1f} {s['syncs']:>6.0f}"
            f" {s['charged_syncs']:>7.0f} {s['meta']:>6.0f} {s['lead']:>6.2f}"
            f" {s['tail']:>6.2f} {s['idle']:>6.2f}"
        )
    print(
        "ratio: time ÷ the device's limit (bytes ÷ bandwidth); counters from the last turn:"
        " syncs asked for and charged (something was dirty), metadata changes, seconds from"
        " the start to the device's first work (lead), from the end of its last to the end"
        " (tail), and the seconds it sat idle in all"
    )


if __name__ == "__main__":
    main()
