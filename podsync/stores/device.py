"""The device store: a folder on a mounted player, limited to what podsync wrote there."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path, PurePosixPath

from podsync.errors import PodsyncError
from podsync.fileio import copy_file
from podsync.manifest import Entry, Manifest
from podsync.model import MediaItem
from podsync.names import DEFAULT_TEMPLATE, MAX_NAME, episode_path, with_counter
from podsync.stores.base import Finisher, MediaStore, Transfer, write_then_rename

TMP_PREFIX = ".podsync-"
TMP_SUFFIX = ".part"


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
        staging: Path | None = None,
    ) -> None:
        self.root = root
        self.folder = folder.strip("/")
        self.manifest = manifest
        self.name = name
        self.template = template
        self.max_length = max_length
        self.staging = staging
        self._temporary: Path | None = None
        """A local folder for post-processing before a file goes to the player
        (by default a temporary folder, made when first needed)."""
        self.warning: str | None = None
        self._lock = threading.Lock()
        self._dirs: dict[str, set[str]] = {}
        self._listing: list[MediaItem] | None = None
        self.missing: dict[str, str] = {}
        """Podsync files the user deleted on the player (path → episode key)."""

    def list(self) -> list[MediaItem]:
        if self._listing is None:
            self._listing, self.missing = [], {}
            for path, e in list(self.manifest.files.items()):
                try:
                    size = (self.root / path).stat().st_size
                except FileNotFoundError:
                    self.missing[path] = e.key
                    continue
                self._listing.append(
                    MediaItem(e.key, e.podcast, e.title, e.published, path, size, e.ext)
                )
        return list(self._listing)

    def clean_stale(self) -> int:
        """Remove podsync's own temporary files left by an interrupted push."""
        removed = 0
        for dirpath, _dirs, files in os.walk(self.root / self.folder):
            for name in files:
                if name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(dirpath, name))
                        removed += 1
        return removed

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        copy_file(self.root / item.location, dest, transfer.advance)

    def add(
        self,
        item: MediaItem,
        source: MediaStore,
        transfer: Transfer,
        finish: Finisher | None = None,
    ) -> MediaItem:
        *dirs, name = episode_path(item, self.template, self.max_length)
        folder = _join(self.folder, *dirs)
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        with self._lock:
            relpath = _join(folder, self._claim(folder, name))
        tmp = self.root / folder / f"{TMP_PREFIX}{item.key}{TMP_SUFFIX}"
        staged = self._stage(item, source, transfer, finish) if finish else None
        try:
            size = write_then_rename(
                (lambda path: copy_file(staged, path, transfer.advance))
                if staged
                else (lambda path: source.export(item, path, transfer)),
                tmp,
                self.root / relpath,
                transfer,
                expected=staged.stat().st_size if staged else _exact(item, source),
                before_rename=lambda path: self.manifest.intend_add(relpath, _entry(item, path)),
            )
        except BaseException:
            if self.manifest.owns(relpath) and not (self.root / relpath).exists():
                self.manifest.forget(relpath)
            with self._lock:
                self._dirs[folder].discard(PurePosixPath(relpath).name.casefold())
            raise
        finally:
            if staged:
                staged.unlink(missing_ok=True)
        self._listing = None
        return MediaItem(
            item.key, item.podcast, item.title, item.published, relpath, size, item.ext, item.author
        )

    def _stage(
        self, item: MediaItem, source: MediaStore, transfer: Transfer, finish: Finisher
    ) -> Path:
        """A local copy of ``item`` with the post-processing done, to write out in one go.

        Players and phones write best (some only) whole files in one sequential
        stream, so steps such as tagging never rewrite a file on the player.
        """
        with self._lock:
            if self.staging is None:
                self.staging = self._temporary = Path(tempfile.mkdtemp(prefix="podsync-"))
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{item.key}.{item.ext}"
        try:
            source.export(item, staged, transfer.silent())
            before = staged.stat()
            finish(item, staged)
            os.utime(staged, ns=(before.st_atime_ns, before.st_mtime_ns))  # keep the source's
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return staged

    def remove(self, item: MediaItem) -> None:
        if not self.manifest.owns(item.location):
            raise PodsyncError(f"refusing to delete {item.location}: podsync did not write it")
        path = self.root / item.location
        if not path.parent.resolve().is_relative_to(self.root.resolve()):
            raise PodsyncError(f"refusing to delete {item.location}: a link leads off the player")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.manifest.forget(item.location)
        self._listing = None
        if path.parent not in (self.root, self.root / self.folder):
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only succeeds once the podcast folder is empty

    def done(self) -> set[str]:
        """Episodes finished on this player: never copied to it again."""
        self.list()
        return self.manifest.done | set(self.missing.values())

    def commit(self) -> None:
        for path, key in self.missing.items():
            self.manifest.mark_done(key)
            self.manifest.forget(path)
        self.missing.clear()
        self._listing = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
        try:
            self.manifest.save()
        except OSError as exc:
            # The journal already holds every change; the next push folds it in.
            self.warning = (
                f"could not rewrite the manifest ({exc.strerror}); its journal keeps the record"
            )

    def free_space(self) -> int | None:
        try:
            stat = os.statvfs(self.root)
        except OSError:
            return None
        return stat.f_bavail * stat.f_frsize

    def _claim(self, folder: str, name: str) -> str:
        """A file name in ``folder`` that nothing uses, compared without case as FAT does."""
        taken = self._dirs.get(folder)
        if taken is None:
            taken = self._dirs[folder] = {n.casefold() for n in os.listdir(self.root / folder)}
        candidate, counter = name, 1
        while candidate.casefold() in taken:
            counter += 1
            candidate = with_counter(name, counter)
        taken.add(candidate.casefold())
        return candidate


def _join(*parts: str) -> str:
    """A relative path from the non-empty ``parts``."""
    return "/".join(p for p in parts if p)


def _entry(item: MediaItem, path: Path) -> Entry:
    return Entry(item.key, path.stat().st_size, item.podcast, item.title, item.published, item.ext)


def _exact(item: MediaItem, source: MediaStore) -> int | None:
    return item.size if source.exact_sizes else None
