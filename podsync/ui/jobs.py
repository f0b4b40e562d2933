"""The page's long work: fetches, pushes and ejects, each in a thread of its own.

Each job calls what the command line calls (:func:`podsync.fetch.fetch`,
:func:`podsync.push.push` under the player's push lock, :func:`podsync.player.eject.eject`)
and prints the same report (:mod:`podsync.cli.report`).  A job runs at most
once at a time; its progress and its end are published on the :class:`Hub`.
The watcher's syncs on plug-in go through :meth:`Jobs.watched_push` and its
fetches (before such a push, and on its schedule) through :meth:`Jobs.watched_fetch`,
so the page shows them too.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podsync.app import App
from podsync.errors import PodsyncError, UsageError
from podsync.model import Device, Podcast
from podsync.ui.events import Hub, WebProgress
from podsync.watch.freshen import fetch_outcome
from podsync.watch.syncs import Outcome, push_outcome

log = logging.getLogger("podsync.ui")

RECENT = 20
"""Reports the page keeps to show."""

Work = Callable[[App, WebProgress, threading.Event], tuple[bool, str]]
"""A job's body: given the open app, its progress and its cancel flag; returns (ok, report)."""


@dataclass(frozen=True)
class Report:
    job: str
    title: str
    ok: bool
    text: str
    at: float


class Jobs:
    """The running jobs, their reports, and the threads that run them."""

    def __init__(self, hub: Hub, open_app: Callable[[], App] = App.open) -> None:
        self.hub = hub
        self._open = open_app
        self._lock = threading.Lock()
        self._running: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        self._cancel = threading.Event()
        self.recent: deque[Report] = deque(maxlen=RECENT)

    def running(self) -> dict[str, str]:
        """Job id → title of what runs now."""
        with self._lock:
            return dict(self._running)

    def start(self, job: str, title: str, work: Work, *, stoppable: bool = True) -> None:
        """Run ``work`` in a new thread; UsageError when ``job`` already runs.

        :meth:`stop` waits for a ``stoppable`` job (one that heeds the cancel flag, as a
        push does after the file in flight); any other ends with the process, which is
        safe where every file is written under a temporary name (a fetch's downloads).
        """
        self._begin(job, title)
        thread = threading.Thread(
            target=self._run, args=(job, title, work), name=f"ui {job}", daemon=not stoppable
        )
        if stoppable:
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _begin(self, job: str, title: str) -> None:
        with self._lock:
            if job in self._running:
                raise UsageError(f"{self._running[job]}: already running")
            self._running[job] = title
        self.hub.publish("job", {"job": job, "title": title, "state": "running"})

    def _run(self, job: str, title: str, work: Work) -> None:
        progress = WebProgress(self.hub, job, title)
        try:
            with self._open() as app:
                ok, text = work(app, progress, self._cancel)
        except PodsyncError as exc:
            ok, text = False, f"podsync: error: {exc}"
        except OSError as exc:  # a player unplugged mid-run
            where = f": {exc.filename}" if exc.filename else ""
            ok, text = False, f"podsync: error: {exc.strerror or exc}{where}"
        except Exception as exc:  # the server must outlive any one job
            log.exception("%s crashed", title)
            ok, text = False, f"podsync: error: {title} crashed: {exc}"
        self._finish(job, title, ok, text)

    def _finish(self, job: str, title: str, ok: bool, text: str) -> None:
        report = Report(job, title, ok, text.rstrip("\n"), time.time())
        with self._lock:
            self._running.pop(job, None)
            self.recent.appendleft(report)
        self.hub.publish(
            "job", {"job": job, "title": title, "state": "done", "ok": ok, "report": report.text}
        )
        self.hub.publish("changed", {"why": job})

    def watched_push(self, device: Device, path: Path, cancel: threading.Event) -> Outcome:
        """The watcher's push on plug-in, as :func:`push_outcome`, shown on the page."""
        job, title = f"push:{device.name}", f"Push to {device.name} (plugged in)"
        try:
            self._begin(job, title)
        except UsageError as exc:
            return Outcome(False, str(exc))
        outcome = push_outcome(device, path, cancel, WebProgress(self.hub, job, title))
        self._finish(job, title, outcome.ok, f"{device.name}: {outcome.text}")
        return outcome

    def watched_fetch(self, cancel: threading.Event, reason: str) -> str:
        """The watcher's fetch (before a push on plug-in, or on its schedule), as
        :func:`fetch_outcome`, shown on the page as the page's own fetch is: its progress
        while it runs, then the report ``podsync fetch`` prints."""
        job, title = "fetch", f"Fetch ({reason})"
        try:
            self._begin(job, title)
        except UsageError:  # the page's own fetch runs: this one goes unseen, as before
            return fetch_outcome(cancel, reason)
        from podsync.cli.report import fetch_summary, print_fetch
        from podsync.fetch import fetch

        try:
            progress = WebProgress(self.hub, job, title)
            with self._open() as app:
                report = fetch(app, progress, cancel=cancel)  # type: ignore[arg-type]
        except Exception as exc:  # the watcher logs it; the page says it failed
            self._finish(job, title, False, f"podsync: error: {exc}")
            raise
        out = io.StringIO()
        print_fetch(report, out)
        self._finish(job, title, report.ok, out.getvalue())
        return fetch_summary(report)

    def stop(self) -> None:
        """Ask running pushes to stop after the file in flight, and wait for them."""
        self._cancel.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()


def fetch_work(podcast: Podcast | None) -> Work:
    """``podsync fetch``, or ``podsync fetch PODCAST``."""

    def work(app: App, progress: WebProgress, cancel: threading.Event) -> tuple[bool, str]:
        from podsync.cli.report import print_fetch
        from podsync.fetch import fetch

        if not app.state.podcasts():
            return True, "No subscriptions yet."
        only = None if podcast is None else [podcast]
        report = fetch(app, progress, podcasts=only)  # type: ignore[arg-type]  # same observer
        out = io.StringIO()
        print_fetch(report, out)
        return report.ok, out.getvalue()

    return work


def push_work(name: str) -> Work:
    """``podsync push NAME``."""

    def work(app: App, progress: WebProgress, cancel: threading.Event) -> tuple[bool, str]:
        from podsync.cli.report import print_push
        from podsync.player.devices import resolve
        from podsync.push import push

        out = io.StringIO()
        ok = True
        for device, path in resolve(app.state, name):
            report = push(app, device, path, progress, cancel=cancel)  # type: ignore[arg-type]
            print_push(report, out, err=out)
            ok = ok and report.ok
        return ok, out.getvalue()

    return work


def eject_work(name: str) -> Work:
    """``podsync push --eject`` without the push: flush, unmount, power off."""

    def work(app: App, progress: WebProgress, cancel: threading.Event) -> tuple[bool, str]:
        from podsync.player.devices import resolve
        from podsync.player.eject import eject

        ((_device, path),) = resolve(app.state, name)
        return True, eject(path)

    return work
