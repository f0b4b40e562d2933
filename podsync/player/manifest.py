"""The ownership manifest kept on each player in ``.podsync/``.

It lists every file podsync wrote there (path, size, episode), so podsync
never touches a file it does not own.  Each change is first written to the
journal as a small file of its own (players and phones that cannot append to
a file can all create one): one record for a batch of copies, synced with
their data before their renames, and one for each other change.  The journal
is folded into ``manifest.json`` by an atomic rewrite at the end of a push,
together with podsync's other files (playlists, covers) and the record that
claims them: one sync for all, then the renames.  A push cut short by an
unplug or a crash is recovered at the next load.
Players written by older versions hold one record per copy: they are read
the same way.  A
missing or unreadable manifest means "owns nothing", never "owns everything";
so does one with a path that leaves the player or a value of the wrong type.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from podsync.player.guard import PendingWrites, Player, UnsafePath, load_json
from podsync.player.ownership import intent_counts

MARKER_DIR = ".podsync"
MANIFEST = "manifest.json"
FINISHED = "finished.json"
"""The finished keys again, beside the manifest: one damaged file does not lose them."""
JOURNAL = "journal"
PLAYLIST_SUFFIX = ".m3u8"
"""podsync's playlists on a player end with this (they are in the manifest's ``others``)."""
TMP_PREFIX, TMP_SUFFIX = ".podsync-", ".part"
"""A copy on its way to a player is ``.podsync-<key>.part`` until its batch is committed."""
FORMAT = 1
MAX_MANIFEST = 64 * 1024 * 1024
MAX_JOURNAL_ENTRY = 4 * 1024 * 1024
"""A journal record holds a whole batch of copies (up to 256): bounded, but not small."""
MAX_FINISHED = 10_000
"""The finished keys a player keeps (the oldest go first): about 450 kB of JSON."""
_JOURNAL_NAME = re.compile(r"[0-9]{6}\.json")


@dataclass(frozen=True, slots=True)
class Entry:
    """One file podsync put on the player."""

    key: str
    size: int
    podcast: str
    title: str
    published: float
    ext: str
    mtime: float | None = None
    """The file's modification time as podsync left it (None in older manifests)."""


class Manifest:
    """The files podsync owns on one player, keyed by path relative to its root."""

    def __init__(self, root: Path, player: Player | None = None) -> None:
        self.root = root
        self.player = player or Player(root)
        self.dir = root / MARKER_DIR
        self.files: dict[str, Entry] = {}
        self.finished: dict[str, float] = {}
        """Episodes finished on this player (played, deleted by the user, marked by
        hand on any computer), key → when (0: not known), oldest first: never
        copied to it again."""
        self.reopened: dict[str, float] = {}
        """Keys marked not played again on some computer (key → when): every
        computer that pushes here forgets that it had them played."""
        self.others: set[str] = set()
        """Other files podsync wrote, such as playlists."""
        self.problem: str | None = None
        self.absent = False
        """Whether the player holds no ``manifest.json`` (new, or deleted by someone)."""
        self._lock = threading.RLock()  # save() writes a journal record while it holds it
        self._pending = PendingWrites(self.player)
        """Files of :meth:`write_own`, put in place by :meth:`save`."""
        self._claims: list[str] = []
        """Their paths that are not podsync's yet: recorded by :meth:`save`."""
        self._sequence = 0
        self._changed = True
        """Whether ``manifest.json`` lags behind (it is missing, or a journal was written)."""

    @classmethod
    def load(cls, root: Path, player: Player | None = None) -> Manifest:
        """The manifest on the player at ``root``.

        Raises :class:`UnsafePath` when ``.podsync`` or its journal is a link
        or not a folder: podsync neither reads nor writes through it.
        """
        manifest = cls(root, player)
        for folder in (MARKER_DIR, f"{MARKER_DIR}/{JOURNAL}"):
            with contextlib.suppress(FileNotFoundError):
                manifest.player.folder(folder)
        manifest._read()
        return manifest

    def _read(self) -> None:
        try:
            raw = self.player.read(f"{MARKER_DIR}/{MANIFEST}", MAX_MANIFEST)
            if raw is None:
                self.absent = True
            else:
                data = load_json(raw)
                self.files = {_path(p): _entry(e) for p, e in _of(data["files"], dict).items()}
                keys = _of(data.get("done", []), list)
                self.finished = dict.fromkeys((_of(k, str) for k in keys), 0.0)
                self.others = {_path(p) for p in _of(data.get("others", []), list)}
                self._changed = False
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnsafePath) as exc:
            self.files, self.finished, self.others = {}, {}, set()
            self.problem = f"the manifest on the player is unreadable ({exc}); podsync owns nothing"
        self._read_finished()
        self._replay()

    def _read_finished(self) -> None:
        """Merge ``finished.json`` in (a damaged one adds nothing and is rewritten)."""
        try:
            raw = self.player.read(f"{MARKER_DIR}/{FINISHED}", MAX_MANIFEST)
            data = _of(load_json(raw or b"{}"), dict)
            finished = _marks(data.get("finished", {}))
            reopened = _marks(data.get("reopened", {}))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnsafePath):
            finished, reopened = {}, {}
        if finished.keys() != self.finished.keys():
            self._changed = True
        # what finished.json alone knows goes first: it is the older record
        merged = {**finished, **{k: max(t, finished.get(k, t)) for k, t in self.finished.items()}}
        self.finished = dict(sorted(merged.items(), key=lambda kv: kv[1]))
        self._reopen(reopened)

    @property
    def done(self) -> set[str]:
        """The finished keys, as a set."""
        return set(self.finished)

    def _replay(self) -> None:
        for name in self._journal_names():
            self._changed = True
            self._sequence = max(self._sequence, _number(name))
            try:
                raw = self.player.read(f"{MARKER_DIR}/{JOURNAL}/{name}", MAX_JOURNAL_ENTRY)
                op = _of(load_json(raw or b""), dict)
                ops = _of(op["ops"], list) if op.get("op") == "batch" else [op]
            except (OSError, ValueError, KeyError, TypeError, UnsafePath):
                continue  # a record torn by the unplug, or not one podsync wrote
            for one in ops:
                self._apply(one)

    def _apply(self, op: object) -> None:
        """Replay one journalled change (a broken one is skipped)."""
        try:
            op = _of(op, dict)
            if op["op"] == "done":
                keys = op["keys"] if "keys" in op else [op["path"]]
                when = float(_of(op.get("at", 0.0), (int, float)))
                self._finish([_of(k, str) for k in _of(keys, list)], when)
                return
            if op["op"] == "reopen":
                self._reopen(_marks(op["keys"]))
                return
            if op["op"] == "rekey":
                self._rekey({_path(p): _of(k, str) for p, k in _of(op["keys"], dict).items()})
                return
            path = _path(op["path"])
            if op["op"] == "add":
                entry = _entry(op["entry"])
                if self._holds(path, entry):  # the rename happened
                    self.files[path] = entry
            elif op["op"] == "own":
                self.others.add(path)
            else:
                self.files.pop(path, None)
                self.others.discard(path)
        except (OSError, ValueError, KeyError, TypeError, UnsafePath):
            return

    def _holds(self, path: str, entry: Entry) -> bool:
        """Whether the file at ``path`` is the one an ``add`` intent was renaming there."""
        where = self.player.path(path)
        info = os.lstat(where)
        return stat.S_ISREG(info.st_mode) and intent_counts(info, entry, where)

    def owns(self, path: str) -> bool:
        return path in self.files or path in self.others

    def intend_add(self, path: str, entry: Entry) -> None:
        """Record, before the rename, that ``path`` is about to become ours."""
        self._journal({"op": "add", "path": path, "entry": asdict(entry)})
        with self._lock:
            self.files[path] = entry

    def intend_adds(self, adds: list[tuple[str, Entry]]) -> Path | None:
        """Record in one journal entry, before their renames, that these paths become ours.

        The entry is written but not synced: the caller syncs the file returned
        with the copies' data, before any rename.  Nothing is listed yet: call
        :meth:`added` for each path once it is renamed.
        """
        if not adds:
            return None
        ops = [{"op": "add", "path": p, "entry": asdict(e)} for p, e in adds]
        return self._journal({"op": "batch", "ops": ops}, sync=False)

    def added(self, path: str, entry: Entry) -> None:
        """List ``path`` as ours: its rename (recorded by :meth:`intend_adds`) is done."""
        with self._lock:
            self.files[path] = entry

    def prepare(self) -> None:
        """Make the journal's folder, while the player still has room for one."""
        self.player.folder(f"{MARKER_DIR}/{JOURNAL}", create=True)

    def forget(self, path: str) -> None:
        """Record that ``path`` is no longer ours (deleted, or never written)."""
        self._journal({"op": "remove", "path": path})
        with self._lock:
            self.files.pop(path, None)
            self.others.discard(path)

    def own(self, path: str) -> None:
        """Record, before writing it, that ``path`` (not an episode) is ours."""
        self._journal({"op": "own", "path": path})
        with self._lock:
            self.others.add(path)

    def write_own(self, path: str, data: bytes) -> bool:
        """Write ``data`` at ``path`` as podsync's own file (a playlist, a cover); False,
        writing nothing, where a file of the user's or a link, folder or FIFO holds the
        name.  An unchanged file is not rewritten.

        The file is put in place by :meth:`save`, with the manifest: one sync for
        them all, after the record that claims it.
        """
        owned = self.owns(path)
        if not owned and self.player.exists(path):
            return False
        try:
            if self.player.holds(path, data):
                return True
            self._pending.write(path, data)
        except UnsafePath:
            return False
        with self._lock:
            if not owned:
                self._claims.append(path)
                self.others.add(path)
            self._changed = True
        return True

    def mark_done(self, *keys: str) -> None:
        """Record that the episodes ``keys`` are finished on this player (now)."""
        new = [k for k in keys if k not in self.finished]
        if not new:
            return
        when = time.time()
        self._journal({"op": "done", "keys": new, "at": when})
        with self._lock:
            self._finish(new, when)

    def reopen(self, marks: dict[str, float]) -> None:
        """Record that these episodes were marked not played (key → when)."""
        new = {
            k: t
            for k, t in marks.items()
            if self.reopened.get(k, -1.0) < t and self.finished.get(k, -1.0) < t
        }
        if not new:
            return
        self._journal({"op": "reopen", "keys": new})
        with self._lock:
            self._reopen(new)

    def rekey(self, keys: dict[str, str], record: bool = True) -> None:
        """Give the files at these paths new episode keys (path → key); ``record``: in the
        journal, else only in memory (a dry run)."""
        if not keys:
            return
        if record:
            self._journal({"op": "rekey", "keys": keys})
        with self._lock:
            self._rekey(keys)

    def _rekey(self, keys: dict[str, str]) -> None:
        for path, key in keys.items():
            if path in self.files:
                self.files[path] = replace(self.files[path], key=key)

    def _finish(self, keys: list[str], when: float) -> None:
        for key in keys:
            if self.reopened.get(key, -1.0) <= when:
                self.reopened.pop(key, None)
                self.finished.pop(key, None)
                self.finished[key] = when

    def _reopen(self, marks: dict[str, float]) -> None:
        for key, when in marks.items():
            if self.finished.get(key, -1.0) < when:
                self.finished.pop(key, None)
                self.reopened[key] = max(when, self.reopened.get(key, when))

    def _journal(self, op: dict, sync: bool = True) -> Path:
        data = json.dumps(op, ensure_ascii=False).encode()
        with self._lock:
            self._sequence += 1
            self._changed = True
            name = f"{MARKER_DIR}/{JOURNAL}/{self._sequence:06d}.json"
            self.player.remove(name)  # only a regular file: anything else stops the write
            self.player.write_new(name, data, sync=sync)
            return self.player.path(name)

    def save(self, synced: Iterable[Path] = ()) -> list[str]:
        """Fold the journal into ``manifest.json`` atomically (if anything changed).

        The files of :meth:`write_own`, the manifest and the record claiming them
        are synced together, with the folders ``synced`` (where episodes were
        renamed: they must be there before the manifest lists them), and then
        renamed into place.  Returns why any of them was left out (a link or a
        folder took its name meanwhile).
        """
        with self._lock:
            if not self._changed:
                return []
            pending, self._pending = self._pending, PendingWrites(self.player)
            claims, self._claims = self._claims, []
            record = [self._journal(_own_batch(claims), sync=False)] if claims else []
            self.finished = dict(list(self.finished.items())[-MAX_FINISHED:])
            self.reopened = dict(
                sorted(self.reopened.items(), key=lambda kv: kv[1])[-MAX_FINISHED:]
            )
            data = {
                "format": FORMAT,
                "files": {p: asdict(e) for p, e in sorted(self.files.items())},
                "done": list(self.finished),
                "others": sorted(self.others),
            }
            pending.write(
                f"{MARKER_DIR}/{FINISHED}",
                json.dumps({"finished": self.finished, "reopened": self.reopened}).encode(),
            )
            pending.write(
                f"{MARKER_DIR}/{MANIFEST}", json.dumps(data, ensure_ascii=False, indent=1).encode()
            )
            pending.commit(record, synced)
            for path, why in pending.refused.items():
                if path.startswith(f"{MARKER_DIR}/"):
                    raise UnsafePath(why)  # the journal keeps the record
            for name in self._journal_names():
                self.player.remove(f"{MARKER_DIR}/{JOURNAL}/{name}")
            self._changed = False
            return list(pending.refused.values())

    def _journal_names(self) -> list[str]:
        """The journal's entries: only names podsync gives them, in a real folder."""
        try:
            folder = self.player.folder(f"{MARKER_DIR}/{JOURNAL}")
            return sorted(n for n in os.listdir(folder) if _JOURNAL_NAME.fullmatch(n))
        except (OSError, UnsafePath):
            return []


def _own_batch(paths: list[str]) -> dict:
    return {"op": "batch", "ops": [{"op": "own", "path": p} for p in paths]}


def _of(value: object, kind: type | tuple[type, ...]) -> Any:
    """``value``, if it has the type ``kind`` (a bool is no number); else TypeError."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"unexpected value {value!r}")
    return value


def _marks(data: object) -> dict[str, float]:
    return {_of(k, str): float(_of(t, (int, float))) for k, t in _of(data, dict).items()}


_ENTRY_FIELDS = frozenset({"key", "size", "podcast", "title", "published", "ext"})
_NUMBERS = (int, float)


def _entry(data: object) -> Entry:
    """A manifest entry read from the player, each field of its type (else TypeError).

    Written for speed: a manifest holds thousands and every push reads them.
    """
    if type(data) is not dict or (data.keys() - {"mtime"}) != _ENTRY_FIELDS:
        raise TypeError(f"unexpected entry {data!r}")
    key, size, published, mtime = data["key"], data["size"], data["published"], data.get("mtime")
    podcast, title, ext = data["podcast"], data["title"], data["ext"]
    if not (
        type(key) is str
        and type(podcast) is str
        and type(title) is str
        and type(ext) is str
        and type(size) is int
        and type(published) in _NUMBERS
        and (mtime is None or type(mtime) in _NUMBERS)
    ):
        raise TypeError(f"unexpected entry {data!r}")
    return Entry(key, size, podcast, title, published, ext, mtime)


def _path(path: object) -> str:
    """``path`` if it names a file inside the player and outside ``.podsync/``; else ValueError.

    A manifest is read from a device anyone may have written to: a path such as
    ``../x``, ``/home/x`` or ``.podsync/device.json`` must never be deleted.
    """
    text = _of(path, str)
    parts = text.split("/")
    if (
        "\x00" in text
        or "\\" in text
        or parts[0] == MARKER_DIR
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValueError(f"unsafe path {text!r}")
    return text


def _number(name: str) -> int:
    stem = name.partition(".")[0]
    return int(stem) if stem.isdigit() else 0
