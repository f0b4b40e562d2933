"""A modelled USB player: a FUSE pass-through that takes as long as a USB flash device.

    python bench/usbmodel.py PROFILE BACKING MOUNTPOINT [--dirty-mb N]

mounts BACKING (a folder, best on tmpfs) at MOUNTPOINT until Ctrl-C or
``fusermount -u MOUNTPOINT``.  Profiles: see ``PROFILES``.

The model is one serial device with a write cache in front of it, as the page
cache is in front of a real stick:

- a write of N bytes queues N / bandwidth seconds of device work; a create,
  mkdir, rename, unlink or rmdir queues the per-metadata cost.  The caller
  goes on at once, unless the queue holds more than the dirty limit's worth of
  work: then it waits, as a writer to a slow stick is throttled;
- an ``fsync`` (of a file or a folder) waits until all queued work is done and,
  if anything was queued since the last sync, charges the per-sync cost (the
  FAT, the directory entries and a cache flush); with nothing dirty it is free;
- reads, ``stat``, ``utime`` and listings cost nothing (the page cache holds them).

The kernel does not pass ``sync`` or ``syncfs`` on to a FUSE file system, so the
model's flush is an ``fsync`` of its root folder (:meth:`ModelledDevice.flush`):
it charges what is still dirty.  Since the queue is served in order, every
``fsync`` also waits for what was queued before it (a simplification: Linux
writes only that file's pages, but the device does the same total work).
"""

from __future__ import annotations

import argparse
import errno
import multiprocessing
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    """What a device costs: bytes per second, seconds per sync and per metadata change."""

    name: str
    bandwidth: float
    sync: float
    meta: float

    def limit(self, nbytes: int) -> float:
        """The device's limit for ``nbytes``: the time their transfer alone takes."""
        return nbytes / self.bandwidth


PROFILES = {
    p.name: p
    for p in (
        Profile("usb2-stick", 10e6, 0.020, 0.002),
        Profile("usb2-player-slow", 5e6, 0.050, 0.005),
        Profile("usb3-ssd", 200e6, 0.002, 0.0002),
    )
}

STATS = ("bytes", "syncs", "charged_syncs", "meta", "busy", "first", "done")
"""The counters a mounted model keeps: busy is the seconds of device work queued, first
when the first of it was queued and done when the last of it ends (``time.monotonic()``)."""


class Device:
    """The serial device: a clock of queued work, shared by the FUSE threads."""

    def __init__(self, profile: Profile, dirty_limit: int, stats: list[float]) -> None:
        self.profile = profile
        self.backlog_limit = dirty_limit / profile.bandwidth
        self.stats = stats
        self._lock = threading.Lock()
        self._busy_until = 0.0
        self._dirty = False

    def _queue(self, seconds: float, counter: int, amount: float) -> float:
        with self._lock:
            self.stats[counter] += amount
            now = time.monotonic()
            self._busy_until = max(self._busy_until, now) + seconds
            self._dirty = True
            self.stats[4] += seconds
            self.stats[5] = self.stats[5] or now
            self.stats[6] = self._busy_until
            return self._busy_until - now

    def write(self, nbytes: int) -> None:
        backlog = self._queue(nbytes / self.profile.bandwidth, 0, nbytes)
        if backlog > self.backlog_limit:
            time.sleep(backlog - self.backlog_limit)

    def metadata(self) -> None:
        self._queue(self.profile.meta, 3, 1)

    def sync(self) -> None:
        """Wait for everything queued; charge a sync if anything was dirty."""
        with self._lock:
            self.stats[1] += 1
            if self._dirty:
                self.stats[2] += 1
                self.stats[4] += self.profile.sync
                self._busy_until = max(self._busy_until, time.monotonic()) + self.profile.sync
                self.stats[6] = self._busy_until
                self._dirty = False
            until = self._busy_until
        _sleep_until(until)


def _sleep_until(deadline: float) -> None:
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(left)


def operations(backing: Path, device: Device) -> object:
    """The pass-through onto ``backing`` that charges ``device`` (imports mfusepy)."""
    import mfusepy

    class PassThrough(mfusepy.Operations):
        use_ns = True

        def _p(self, path: str) -> str:
            return str(backing) + path

        def getattr(self, path, fh=None):
            st = os.lstat(self._p(path))
            return {
                key: getattr(st, key)
                for key in ("st_mode", "st_nlink", "st_size", "st_uid", "st_gid")
            } | {"st_atime": st.st_atime_ns, "st_mtime": st.st_mtime_ns, "st_ctime": st.st_ctime_ns}

        def readdir(self, path, fh):
            return [".", "..", *os.listdir(self._p(path))]

        def statfs(self, path):
            sv = os.statvfs(self._p(path))
            return {
                key: getattr(sv, key)
                for key in (
                    "f_bsize",
                    "f_frsize",
                    "f_blocks",
                    "f_bfree",
                    "f_bavail",
                    "f_files",
                    "f_ffree",
                    "f_favail",
                    "f_namemax",
                )
            }

        def open(self, path, flags):
            return os.open(self._p(path), flags & ~os.O_APPEND)

        def create(self, path, mode, fi=None):
            fd = os.open(self._p(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)
            device.metadata()
            return fd

        def read(self, path, size, offset, fh):
            return os.pread(fh, size, offset)

        def write(self, path, data, offset, fh):
            n = os.pwrite(fh, data, offset)
            device.write(n)
            return n

        def truncate(self, path, length, fh=None):
            os.truncate(self._p(path) if fh is None else fh, length)
            return 0

        def release(self, path, fh):
            os.close(fh)
            return 0

        def flush(self, path, fh):
            return 0

        def fsync(self, path, datasync, fh):
            device.sync()
            return 0

        def fsyncdir(self, path, datasync, fh):
            device.sync()
            return 0

        def mkdir(self, path, mode):
            os.mkdir(self._p(path), mode)
            device.metadata()
            return 0

        def rmdir(self, path):
            os.rmdir(self._p(path))
            device.metadata()
            return 0

        def unlink(self, path):
            os.unlink(self._p(path))
            device.metadata()
            return 0

        def rename(self, old, new):
            os.rename(self._p(old), self._p(new))
            device.metadata()
            return 0

        def utimens(self, path, times=None):
            os.utime(self._p(path), ns=times) if times else os.utime(self._p(path))
            return 0

        def chmod(self, path, mode):
            os.chmod(self._p(path), mode)
            return 0

        def chown(self, path, uid, gid):
            return 0

        def link(self, target, source):
            raise mfusepy.FuseOSError(errno.EPERM)  # FAT has no hard links

        def symlink(self, target, source):
            raise mfusepy.FuseOSError(errno.EPERM)  # nor symbolic ones

    return PassThrough()


def serve(
    profile: Profile,
    backing: Path,
    mountpoint: Path,
    dirty_limit: int,
    stats,
    fsname: str | None = None,
) -> None:
    """Mount the model and serve it until it is unmounted (blocks)."""
    import mfusepy

    device = Device(profile, dirty_limit, stats)
    mfusepy.FUSE(
        operations(backing, device),
        str(mountpoint),
        foreground=True,
        fsname=fsname or f"usbmodel-{profile.name}",
        big_writes=True,
        max_write=131072,
    )


class ModelledDevice:
    """A mounted model (see :func:`mounted`): its profile, mount point and counters."""

    def __init__(self, profile: Profile, mountpoint: Path, stats, mounted_at: float) -> None:
        self.profile = profile
        self.mountpoint = mountpoint
        self.mounted_at = mounted_at
        """When the mount was first seen (``time.monotonic()``)."""
        self._stats = stats

    def stats(self) -> dict[str, float]:
        return dict(zip(STATS, self._stats, strict=True))

    def reset(self) -> None:
        for i in range(len(STATS)):
            self._stats[i] = 0.0

    def flush(self) -> None:
        """What ``sync`` would do on a kernel file system: wait for and charge what is dirty."""
        fd = os.open(self.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def mounted(
    profile: Profile,
    backing: Path,
    mountpoint: Path,
    dirty_mb: int = 64,
    fsname: str | None = None,
) -> Iterator[ModelledDevice]:
    """Mount the model of ``profile`` over ``backing`` at ``mountpoint`` in a child process.

    ``fsname`` is the mount's source in the mount table (``/dev/sdb1`` makes it
    look like a disk partition to ``podsync watch``).
    """
    stats = multiprocessing.get_context("fork").Array("d", len(STATS), lock=False)
    process = multiprocessing.get_context("fork").Process(
        target=serve,
        args=(profile, backing, mountpoint, dirty_mb << 20, stats, fsname),
        daemon=True,
    )
    process.start()
    deadline = time.monotonic() + 10
    while not os.path.ismount(mountpoint):
        if not process.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the device model did not mount at {mountpoint}")
        time.sleep(0.001)
    try:
        yield ModelledDevice(profile, mountpoint, stats, time.monotonic())
    finally:
        subprocess.run(["fusermount", "-u", "-z", str(mountpoint)], check=False)
        process.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", choices=sorted(PROFILES))
    parser.add_argument("backing", type=Path)
    parser.add_argument("mountpoint", type=Path)
    parser.add_argument("--dirty-mb", type=int, default=64, help="the write cache (MiB)")
    args = parser.parse_args()
    stats = [0.0] * len(STATS)
    profile, backing = PROFILES[args.profile], args.backing.resolve()
    serve(profile, backing, args.mountpoint, args.dirty_mb << 20, stats)


if __name__ == "__main__":
    main()
