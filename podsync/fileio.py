"""Low-level file operations: fast copies, durable renames, atomic small writes."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podsync.errors import UsageError

CHUNK = 8 * 1024 * 1024
"""Bytes per step of a copy: progress is reported, and a cancel noticed, after each."""


def copy_file(
    src: Path,
    dest: Path,
    advance: Callable[[int], None],
    *,
    prefix: bytes = b"",
    skip: int = 0,
) -> int:
    """Write ``prefix``, then ``src`` from byte ``skip`` on, over ``dest``; keep ``src``'s mtime.

    The bytes move in kernel space where possible: ``copy_file_range`` (a
    reflink or an in-kernel copy on one file system), else ``sendfile``
    (across file systems), else plain reads and writes (some FUSE file
    systems).  ``advance`` is called after every chunk with its size (it may
    raise to stop).  Returns the bytes written.
    """
    infd = os.open(src, os.O_RDONLY)
    try:
        # Never through a link: a temporary name is podsync's, a link there is planted.
        outfd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            _write_all(outfd, prefix)
            if prefix:
                advance(len(prefix))
            copied = len(prefix) + _copy_from(infd, outfd, skip, advance)
        finally:
            os.close(outfd)
        stat = os.fstat(infd)
    finally:
        os.close(infd)
    # By path, once closed: some FUSE file systems ignore times set through a descriptor.
    os.utime(dest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return copied


def _copy_from(infd: int, outfd: int, offset: int, advance: Callable[[int], None]) -> int:
    """Copy ``infd`` from ``offset`` to its end onto ``outfd`` at its position."""
    copied = 0
    ways = [*_KERNEL_WAYS, _plain_chunk]
    while True:
        try:
            n = ways[0](infd, outfd, offset + copied)
        except OSError as exc:
            if len(ways) > 1 and exc.errno in _NO_KERNEL_COPY:
                ways.pop(0)  # e.g. across file systems, or on FUSE
                continue
            raise
        if not n:
            return copied
        copied += n
        advance(n)


_NO_KERNEL_COPY = {
    errno.EXDEV,
    errno.ENOSYS,
    errno.EOPNOTSUPP,
    errno.EINVAL,
    errno.EBADF,
    errno.EPERM,
}


def _range_chunk(infd: int, outfd: int, offset: int) -> int:
    return os.copy_file_range(infd, outfd, CHUNK, offset)


def _sendfile_chunk(infd: int, outfd: int, offset: int) -> int:
    return os.sendfile(outfd, infd, offset, CHUNK)


def _plain_chunk(infd: int, outfd: int, offset: int) -> int:
    block = os.pread(infd, CHUNK, offset)
    _write_all(outfd, block)
    return len(block)


_KERNEL_WAYS = tuple(
    way
    for name, way in (("copy_file_range", _range_chunk), ("sendfile", _sendfile_chunk))
    if hasattr(os, name)
)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def size_or_zero(path: Path) -> int:
    """The size of the file at ``path``; 0 when it is missing or cannot be read."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


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


def write_user_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, a file the user named, atomically and never through a link.

    A new file or an existing regular file is replaced in one rename (keeping
    its permissions); a symbolic link, a device, a FIFO or a folder at ``path``
    is refused, so nothing behind it is written.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        mode = None
    else:
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(
                f"{path} is a symbolic link; podsync does not write through links "
                f"(give the file it points to: {os.path.realpath(path)})"
            )
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path} is not a regular file; podsync writes only regular files")
        mode = stat.S_IMODE(info.st_mode)
    if mode is None:
        mask = os.umask(0o022)
        os.umask(mask)
        mode = 0o666 & ~mask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def sync_files(paths: list[Path]) -> dict[Path, OSError]:
    """Make the data of ``paths`` (on one file system) durable; return each file's own error.

    One ``syncfs`` writes them all out at once; an ``fsync`` of each then finds
    it clean (cheap) and reports the write error of that file alone, if any.
    Where ``syncfs`` does not reach the device (FUSE), the first ``fsync`` does
    the work.
    """
    if paths:
        with contextlib.suppress(OSError, AttributeError):
            fd = os.open(paths[0], os.O_RDONLY)
            try:
                _libc().syncfs(fd)  # errors are left to the fsyncs below
            finally:
                os.close(fd)
    errors: dict[Path, OSError] = {}
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            errors[path] = exc
    return errors


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def rename_noreplace(src: Path, dest: Path) -> None:
    """Rename ``src`` to ``dest`` unless something is there: FileExistsError then, never a
    replace.

    ``renameat2(RENAME_NOREPLACE)`` where the file system has it (the kernel
    decides atomically); else a hard link and an unlink of ``src`` (also
    atomic); else (FAT through FUSE has neither) a fresh look at ``dest`` just
    before a plain rename.
    """
    try:
        _renameat2(src, dest)
        return
    except OSError as exc:
        if exc.errno not in _NO_RENAME2:
            raise
    try:
        os.link(src, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.EEXIST or exc.errno not in _NO_LINK:
            raise
    else:
        os.unlink(src)
        return
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dest))
    os.rename(src, dest)


_NO_RENAME2 = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


def _renameat2(src: Path, dest: Path) -> None:
    """``renameat2(src, dest, RENAME_NOREPLACE)``; ENOSYS where the C library lacks it."""
    import ctypes

    call = getattr(_libc(), "renameat2", None)
    if call is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if call(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dest), _RENAME_NOREPLACE):
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(src), None, str(dest))


@functools.cache
def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)
