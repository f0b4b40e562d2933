"""``podsync watch``: push to each registered player when it is plugged in.

One thread sleeps in ``poll()`` on three things: udev's block-device events,
the mount table (``/proc/self/mountinfo`` wakes it on every change) and a
pipe that the other threads write to.  A udev event from a registered player
starts a wait for its mount; the mount starts a sync in a thread of its own,
through the same :func:`podsync.push.push` as ``podsync push``.  Folders that
appear in the automount folders (where there is no udev) and new episodes in
the cache (while a player stays connected) come in from watchdog's threads.

Stale feeds are refreshed before a push and on a schedule (:mod:`podsync.watch.freshen`).

A device is in at most one of three states: *waiting* for its mount,
*syncing*, or *connected* (synced, still mounted).  Events for a device that is
already in one of them change nothing, so repeated events start one sync.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import queue
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from podsync.app import App
from podsync.cli.progress import Progress
from podsync.errors import PodsyncError
from podsync.model import Device
from podsync.player.devices import read_marker
from podsync.player.mounts import Mount, MountTable
from podsync.player.udev_identity import from_properties, matches
from podsync.watch.folder_events import FolderWatch
from podsync.watch.freshen import Freshener, fetch_outcome, last_refresh
from podsync.watch.notify import notify
from podsync.watch.udev_events import UdevEvents, UEvent, open_udev

log = logging.getLogger("podsync.watch")

NEW_IN_CACHE = "new episodes in the cache"

RETRY_FIRST, RETRY_MAX = 0.25, 4.0
"""Seconds between looks for the marker in a folder that just appeared (doubling)."""


@dataclass
class Waiting:
    """A player udev announced, not mounted yet."""

    device: Device
    devname: str
    deadline: float


@dataclass
class Appeared:
    """A new folder in an automount folder, until its marker shows or time runs out."""

    deadline: float
    next_look: float
    delay: float = RETRY_FIRST


@dataclass
class Sync:
    """A push running in its own thread."""

    device: Device
    path: Path
    devname: str | None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    again: bool = False
    """New episodes arrived in the cache while it ran: push once more."""
    fetch_first: bool = True
    """Refresh stale feeds first (not when the cache's news started it)."""


@dataclass
class Connected:
    """A player synced and still mounted: new episodes in the cache follow it."""

    device: Device
    path: Path
    devname: str | None


@dataclass(frozen=True)
class Outcome:
    """How a sync ended, in a line for the log and the notification."""

    ok: bool
    text: str


def automount_dirs(patterns: list[str]) -> list[Path]:
    """The automount folders of the settings, with ``$USER`` and ``~`` expanded."""
    user = os.environ.get("USER") or getpass.getuser()
    return [Path(os.path.expanduser(p.replace("$USER", user))) for p in patterns]


class Watcher:
    """The event loop of ``podsync watch``; :meth:`run` returns when it is stopped."""

    def __init__(self, app: App, push: Callable[[Device, Path, threading.Event], Outcome]) -> None:
        self.app = app
        self._push = push
        cfg = app.config
        self._mount_timeout = float(cfg.get("watch", "mount_timeout"))
        self._debounce = float(cfg.get("watch", "debounce"))
        self._notify = bool(cfg.get("watch", "notify"))
        self._automount = automount_dirs(cfg.get("watch", "automount_dirs"))
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._stopping = False
        self._waiting: dict[str, Waiting] = {}
        self._appeared: dict[Path, Appeared] = {}
        self._syncs: dict[str, Sync] = {}
        self._connected: dict[str, Connected] = {}
        self._cache_changed_at: float | None = None
        self._mounts = MountTable()
        self._udev: UdevEvents | None = None
        if cfg.get("watch", "udev"):
            self._udev, why = open_udev()
            if self._udev is None:
                log.warning("%s; watching the mount table and automount folders only", why)
        self._folders = FolderWatch()
        self._fresh = Freshener(cfg, fetch_outcome, last_refresh)

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        """Watch until SIGTERM or SIGINT; then stop the syncs cleanly and return."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._start_folder_watches()
            poller = select.poll()
            poller.register(self._wake_r, select.POLLIN)
            poller.register(self._mounts.fileno(), select.POLLPRI | select.POLLERR)
            if self._udev is not None:
                poller.register(self._udev.fileno(), select.POLLIN)
            names = ", ".join(d.name for d in self.app.state.devices()) or "none yet"
            log.info("watching for players (registered: %s)", names)
            if self.app.config.get("watch", "sync_on_start"):
                self._sync_connected()
            while not self._stopping:
                for fd, _ in poller.poll(self._timeout_ms()):
                    if fd == self._wake_r:
                        self._drain_wake()
                    elif fd == self._mounts.fileno():
                        self._on_mounts()
                    elif self._udev is not None and fd == self._udev.fileno():
                        for event in self._udev.read():
                            self._on_uevent(event)
                self._handle_inbox()
                self._on_timers()
        finally:
            self._stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe: the loop is awake anyway
            os.write(self._wake_w, b".")

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass

    def _post(self, *message: object) -> None:
        """Hand a message to the loop from another thread."""
        self._inbox.put(message)
        self._wake()

    def _timeout_ms(self) -> int:
        deadlines = [w.deadline for w in self._waiting.values()]
        deadlines += [a.next_look for a in self._appeared.values()]
        if self._cache_changed_at is not None:
            deadlines.append(self._cache_changed_at + self._debounce)
        if self._fresh.next_due is not None:
            deadlines.append(self._fresh.next_due)
        if not deadlines:
            return -1
        return max(0, int((min(deadlines) - time.monotonic()) * 1000) + 1)

    def _stop(self) -> None:
        self._folders.stop()
        self._fresh.stop()
        if self._syncs:
            log.info("stopping: finishing or rolling back the file in flight")
        for sync in self._syncs.values():
            sync.cancel.set()
        for sync in self._syncs.values():
            if sync.thread is not None:
                sync.thread.join()
        self._handle_inbox()
        self._mounts.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        log.info("stopped")

    # --- events ------------------------------------------------------------------------------

    def _on_uevent(self, event: UEvent) -> None:
        devname = event.devname
        if event.action == "remove":
            self._gone(lambda devname_, _path: devname_ == devname, f"{devname} removed")
            self._waiting = {k: w for k, w in self._waiting.items() if w.devname != devname}
            return
        if event.action not in ("add", "change"):
            return
        device = self._match(event)
        if device is None:
            log.debug("%s: %s, not a registered player", event.action, devname)
            return
        if self._busy(device.id) or device.id in self._waiting:
            log.debug("%s: %s (%s) is already being handled", event.action, devname, device.name)
            return
        log.info("%s plugged in (%s); waiting for it to be mounted", device.name, devname)
        self._waiting[device.id] = Waiting(device, devname, time.monotonic() + self._mount_timeout)
        self._check_waiting()

    def _match(self, event: UEvent) -> Device | None:
        """The registered player an event is about, if any."""
        props = event.properties
        if name := props.get("PODSYNC_DEVICE"):
            return self.app.state.device(name)
        if not props.get("ID_FS_TYPE"):  # a whole disk or an empty slot: wait for its partition
            return None
        seen = from_properties(props).identity
        for device in self.app.state.devices():
            if device.identity and matches(device.identity, seen):
                return device
        return None

    def _on_mounts(self) -> None:
        added, gone = self._mounts.refresh()
        points = {m.point for m in gone}
        self._gone(lambda _devname, path: path in points, "unmounted")
        self._check_waiting()
        for mount in added:
            if mount.source.startswith("/dev/") or self._in_automount(mount.point):
                self._look_for_marker(mount.point, f"mounted at {mount.point}", mount.source)

    def _check_waiting(self) -> None:
        """Start the sync of each waiting player whose mount has appeared."""
        for device_id, waiting in list(self._waiting.items()):
            mount = self._mount_for(waiting)
            if mount is not None:
                del self._waiting[device_id]
                self._start(waiting.device, mount.point, f"mounted at {mount.point}", mount.source)

    def _mount_for(self, waiting: Waiting) -> Mount | None:
        for mount in self._mounts.mounts:
            if mount.source == waiting.devname:
                return mount
        for mount in self._mounts.mounts:
            if mount.source.startswith("/dev/") and read_marker(mount.point) == waiting.device.id:
                return mount
        return None

    def _look_for_marker(self, path: Path, reason: str, devname: str | None = None) -> bool:
        """Sync the registered player at ``path``; False when there is none (yet)."""
        device_id = read_marker(path)
        if device_id is None:
            return False
        device = next((d for d in self.app.state.devices() if d.id == device_id), None)
        if device is None:
            log.debug("%s carries the marker of an unregistered player", path)
            return True
        if not self._busy(device.id):
            self._waiting.pop(device.id, None)
            self._start(device, path, reason, devname)
        return True

    def _in_automount(self, path: Path) -> bool:
        return any(path.parent == folder for folder in self._automount)

    def _on_folder(self, kind: str, path: Path) -> None:
        if kind == "deleted":
            self._appeared.pop(path, None)
            self._gone(lambda _devname, p: p == path, "removed")
            return
        now = time.monotonic()
        self._appeared[path] = Appeared(now + self._mount_timeout, now)

    def _on_cache(self, kind: str, path: Path) -> None:
        if not path.name.startswith("."):  # partial downloads are hidden
            self._cache_changed_at = time.monotonic()

    def _handle_inbox(self) -> None:
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return
            kind, *args = message
            if kind == "done":
                self._finished(*args)
            elif kind == "folder":
                self._on_folder(*args)
            elif kind == "cache":
                self._on_cache(*args)

    def _on_timers(self) -> None:
        self._fresh.tick()
        now = time.monotonic()
        for device_id, waiting in list(self._waiting.items()):
            if now >= waiting.deadline:
                del self._waiting[device_id]
                log.warning(
                    "%s (%s) was not mounted within %d s; plug it in again once it can be",
                    waiting.device.name,
                    waiting.devname,
                    self._mount_timeout,
                )
        for path, appeared in list(self._appeared.items()):
            if now < appeared.next_look:
                continue
            if self._look_for_marker(path, f"appeared at {path}") or now >= appeared.deadline:
                del self._appeared[path]
            else:
                appeared.next_look = now + appeared.delay
                appeared.delay = min(appeared.delay * 2, RETRY_MAX)
        if self._cache_changed_at is not None and now >= self._cache_changed_at + self._debounce:
            self._cache_changed_at = None
            for sync in self._syncs.values():
                sync.again = True
            for connected in list(self._connected.values()):
                if read_marker(connected.path) == connected.device.id:
                    self._start(connected.device, connected.path, NEW_IN_CACHE, connected.devname)

    # --- syncs -------------------------------------------------------------------------------

    def _busy(self, device_id: str) -> bool:
        return device_id in self._syncs or device_id in self._connected

    def _sync_connected(self) -> None:
        from podsync.player.devices import locate

        for device in self.app.state.devices():
            path = locate(device, self._mounts.mounts)
            if path is not None:
                source = next((m.source for m in self._mounts.mounts if m.point == path), None)
                self._start(device, path, f"already connected at {path}", source)

    def _start(self, device: Device, path: Path, reason: str, devname: str | None) -> None:
        if device.id in self._syncs:
            return
        self._connected.pop(device.id, None)
        sync = Sync(device, path, devname if devname and devname.startswith("/dev/") else None)
        sync.fetch_first = reason != NEW_IN_CACHE
        self._syncs[device.id] = sync
        log.info("%s: syncing (%s)", device.name, reason)
        sync.thread = threading.Thread(
            target=self._run_sync, args=(sync,), name=f"sync {device.name}"
        )
        sync.thread.start()

    def _run_sync(self, sync: Sync) -> None:
        try:
            fresh = self._fresh.before_push(sync.device.name) if sync.fetch_first else None
            outcome = self._push(sync.device, sync.path, sync.cancel)
            if fresh is not None:
                outcome = Outcome(outcome.ok, f"{outcome.text}; {fresh}")
        except Exception as exc:  # a service must outlive any one sync
            log.exception("%s: sync crashed", sync.device.name)
            outcome = Outcome(False, f"crashed: {exc}")
        self._post("done", sync, outcome)

    def _finished(self, sync: Sync, outcome: Outcome) -> None:
        name = sync.device.name
        self._syncs.pop(sync.device.id, None)
        if sync.thread is not None:
            sync.thread.join()
        if sync.cancel.is_set():
            log.warning("%s: sync stopped: %s", name, outcome.text)
        elif outcome.ok:
            log.info("%s: synced: %s", name, outcome.text)
        else:
            log.error("%s: sync failed: %s", name, outcome.text)
        if self._notify:
            verb = "synced" if outcome.ok else "not fully synced"
            notify(f"podsync: {name} {verb}", outcome.text)
        if sync.cancel.is_set() or read_marker(sync.path) != sync.device.id:
            return
        self._connected[sync.device.id] = Connected(sync.device, sync.path, sync.devname)
        log.debug("%s: connected; new episodes in the cache will follow", name)
        if sync.again:
            self._start(sync.device, sync.path, NEW_IN_CACHE, sync.devname)

    def _gone(self, which: Callable[[str | None, Path], bool], why: str) -> None:
        """Forget the players ``which`` selects (by device node, path); stop their syncs."""
        for device_id, connected in list(self._connected.items()):
            if which(connected.devname, connected.path):
                del self._connected[device_id]
                log.info("%s: %s", connected.device.name, why)
        for sync in self._syncs.values():
            if which(sync.devname, sync.path) and not sync.cancel.is_set():
                log.warning("%s: %s during the sync; stopping it", sync.device.name, why)
                sync.cancel.set()

    def _start_folder_watches(self) -> None:
        watched = []
        for folder in self._automount:
            if folder.is_dir():
                self._folders.add(folder, lambda kind, path: self._post("folder", kind, path))
                watched.append(str(folder))
        cache = self.app.home.episodes_dir
        self._folders.add(cache, lambda kind, path: self._post("cache", kind, path), recursive=True)
        self._folders.start()
        log.debug("watching folders: %s; the cache: %s", ", ".join(watched) or "none", cache)


def push_outcome(
    device: Device, path: Path, cancel: threading.Event, progress: Progress | None = None
) -> Outcome:
    """Push to one player as ``podsync push`` does, in this thread (``progress``: the page's)."""
    from podsync.cli.report import push_summary
    from podsync.push import push

    try:
        with App.open() as app:
            quiet, warn = (
                progress or Progress("syncing", enabled=False),
                partial(log.warning, "%s: %s", device.name),
            )
            report = push(app, device, path, quiet, cancel=cancel, warn=warn)
    except PodsyncError as exc:
        return Outcome(False, str(exc))
    except OSError as exc:  # unplugged mid-run
        return Outcome(False, exc.strerror or str(exc))
    return Outcome(report.ok, push_summary(report))
