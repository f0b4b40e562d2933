"""``podsync watch``: push to each registered player when it is plugged in.

One thread sleeps in ``poll()`` on three things: udev's block-device events,
the mount table (``/proc/self/mountinfo`` wakes it on every change) and a
pipe that the other threads write to.  A udev event from a registered player
starts a wait for its mount; the mount starts a sync in a thread of its own,
through the same :func:`podsync.push.push` as ``podsync push``.  Folders that
appear in the automount folders (where there is no udev) and new episodes in
the cache (while a player stays connected) come in from watchdog's threads.

Stale feeds are refreshed before a push and on a schedule (:mod:`podsync.watch.freshen`);
the syncs and the players left connected are :mod:`podsync.watch.syncs`'.

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
import time
from dataclasses import dataclass
from pathlib import Path

from podsync.app import App
from podsync.model import Device
from podsync.player.devices import read_marker
from podsync.player.mounts import Mount, MountTable
from podsync.player.udev_identity import from_properties, matches
from podsync.watch.folder_events import FolderWatch
from podsync.watch.freshen import FetchRun, Freshener, fetch_outcome, last_refresh
from podsync.watch.syncs import PushRun, Syncs
from podsync.watch.udev_events import UdevEvents, UEvent, open_udev

log = logging.getLogger("podsync.watch")

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


def automount_dirs(patterns: list[str]) -> list[Path]:
    """The automount folders of the settings, with ``$USER`` and ``~`` expanded."""
    user = os.environ.get("USER") or getpass.getuser()
    return [Path(os.path.expanduser(p.replace("$USER", user))) for p in patterns]


class Watcher:
    """The event loop of ``podsync watch``; :meth:`run` returns when it is stopped."""

    def __init__(self, app: App, push: PushRun, fetch: FetchRun = fetch_outcome) -> None:
        self.app = app
        cfg = app.config
        self._mount_timeout = float(cfg.get("watch", "mount_timeout"))
        self._debounce = float(cfg.get("watch", "debounce"))
        self._automount = automount_dirs(cfg.get("watch", "automount_dirs"))
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._stopping = False
        self._waiting: dict[str, Waiting] = {}
        self._appeared: dict[Path, Appeared] = {}
        self._cache_changed_at: float | None = None
        self._mounts = MountTable()
        self._udev: UdevEvents | None = None
        if cfg.get("watch", "udev"):
            self._udev, why = open_udev()
            if self._udev is None:
                log.warning("%s; watching the mount table and automount folders only", why)
        self._folders = FolderWatch()
        self._fresh = Freshener(cfg, fetch, last_refresh)
        self._syncs = Syncs(push, self._fresh, self._post, bool(cfg.get("watch", "notify")))

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
        self._syncs.stop()
        self._handle_inbox()
        self._mounts.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        log.info("stopped")

    # --- events ------------------------------------------------------------------------------

    def _on_uevent(self, event: UEvent) -> None:
        devname = event.devname
        if event.action == "remove":
            self._syncs.gone(lambda devname_, _path: devname_ == devname, f"{devname} removed")
            self._waiting = {k: w for k, w in self._waiting.items() if w.devname != devname}
            return
        if event.action not in ("add", "change"):
            return
        device = self._match(event)
        if device is None:
            log.debug("%s: %s, not a registered player", event.action, devname)
            return
        if self._syncs.busy(device.id) or device.id in self._waiting:
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
        self._syncs.gone(lambda _devname, path: path in points, "unmounted")
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
                self._syncs.start(
                    waiting.device, mount.point, f"mounted at {mount.point}", mount.source
                )

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
        if not self._syncs.busy(device.id):
            self._waiting.pop(device.id, None)
            self._syncs.start(device, path, reason, devname)
        return True

    def _in_automount(self, path: Path) -> bool:
        return any(path.parent == folder for folder in self._automount)

    def _on_folder(self, kind: str, path: Path) -> None:
        if kind == "deleted":
            self._appeared.pop(path, None)
            self._syncs.gone(lambda _devname, p: p == path, "removed")
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
                self._syncs.finished(*args)
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
            self._syncs.new_in_cache()

    # --- syncs -------------------------------------------------------------------------------

    def _sync_connected(self) -> None:
        from podsync.player.devices import locate

        for device in self.app.state.devices():
            path = locate(device, self._mounts.mounts)
            if path is not None:
                source = next((m.source for m in self._mounts.mounts if m.point == path), None)
                self._syncs.start(device, path, f"already connected at {path}", source)

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
