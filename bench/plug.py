"""Plug-to-fresh latency: ``podsync watch`` and a modelled USB player plugged in.

    python bench/plug.py [--profile NAME] [--episodes N] [--size BYTES] [--repeat R] [--smoke]

A podsync home holds the episodes; ``podsync watch -v`` runs with udev off and
an automount folder to watch.  Each turn mounts the device model
(``usbmodel.py``, its source shown as ``/dev/sdz1``, as a desktop's automounter
would mount a stick) in that folder and times, from the moment the mount
exists, the watcher's log lines as they arrive:

- a player that needs a push: until the push starts (``syncing``), and until
  it is done;
- a player already up to date: until the watcher says it is synced.

Between turns the model is unmounted (the watcher logs ``unmounted``) and, for
the first case, emptied of the episodes behind its back.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from common import PODSYNC, ensure_bytecode, filled_cache, podsync_env, sh
from usbmodel import PROFILES, ModelledDevice, mounted

DEADLINE = 120.0


class WatchLog:
    """A running ``podsync watch -v``; each line of its log with the time it arrived."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [PODSYNC, "watch", "-v"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.SimpleQueue[tuple[float, str]] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("watching for players")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str) -> float:
        """When the next line holding ``text`` arrived (earlier lines are passed over)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                at, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit(f"podsync watch never logged {text!r}") from None
            if os.environ.get("PLUG_DEBUG"):
                print(f"{at:.3f} {line}")
            if text in line:
                return at

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def first_byte(device: ModelledDevice) -> float:
    """When the model first counted a written byte (polled every millisecond)."""
    deadline = time.monotonic() + DEADLINE
    while not device.stats()["bytes"]:
        if time.monotonic() > deadline:
            raise SystemExit("nothing was written to the player")
        time.sleep(0.001)
    return time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="usb2-stick")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run, usb3-ssd")
    args = parser.parse_args()
    if args.smoke:
        args.profile, args.episodes, args.size, args.repeat = "usb3-ssd", 2, 4096, 1
    ensure_bytecode()
    profile = PROFILES[args.profile]
    with (
        tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="usbmodel-", dir="/dev/shm") as backing_dir,
    ):
        root = Path(tmp)
        home, media, backing = root / "home", root / "media", Path(backing_dir)
        filled_cache(home, args.episodes, args.size)
        env = podsync_env(home)
        with open(home / "config" / "config.toml", "a") as config:
            config.write(f'\n[watch]\nudev = false\nnotify = false\nautomount_dirs = ["{media}"]\n')
        point = media / "PLAYER"
        point.mkdir(parents=True)
        with mounted(profile, backing, point):
            sh(PODSYNC, "device", "add", str(point), "--name", "stick", env=env)
        watch = WatchLog(env)
        starts, firsts, pushes, fresh = [], [], [], []
        try:
            for _ in range(args.repeat):
                shutil.rmtree(backing / "Podcasts", ignore_errors=True)
                (backing / ".podsync" / "manifest.json").unlink(missing_ok=True)
                with mounted(profile, backing, point, fsname="/dev/sdz1") as device:
                    starts.append(watch.wait_for("stick: syncing") - device.mounted_at)
                    firsts.append(first_byte(device) - device.mounted_at)
                    pushes.append(watch.wait_for("stick: synced") - device.mounted_at)
                    watch.wait_for("stick: connected")  # so it sees the unmount
                watch.wait_for("stick: unmounted")
                with mounted(profile, backing, point, fsname="/dev/sdz1") as device:
                    fresh.append(watch.wait_for("stick: synced") - device.mounted_at)
                    watch.wait_for("stick: connected")
                watch.wait_for("stick: unmounted")
        finally:
            watch.stop()
        copied = sum(1 for p in (backing / "Podcasts").rglob("*.mp3"))
        if copied != args.episodes:
            raise SystemExit(f"the watcher's push left {copied} of {args.episodes} episodes")
    nbytes = args.episodes * args.size
    print(
        f"\nplug-in to fresh, podsync watch and the modelled {profile.name}: {args.episodes}"
        f" episodes of {args.size / 1e6:g} MB (device's limit {profile.limit(nbytes):.2f} s),"
        f" median of {args.repeat}"
    )
    print(f"{'from the mount appearing':<48} {'time':>9}")
    for work, times in (
        ("to the push starting (the watcher logs it)", starts),
        ("to the first byte written to the player", firsts),
        ("to the push done (player safe to unplug)", pushes),
        ("to 'synced' for a player already up to date", fresh),
    ):
        print(f"{work:<48} {statistics.median(times):>8.3f}s")


if __name__ == "__main__":
    main()
