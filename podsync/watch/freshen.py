"""Fetching for ``podsync watch``: before a push when the feeds are stale, and on a schedule.

One fetch runs at a time, in a thread of its own.  A push waits for it at
most ``watch.fetch_timeout`` seconds, then goes ahead with what is cached; the
fetch carries on, and what it downloads later reaches a player that is still
connected through the watcher's watch on the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from podsync.app import App
from podsync.config import Config

log = logging.getLogger("podsync.watch")

FetchRun = Callable[[threading.Event, str], str]
"""Runs one fetch (stopping when the event is set; the text says why it runs, e.g.
"clip plugged in") and says in a line what came new."""

STOP_WAIT = 5.0
"""Seconds the watcher waits, when stopping, for a fetch to notice it should stop."""


@dataclass
class FetchJob:
    thread: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)
    summary: str = ""


class Freshener:
    """Starts fetches and waits for them; the watcher's loop calls :meth:`tick`."""

    def __init__(self, config: Config, run: FetchRun, last_refresh: Callable[[], float]) -> None:
        self._max_age = float(config.get("watch", "fetch_max_age"))
        self._timeout = float(config.get("watch", "fetch_timeout"))
        self._interval = float(config.get("watch", "fetch_interval"))
        self._run = run
        self._last_refresh = last_refresh
        self._lock = threading.Lock()
        self._job: FetchJob | None = None
        self._cancel = threading.Event()
        self._next: float | None = None
        if self._interval:
            age = time.time() - last_refresh()
            self._next = time.monotonic() + max(0.0, self._interval - age)

    @property
    def next_due(self) -> float | None:
        """When (monotonic) the next scheduled fetch is due; None: never."""
        return self._next

    def tick(self) -> None:
        """Start the scheduled fetch when it is due."""
        if self._next is not None and time.monotonic() >= self._next:
            self._next = time.monotonic() + self._interval
            self._start(f"every {self._interval:g} s")

    def before_push(self, name: str) -> str | None:
        """Refresh the feeds for the player ``name`` if they are older than
        ``watch.fetch_max_age`` (or a fetch is running); wait for it at most
        ``watch.fetch_timeout``.  Returns what came new, or None when nothing ran."""
        with self._lock:
            running = self._job is not None and not self._job.done.is_set()
        if not running and time.time() - self._last_refresh() < self._max_age:
            return None
        job = self._start(f"{name} plugged in")
        if job.done.wait(self._timeout):
            return job.summary
        log.warning(
            "%s: the feeds are still refreshing after %g s; pushing what is cached",
            name,
            self._timeout,
        )
        return f"feeds still refreshing after {self._timeout:g} s"

    def stop(self) -> None:
        self._cancel.set()
        with self._lock:
            job = self._job
        if job is not None and job.thread is not None:
            job.thread.join(STOP_WAIT)

    def _start(self, reason: str) -> FetchJob:
        with self._lock:
            if self._job is not None and not self._job.done.is_set():
                return self._job
            job = self._job = FetchJob()
        log.info("refreshing feeds (%s)", reason)
        job.thread = threading.Thread(
            target=self._fetch, args=(job, reason), name="fetch", daemon=True
        )
        job.thread.start()
        return job

    def _fetch(self, job: FetchJob, reason: str) -> None:
        try:
            job.summary = self._run(self._cancel, reason)
            log.info("fetched: %s", job.summary)
        except Exception as exc:  # a service must outlive any one fetch
            log.exception("fetch crashed")
            job.summary = f"fetch failed: {exc}"
        finally:
            job.done.set()


def fetch_outcome(cancel: threading.Event, reason: str = "") -> str:
    """Fetch the way ``podsync fetch`` does, in this (fetch) thread; one line of what came.
    (The page's :meth:`podsync.ui.jobs.Jobs.watched_fetch` does the same, and shows it.)"""
    from podsync.cli.progress import Progress
    from podsync.cli.report import fetch_summary
    from podsync.fetch import fetch

    with App.open() as app:
        return fetch_summary(fetch(app, Progress("fetching", enabled=False), cancel=cancel))


def last_refresh() -> float:
    """When the stalest feed that is refreshed was last refreshed (0: never; now: none)."""
    with App.open() as app:
        fetched = {
            p.id
            for p in app.state.podcasts()
            if p.status != "gone" and app.config.for_podcast(p.title).get("podcast", "fetch")
        }
        times = [t or 0.0 for i, t in app.state.refreshed_at().items() if i in fetched]
    return min(times, default=time.time())
