"""The device store: a folder on a mounted player, limited to what podsync wrote there."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from podsync.errors import PodsyncError
from podsync.fileio import copy_file, fsync_dir
from podsync.model import MediaItem
from podsync.names import DEFAULT_TEMPLATE, MAX_NAME, episode_path, with_counter
from podsync.player.manifest import Entry, Manifest
from podsync.stores.base import MediaStore, PostProcess, Transfer, write_then_rename

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
        ascii_names: bool = False,
    ) -> None:
        self.root = root
        self.ascii_names = ascii_names
        self.folder = folder.strip("/")
        self.manifest = manifest
        self.name = name
        self.template = template
        self.max_length = max_length
        self._staging: Path | None = None
        """A local temporary folder for post-processing before a file goes to the
        player, made when first needed."""
        self.warning: str | None = None
        self._lock = threading.RLock()
        self._dirs: dict[str, set[str]] = {}
        """Names taken in each folder, case-folded as FAT compares them."""
        self._folder_names: dict[str, set[str]] | None = None
        self._renamed: set[Path] = set()
        """Folders with renames not yet synced to the disk (synced once, at commit)."""
        self._listing: list[MediaItem] | None = None
        self._vanished: dict[str, str] = {}
        """Podsync files the user deleted on the player (path → episode key)."""

    def list(self) -> list[MediaItem]:
        """The manifest's files that are still there, from one scan of the folder.

        No file is opened or read: sizes are the manifest's.  A file the scan
        does not show by its exact name is looked up once more by path (on a
        case-insensitive player the user may have renamed it).
        """
        if self._listing is None:
            self._listing, self._vanished = [], {}
            names = self._scan()
            for path, e in list(self.manifest.files.items()):
                folder, _, name = path.rpartition("/")
                if name not in names.get(folder, ()) and not (self.root / path).is_file():
                    self._vanished[path] = e.key
                    continue
                self._listing.append(
                    MediaItem(e.key, e.podcast, e.title, e.published, path, e.size, e.ext)
                )
        return list(self._listing)

    def _scan(self) -> dict[str, set[str]]:
        """The file names in each folder under the episode folder, from one walk per run."""
        with self._lock:
            if self._folder_names is None:
                self._folder_names = {}
                for dirpath, _dirs, files in os.walk(self.root / self.folder):
                    folder = os.path.relpath(dirpath, self.root)
                    self._folder_names["" if folder == "." else folder] = set(files)
            return self._folder_names

    def clean_stale(self) -> int:
        """Remove podsync's own temporary files left by an interrupted push."""
        removed = 0
        for folder, names in self._scan().items():
            for name in [n for n in names if n.startswith(TMP_PREFIX) and n.endswith(TMP_SUFFIX)]:
                with contextlib.suppress(OSError):
                    os.unlink(self.root / folder / name)
                    names.discard(name)
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
        *dirs, name = episode_path(item, self.template, self.max_length, self.ascii_names)
        folder = _join(self.folder, *dirs)
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        with self._lock:
            relpath = _join(folder, self._claim(folder, name))
        tmp = self.root / folder / f"{TMP_PREFIX}{item.key}{TMP_SUFFIX}"
        fill, expected, staged = self._filler(item, source, transfer, post)
        try:
            size = write_then_rename(
                fill,
                tmp,
                self.root / relpath,
                transfer,
                expected=expected,
                before_rename=lambda path: self.manifest.intend_add(relpath, _entry(item, path)),
                sync_dir=False,
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
        with self._lock:
            self._renamed.add(self.root / folder)
            self._scan().setdefault(folder, set()).add(PurePosixPath(relpath).name)
            self._listing = None
        return MediaItem(
            item.key, item.podcast, item.title, item.published, relpath, size, item.ext, item.author
        )

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
        if not self.manifest.owns(item.location):
            raise PodsyncError(f"refusing to delete {item.location}: podsync did not write it")
        path = self.root / item.location
        if not path.parent.resolve().is_relative_to(self.root.resolve()):
            raise PodsyncError(f"refusing to delete {item.location}: a link leads off the player")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.manifest.forget(item.location)
        folder, _, name = item.location.rpartition("/")
        with self._lock:
            self._scan().get(folder, set()).discard(name)
            self._listing = None
        if path.parent not in (self.root, self.root / self.folder):
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only succeeds once the podcast folder is empty

    def vanished(self) -> dict[str, str]:
        """podsync's files the user deleted on the player (path → episode key)."""
        self.list()
        return dict(self._vanished)

    def finished_keys(self) -> set[str]:
        """The keys of episodes finished on this player: never copied to it again."""
        return self.manifest.done | set(self.vanished().values())

    def commit(self) -> None:
        for folder in self._renamed:
            fsync_dir(folder)  # the renames reach the disk before the manifest lists them
        self._renamed.clear()
        for path, key in self.vanished().items():
            self.manifest.mark_done(key)
            self.manifest.forget(path)
        self._listing = None
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
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
            names = self._scan().get(folder)
            if names is None:  # a folder made since the scan
                names = set(os.listdir(self.root / folder))
            taken = self._dirs[folder] = {n.casefold() for n in names}
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
