"""The watcher's pushes: one thread per player, how each ended, and the players left connected.

A player is *syncing* or *connected* (synced, still mounted) here; the
watcher's loop starts the syncs and is told, through its inbox, when one ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from podsync.app import App
from podsync.cli.progress import Progress
from podsync.errors import PodsyncError
from podsync.model import Device
from podsync.player.devices import read_marker
from podsync.watch.freshen import Freshener
from podsync.watch.notify import notify

log = logging.getLogger("podsync.watch")

NEW_IN_CACHE = "new episodes in the cache"


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


PushRun = Callable[[Device, Path, threading.Event], Outcome]
"""Pushes to one player (stopping when the event is set) and says how it went."""


class Syncs:
    """The syncs running and the players connected, by device id.

    Called from the watcher's loop only; a sync's thread hands its outcome back
    through ``post("done", sync, outcome)``, for the loop to call :meth:`finished`.
    """

    def __init__(
        self,
        push: PushRun,
        fresh: Freshener,
        post: Callable[..., None],
        notify_end: bool,
    ) -> None:
        self._push = push
        self._fresh = fresh
        self._post = post
        self._notify = notify_end
        self._syncs: dict[str, Sync] = {}
        self._connected: dict[str, Connected] = {}

    def busy(self, device_id: str) -> bool:
        """Whether the player is syncing or connected (a new event for it changes nothing)."""
        return device_id in self._syncs or device_id in self._connected

    def start(self, device: Device, path: Path, reason: str, devname: str | None) -> None:
        if device.id in self._syncs:
            return
        self._connected.pop(device.id, None)
        sync = Sync(device, path, devname if devname and devname.startswith("/dev/") else None)
        sync.fetch_first = reason != NEW_IN_CACHE
        self._syncs[device.id] = sync
        log.info("%s: syncing (%s)", device.name, reason)
        sync.thread = threading.Thread(target=self._run, args=(sync,), name=f"sync {device.name}")
        sync.thread.start()

    def _run(self, sync: Sync) -> None:
        try:
            fresh = self._fresh.before_push(sync.device.name) if sync.fetch_first else None
            outcome = self._push(sync.device, sync.path, sync.cancel)
            if fresh is not None:
                outcome = Outcome(outcome.ok, f"{outcome.text}; {fresh}")
        except Exception as exc:  # a service must outlive any one sync
            log.exception("%s: sync crashed", sync.device.name)
            outcome = Outcome(False, f"crashed: {exc}")
        self._post("done", sync, outcome)

    def finished(self, sync: Sync, outcome: Outcome) -> None:
        """Report how ``sync`` ended; the player stays connected if it is still there."""
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
            self.start(sync.device, sync.path, NEW_IN_CACHE, sync.devname)

    def new_in_cache(self) -> None:
        """Push the cache's new episodes: once more after each running sync, and now
        to each connected player."""
        for sync in self._syncs.values():
            sync.again = True
        for connected in list(self._connected.values()):
            if read_marker(connected.path) == connected.device.id:
                self.start(connected.device, connected.path, NEW_IN_CACHE, connected.devname)

    def gone(self, which: Callable[[str | None, Path], bool], why: str) -> None:
        """Forget the players ``which`` selects (by device node, path); stop their syncs."""
        for device_id, connected in list(self._connected.items()):
            if which(connected.devname, connected.path):
                del self._connected[device_id]
                log.info("%s: %s", connected.device.name, why)
        for sync in self._syncs.values():
            if which(sync.devname, sync.path) and not sync.cancel.is_set():
                log.warning("%s: %s during the sync; stopping it", sync.device.name, why)
                sync.cancel.set()

    def stop(self) -> None:
        """Stop every sync after its file in flight, and wait for their threads."""
        if self._syncs:
            log.info("stopping: finishing or rolling back the file in flight")
        for sync in self._syncs.values():
            sync.cancel.set()
        for sync in self._syncs.values():
            if sync.thread is not None:
                sync.thread.join()


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
