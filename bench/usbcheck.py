"""Check the USB device model: measured times of dd, an fsync loop and metadata against the model.

    python bench/usbcheck.py [--profile NAME ...] [--mb N] [--loops N] [--smoke]

For each profile the model is mounted over a folder in /dev/shm and timed with
real programs: ``dd`` of N MiB with ``conv=fsync``; ``dd`` without it, then the
model's flush (what ``sync`` does); a loop of 4 KiB appends each followed by an
``fsync``; and a loop of create, rename and unlink, then one flush.  Each line
prints the measured time, the time the profile says it should take, and their
ratio (the model's own overhead shows as a ratio above 1).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from usbmodel import PROFILES, ModelledDevice, Profile, mounted


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def dd(target: Path, mb: int, *conv: str) -> None:
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mb}", *conv],
        check=True,
        capture_output=True,
    )


def fsync_loop(target: Path, loops: int) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for _ in range(loops):
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
    finally:
        os.close(fd)


def metadata_loop(root: Path, loops: int, device: ModelledDevice) -> None:
    for n in range(loops):
        (root / f"a{n}").touch()
        os.rename(root / f"a{n}", root / f"b{n}")
        os.unlink(root / f"b{n}")
    device.flush()


def check(profile: Profile, mb: int, loops: int) -> list[tuple[str, float, float]]:
    """Rows of (work, measured seconds, modelled seconds) for one profile."""
    nbytes, p = mb << 20, profile
    with (
        tempfile.TemporaryDirectory(prefix="usbmodel-", dir="/dev/shm") as backing,
        tempfile.TemporaryDirectory(prefix="usbmodel-mnt-") as mnt,
        mounted(profile, Path(backing), Path(mnt)) as device,
    ):
        root = Path(mnt)
        rows = [
            (
                f"dd {mb} MiB, conv=fsync",
                timed(lambda: dd(root / "dd1", mb, "conv=fsync")),
                p.limit(nbytes) + p.meta + p.sync,
            ),
            (
                f"dd {mb} MiB, then flush (sync)",
                timed(lambda: (dd(root / "dd2", mb), device.flush())),
                p.limit(nbytes) + p.meta + p.sync,
            ),
            (
                f"{loops} x (append 4 KiB, fsync)",
                timed(lambda: fsync_loop(root / "loop", loops)),
                p.meta + loops * (p.limit(4096) + p.sync),
            ),
            (
                f"{loops} x (create, rename, unlink), flush",
                timed(lambda: metadata_loop(root, loops, device)),
                3 * loops * p.meta + p.sync,
            ),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES))
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--loops", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one profile")
    args = parser.parse_args()
    names = args.profile or list(PROFILES)
    if args.smoke:
        names, args.mb, args.loops = ["usb3-ssd"], 2, 5
    for name in names:
        print(f"\n{name}")
        print(f"{'work':<40} {'measured':>9} {'modelled':>9} {'ratio':>6}")
        for work, measured, modelled in check(PROFILES[name], args.mb, args.loops):
            print(f"{work:<40} {measured:>8.3f}s {modelled:>8.3f}s {measured / modelled:>6.3f}")


if __name__ == "__main__":
    main()
