"""The device store: a folder on a mounted player, limited to what podsync wrote there."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from podsync.errors import PodsyncError, SkipItem
from podsync.fileio import copy_file, sync_files
from podsync.model import MediaItem
from podsync.names import DEFAULT_TEMPLATE, MAX_NAME, episode_path
from podsync.player.guard import UnsafePath
from podsync.player.manifest import TMP_PREFIX, TMP_SUFFIX, Entry, Manifest
from podsync.player.ownership import changed
from podsync.stores.base import MediaStore, PostProcess, Transfer, write_whole
from podsync.stores.batch import Batch, Written, keep_mtime, write_record
from podsync.stores.player_folders import PlayerFolders, join

log = logging.getLogger(__name__)

MAX_CLASHES = 100
"""Names tried for one episode when files keep appearing at them during the push."""


class DeviceStore(MediaStore):
    """Episodes under ``<root>/<folder>/<podcast>/`` on a player.

    Only files listed in the player's manifest are listed, replaced or removed;
    everything else on the player is the user's and is never touched.
    """

    def __init__(
        self,
        root: Path,
        folder: str,
        manifest: Manifest,
        name: str = "player",
        template: str = DEFAULT_TEMPLATE,
        max_length: int = MAX_NAME,
        ascii_names: bool = False,
    ) -> None:
        self.root = root
        self.ascii_names = ascii_names
        self.folder = folder.strip("/")
        self.manifest = manifest
        self.player = manifest.player
        self.name = name
        self.template = template
        self.max_length = max_length
        self._staging: Path | None = None
        """A local temporary folder for post-processing before a file goes to the
        player, made when first needed."""
        self.warning: str | None = None
        self._lock = threading.RLock()
        self._folders = PlayerFolders(self.player, self.folder)
        self._renamed: set[Path] = set()
        """Folders with renames not yet synced to the disk (synced once, at commit)."""
        self._listing: list[MediaItem] | None = None
        self._vanished: dict[str, str] = {}
        """Podsync files the user deleted on the player (path → episode key)."""
        self._batch = Batch()
        self._commit_lock = threading.Lock()
        self._failed: dict[str, Exception] = {}  # copies whose batch failed them, by key

    def list(self) -> list[MediaItem]:
        """The manifest's files that are still there, from one scan of the folder.

        No file is opened or read: sizes are the manifest's.  A file the scan
        does not show by its exact name is looked up once more by path (on a
        case-insensitive player the user may have renamed it).  A path through
        a link, or holding anything but a regular file, is not podsync's file.
        """
        if self._listing is None:
            self._listing, self._vanished = [], {}
            for path, e in list(self.manifest.files.items()):
                if not self._folders.has_file(path) and not self._is_file(path):
                    self._vanished[path] = e.key
                    continue
                self._listing.append(
                    MediaItem(e.key, e.podcast, e.title, e.published, path, e.size, e.ext)
                )
        return list(self._listing)

    def _is_file(self, relpath: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.player.path(relpath)).st_mode)
        except (OSError, UnsafePath):
            return False

    def clean_stale(self) -> int:
        """Remove podsync's own temporary files left by an interrupted push."""
        removed = 0
        for relpath in self._folders.files():
            name = relpath.rpartition("/")[2]
            if name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX):
                with contextlib.suppress(OSError, UnsafePath):
                    if self.player.remove(relpath) is None:
                        self._folders.removed(relpath)
                        removed += 1
        return removed

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        copy_file(self.root / item.location, dest, transfer.advance)

    def add(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        post: PostProcess | None = None,
    ) -> MediaItem:
        """Write ``item`` to a temporary file; it is named with its batch (:meth:`_commit`)."""
        self._commit_due()
        *dirs, name = episode_path(item, self.template, self.max_length, self.ascii_names)
        folder = self._folders.folder_for(dirs)
        self.player.folder(folder, create=True)
        relpath = self._folders.claim(folder, name)
        with self._lock:
            first = self._batch.begin()
        if first:  # its record's folder exists before the copies can fill the player
            self.manifest.prepare()
        tmprel = join(folder, f"{TMP_PREFIX}{item.key}{TMP_SUFFIX}")
        try:
            refused = self.player.remove(tmprel)  # left by a crash (clean_stale missed it)
            if refused:
                raise UnsafePath(f"{tmprel}: {refused}; left alone")
            tmp = self.player.path(tmprel)
            fill, expected, staged = self._filler(item, source, transfer, post)
        except BaseException:
            self._folders.unclaim(relpath)
            raise
        log.info("copy: %s to %s", item.label, self.root / relpath)
        try:
            size = write_whole(
                lambda path: (self.player.check(), fill(path)),
                tmp,
                self.root / relpath,
                expected=expected,
                discard=lambda _path: self.player.remove(tmprel),
            )
            transfer.check()
        except BaseException:
            with contextlib.suppress(OSError, PodsyncError):
                self.player.remove(tmprel)
            self._folders.unclaim(relpath)
            raise
        finally:
            if staged:
                staged.unlink(missing_ok=True)
        stored = replace(item, location=relpath, size=size)
        with self._lock:
            self._batch.add(Written(stored, tmprel, tmp, _entry(item, tmp)))
        self._commit_due()
        return stored

    def _commit_due(self, now: bool = False) -> None:
        with self._lock:
            copies = self._batch.take(now)
        if copies:
            self._commit(copies)

    def _commit(self, batch: list[Written]) -> None:
        """Record the batch in the journal, sync its data and the record once, then rename.

        Each failure is that copy's alone; if the record cannot be written or
        synced, none is renamed.  (An ``add`` counts only once its file is at its
        name, so the record may be written before the data are synced.)
        """
        with self._commit_lock:
            record = write_record(batch, self.manifest, self.free_space, self._drop)
            errors = sync_files([*(w.tmp for w in batch), *([record] if record else [])])
            for w in batch:
                try:
                    if record in errors or w.tmp in errors:
                        raise errors.get(record) or errors[w.tmp]
                    relpath = self._rename(w)
                except (OSError, PodsyncError) as exc:
                    self._drop(w, exc)
                    with contextlib.suppress(OSError, PodsyncError):
                        self.manifest.forget(w.item.location)  # its intent claims nothing
                    continue
                self.manifest.added(relpath, w.entry)
                self._folders.added(relpath)
                with self._lock:
                    self._renamed.add(self.root / relpath.rpartition("/")[0])
                    self._listing = None

    def _rename(self, written: Written) -> str:
        """Name a copy; a file that took its name meanwhile is never replaced (next name)."""
        relpath, tmp = written.item.location, written.tmp
        folder, _, name = relpath.rpartition("/")
        times = tmp.stat()
        for _ in range(MAX_CLASHES):
            final = self.player.path(relpath)
            try:
                self.player.rename_new(tmp, final)
            except FileExistsError:
                self.manifest.forget(relpath)
                relpath = self._folders.claim(folder, name)
                self.manifest.intend_add(relpath, written.entry)
                continue
            keep_mtime(final, times)
            return relpath
        raise PodsyncError(f"no free name for {name} in {folder}")

    def _drop(self, written: Written, error: Exception) -> None:
        """Give up a copy of the batch: remove its temporary file, free its name."""
        with contextlib.suppress(OSError, PodsyncError):
            self.player.remove(written.tmprel)
        self._folders.unclaim(written.item.location)
        with self._lock:
            self._failed[written.item.key] = error

    def settle(self) -> dict[str, Exception]:
        self._commit_due(now=True)
        with self._lock:
            failed, self._failed = self._failed, {}
        return failed

    def _filler(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        post: PostProcess | None,
    ) -> tuple[Callable[[Path], object], int | None, Path | None]:
        """How to write the copy, the size it must have, and the staged file it comes from.

        The fastest way that does the work: the source's bytes after a new
        header in one pass; else a staged copy the post steps worked on; else
        the source's bytes as they are.
        """
        src = source.local_path(item)
        head, exact = None, _exact(item, source)
        if src is not None:
            with contextlib.suppress(FileNotFoundError):  # export says it better
                exact = src.stat().st_size  # as it is now, the listing may be older
                head = post.header(item, src) if post is not None else None
        if head is not None and src is not None:
            return (
                lambda path: copy_file(
                    src, path, transfer.advance, prefix=head.data, skip=head.skip
                ),
                None if exact is None else exact - head.skip + len(head.data),
                None,
            )
        if post is not None:
            staged = self._stage(item, source, transfer, post)
            return (
                lambda path: copy_file(staged, path, transfer.advance),
                staged.stat().st_size,
                staged,
            )
        return (lambda path: source.export(item, path, transfer)), exact, None

    def _stage(
        self, item: MediaItem, source: MediaStore, transfer: Transfer, post: PostProcess
    ) -> Path:
        """A local copy of ``item`` with the post-processing done, to write out in one go.

        Players and phones write best (some only) whole files in one sequential
        stream, so steps such as tagging never rewrite a file on the player.
        """
        with self._lock:
            if self._staging is None:
                self._staging = Path(tempfile.mkdtemp(prefix="podsync-"))
        staged = self._staging / f"{item.key}.{item.ext}"
        try:
            source.export(item, staged, transfer.silent())
            before = staged.stat()
            post.process(item, staged)
            os.utime(staged, ns=(before.st_atime_ns, before.st_mtime_ns))  # keep the source's
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return staged

    def remove(self, item: MediaItem) -> None:
        """Delete podsync's file ``item``, if it is still the file podsync wrote.

        A file the user replaced or edited since, or a path that now holds a
        link or a folder, is left alone, forgotten from the manifest and
        reported (once: it is no longer podsync's).
        """
        if not self.manifest.owns(item.location):
            raise PodsyncError(f"refusing to delete {item.location}: podsync did not write it")
        entry = self.manifest.files.get(item.location)
        try:
            objection = self.player.remove(
                item.location, None if entry is None else (lambda info: changed(info, entry))
            )
        except UnsafePath as exc:
            objection = str(exc)
        self.manifest.forget(item.location)
        self._folders.removed(item.location)
        with self._lock:
            self._listing = None
        if objection:
            raise SkipItem(f"{item.location} left alone: {objection}")
        folder = item.location.rpartition("/")[0]
        if folder not in ("", self.folder):
            self.player.remove_folder(folder)  # only succeeds once the podcast folder is empty

    def vanished(self) -> dict[str, str]:
        """podsync's files the user deleted on the player (path → episode key)."""
        self.list()
        return dict(self._vanished)

    def finished_keys(self) -> set[str]:
        """The keys of episodes finished on this player: never copied to it again."""
        return self.manifest.done | set(self.vanished().values())

    def commit(self) -> None:
        self._commit_due(now=True)  # failures not collected by settle() are moot now
        for path, key in self.vanished().items():
            self.manifest.mark_done(key)
            self.manifest.forget(path)
        self._listing = None
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        try:
            # the renames reach the disk before the manifest lists them
            refused = self.manifest.save(synced=self._renamed)
            self._renamed.clear()
            if refused:
                self.warning = "; ".join(refused)
        except (OSError, UnsafePath) as exc:
            # The journal already holds every change; the next push folds it in.
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.warning = f"could not rewrite the manifest ({why}); its journal keeps the record"

    def free_space(self) -> int | None:
        try:
            info = os.statvfs(self.root)
        except OSError:
            return None
        return info.f_bavail * info.f_frsize


def _entry(item: MediaItem, path: Path) -> Entry:
    info = path.stat()
    return Entry(
        item.key, info.st_size, item.podcast, item.title, item.published, item.ext, info.st_mtime
    )


def _exact(item: MediaItem, source: MediaStore) -> int | None:
    return item.size if source.exact_sizes else None
