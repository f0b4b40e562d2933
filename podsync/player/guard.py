"""Every file podsync reads, writes or removes on a player goes through here.

A player is a device anyone may have written to, and it may vanish at any
moment.  So nothing is reached through a link (each folder on the way is
checked with ``lstat``, the file itself is opened with ``O_NOFOLLOW``), nothing
that is not a regular file is opened (``O_NONBLOCK``, then ``fstat``: a FIFO
never hangs a push), JSON is read with a bound on its size and depth, and
before each change the player must still be the file system the push started
on (same ``st_dev``, still mounted): once it is gone, nothing is written into
the empty folder it leaves behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from podsync.errors import DeviceError
from podsync.fileio import fsync_dir, rename_noreplace, sync_files

MAX_JSON_DEPTH = 16
"""podsync's own JSON is at most three levels deep."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_SYNTAX = bytes(sorted(set(range(256)) - set(b'[]{}"\\')))
"""Everything but brackets, quotes and backslashes: what the depth of JSON depends on."""


class PlayerGone(DeviceError):
    """The player was unplugged (or unmounted) during the push."""


class UnsafePath(DeviceError):
    """A path on the player leads through a link, off the player, or to a special file."""


def parts(relpath: str) -> list[str]:
    """The components of a path relative to the player's root (no ``..``, no absolute path)."""
    names = [p for p in relpath.split("/") if p]
    if any(p in (".", "..") for p in names) or "\x00" in relpath:
        raise UnsafePath(f"refusing the path {relpath!r}: it could leave the player")
    return names


def folder_of(root: Path, relfolder: str) -> Path:
    """``root/relfolder`` once each folder on the way is a real folder, not a link."""
    path = root
    for name in parts(relfolder):
        path = path / name
        mode = os.lstat(path).st_mode
        if not stat.S_ISDIR(mode):
            raise UnsafePath(_not_a_folder(root, path, mode))
    return path


def open_regular(root: Path, relpath: str, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of the regular file ``relpath`` (FileNotFoundError when missing).

    Never follows a link and never waits on a FIFO or a device: those raise
    :class:`UnsafePath` and are left as they are.
    """
    *folder, name = parts(relpath)
    path = folder_of(root, "/".join(folder)) / name
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
            raise UnsafePath(f"{relpath} on the player is not a regular file; left alone") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(f"{relpath} on the player is not a regular file; left alone")
    return fd


def read_regular(root: Path, relpath: str, limit: int) -> bytes | None:
    """The bytes of the regular file ``relpath``, None when it is missing.

    A file over ``limit`` bytes raises ValueError; a link or a special file
    raises :class:`UnsafePath`.
    """
    try:
        fd = open_regular(root, relpath)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{relpath} is larger than {limit} bytes")
    return data


def load_json(data: bytes) -> Any:
    """Parse ``data``, refusing (ValueError) anything nested deeper than podsync ever writes."""
    skeleton = _STRINGS.sub(b"", data.translate(None, _NOT_SYNTAX)).translate(None, b'"\\')
    depth = 0
    for byte in skeleton:
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return json.loads(data)


class Player:
    """A player's root folder, guarded: see the module's description."""

    def __init__(self, root: Path) -> None:
        self.root = root
        info = os.stat(root)
        self.dev = info.st_dev
        self.mounted = os.path.ismount(root)

    def check(self) -> None:
        """Raise :class:`PlayerGone` unless the player is still where the push started."""
        try:
            same = os.stat(self.root).st_dev == self.dev
        except OSError:
            same = False
        if not same or (self.mounted and not os.path.ismount(self.root)):
            raise PlayerGone(f"the player was removed ({self.root} is no longer the player)")

    def folder(self, relfolder: str, *, create: bool = False) -> Path:
        """``root/relfolder`` checked as by :func:`folder_of`; ``create`` makes missing ones."""
        path = self.root
        for name in parts(relfolder):
            path = path / name
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                if not create:
                    raise
                self.check()
                with contextlib.suppress(FileExistsError):
                    os.mkdir(path)
                info = os.lstat(path)
            if not stat.S_ISDIR(info.st_mode):
                raise UnsafePath(_not_a_folder(self.root, path, info.st_mode))
            if info.st_dev != self.dev:
                raise UnsafePath(f"{path.relative_to(self.root)} is another file system")
        return path

    def path(self, relpath: str, *, create: bool = False) -> Path:
        """``root/relpath`` with its folders checked (the file itself is not)."""
        *folder, name = parts(relpath)
        return self.folder("/".join(folder), create=create) / name

    def read(self, relpath: str, limit: int) -> bytes | None:
        return read_regular(self.root, relpath, limit)

    def exists(self, relpath: str) -> bool:
        """Whether anything (a file, folder, link, FIFO) is at ``relpath``.

        A link on the way counts as something: the name is not podsync's to use.
        """
        try:
            return os.path.lexists(self.path(relpath))
        except FileNotFoundError:
            return False
        except (OSError, UnsafePath):
            return True

    def holds(self, relpath: str, data: bytes) -> bool:
        """Whether ``relpath`` is a regular file holding exactly ``data`` (nothing to rewrite)."""
        try:
            return self.read(relpath, len(data)) == data
        except (OSError, ValueError, UnsafePath):
            return False

    def open_new(self, relpath: str) -> int:
        """A descriptor of a new file ``relpath`` (FileExistsError if anything is there)."""
        path = self.path(relpath, create=True)
        self.check()
        return os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644
        )

    def write_new(self, relpath: str, data: bytes, *, sync: bool = True) -> None:
        """Write ``data`` to the new file ``relpath`` (and, with ``sync``, sync it)."""
        fd = self.open_new(relpath)
        try:
            _write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def write_atomically(self, relpath: str, data: bytes) -> None:
        """Replace the regular file ``relpath`` (or make it) with ``data``, all or nothing.

        A link, folder or special file at ``relpath`` is left alone (:class:`UnsafePath`).
        """
        pending = PendingWrites(self)
        pending.write(relpath, data)
        pending.commit()
        for why in pending.refused.values():
            raise UnsafePath(why)

    def replace(self, tmprel: str, relpath: str) -> Path:
        """Rename ``tmprel`` over the regular file ``relpath`` (or to it); its folder."""
        final = self.path(relpath)
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISREG(os.lstat(final).st_mode):
                raise UnsafePath(f"{relpath} on the player is not a regular file; left alone")
        self.check()
        os.replace(self.path(tmprel), final)
        return final.parent

    def rename_new(self, tmp: Path, final: Path) -> None:
        """Rename ``tmp`` to ``final`` unless something is there (FileExistsError)."""
        self.check()
        rename_noreplace(tmp, final)

    def remove(
        self, relpath: str, still_ours: Callable[[os.stat_result], str | None] | None = None
    ) -> str | None:
        """The one way podsync deletes a file from a player.

        Only a regular file, reached through no link, on the player as it was
        at the start, is removed; and only when ``still_ours`` (given the
        file's ``lstat``) has no objection.  Returns that objection (the file is
        then left alone), or None.  A missing file is no error.
        """
        self.check()
        try:
            path = self.path(relpath)
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return "it is no longer a file podsync wrote (a link, folder or special file)"
        reason = still_ours(info) if still_ours is not None else None
        if reason is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return reason

    def remove_folder(self, relfolder: str) -> None:
        """Remove the folder ``relfolder`` if it is empty (a real folder, never a link)."""
        self.check()
        with contextlib.suppress(OSError, UnsafePath):
            os.rmdir(self.folder(relfolder))


class PendingWrites:
    """Files to replace on a player all or nothing, together: one sync for them all.

    Each is written now beside its final name (``.NAME.tmp``); :meth:`commit`
    syncs them (and any other files given, such as the journal record that
    claims them) at once, then renames each into place and syncs their folders.
    """

    def __init__(self, player: Player) -> None:
        self.player = player
        self.writes: list[tuple[str, str]] = []
        """(temporary, final) paths, in the order written."""
        self.refused: dict[str, str] = {}
        """Files not put in place (a link or folder took the name meanwhile): path → why."""

    def write(self, relpath: str, data: bytes) -> None:
        """Write ``data`` for ``relpath`` under its temporary name (not synced)."""
        name = self.player.path(relpath, create=True).name
        tmp = f"{relpath.rpartition('/')[0]}/.{name}.tmp".lstrip("/")
        self.player.remove(tmp)  # left by a crash
        self.player.write_new(tmp, data, sync=False)
        self.writes.append((tmp, relpath))

    def commit(self, also: Iterable[Path] = (), folders: Iterable[Path] = ()) -> None:
        """Sync the files written and ``also`` and ``folders``, then rename the files.

        A sync error stops before any rename (the temporary files are removed);
        a name taken by a link or folder meanwhile is left alone (:attr:`refused`).
        """
        writes, self.writes = self.writes, []
        try:
            errors = sync_files([*(self.player.path(t) for t, _ in writes), *also])
            if errors:
                raise next(iter(errors.values()))
            for folder in folders:
                fsync_dir(folder)  # renames the new files depend on reach the disk first
            renamed = set()
            for tmp, relpath in writes:
                try:
                    renamed.add(self.player.replace(tmp, relpath))
                except UnsafePath as exc:
                    self.refused[relpath] = str(exc)
                    self.player.remove(tmp)
        except BaseException:
            for tmp, _ in writes:
                with contextlib.suppress(OSError, DeviceError):
                    self.player.remove(tmp)
            raise
        for folder in renamed:
            fsync_dir(folder)


def _not_a_folder(root: Path, path: Path, mode: int) -> str:
    what = "a link" if stat.S_ISLNK(mode) else "not a folder"
    return f"{path.relative_to(root)} on the player is {what}; podsync does not go through it"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
