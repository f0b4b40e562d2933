"""Low-level file operations: fast copies, durable renames, atomic small writes."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path

CHUNK = 8 * 1024 * 1024


def copy_file(src: Path, dest: Path, advance: Callable[[int], None]) -> int:
    """Copy ``src`` over ``dest`` in kernel space where possible, keeping its mtime.

    ``advance`` is called after every chunk with its size (it may raise to stop).
    Returns the bytes copied.
    """
    copied = 0
    infd = os.open(src, os.O_RDONLY)
    try:
        outfd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            kernel = hasattr(os, "copy_file_range")
            while True:
                if kernel:
                    try:
                        n = os.copy_file_range(infd, outfd, CHUNK)
                    except OSError as exc:
                        if exc.errno in _NO_KERNEL_COPY:
                            kernel = False  # e.g. across file systems or on FUSE
                            continue
                        raise
                else:
                    n = _copy_chunk(infd, outfd)
                if not n:
                    break
                copied += n
                advance(n)
        finally:
            os.close(outfd)
        stat = os.fstat(infd)
    finally:
        os.close(infd)
    # By path, once closed: some FUSE file systems ignore times set through a descriptor.
    os.utime(dest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return copied


_NO_KERNEL_COPY = {
    errno.EXDEV,
    errno.ENOSYS,
    errno.EOPNOTSUPP,
    errno.EINVAL,
    errno.EBADF,
    errno.EPERM,
}


def _copy_chunk(infd: int, outfd: int) -> int:
    block = os.read(infd, CHUNK)
    view = memoryview(block)
    while view:
        view = view[os.write(outfd, view) :]
    return len(block)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (ignored where directories can't be synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
