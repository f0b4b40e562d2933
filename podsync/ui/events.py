"""Live news for the page: a hub that fans events out to each open page, and the progress
observer that feeds it.

Work runs in threads (fetches, pushes, the watcher's syncs); each open page
holds an asyncio queue on the server's loop.  :meth:`Hub.publish` may be called
from any thread.  :class:`WebProgress` implements the observer interface of
:class:`podsync.cli.progress.Progress` (``start``, ``step``, ``on_task``,
``on_bytes``, ``close``) and turns it into ``progress`` events: bytes, speed and
the episode being worked on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podsync.tasks import Task

QUEUE_SIZE = 256
"""Events a slow page may fall behind by; past that it misses some (the next one catches up)."""
KEEPALIVE = 15.0
"""Seconds between comments that keep an idle event stream open."""


@dataclass(eq=False)
class _Listener:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | None]

    def put(self, item: tuple[str, dict[str, Any]] | None) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(item)


class Hub:
    """Fans events out to every open page's stream."""

    def __init__(self) -> None:
        self._listeners: set[_Listener] = set()
        self._lock = threading.Lock()
        self._closed = False

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Send ``kind`` with ``data`` to every page; safe from any thread."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                listener.loop.call_soon_threadsafe(listener.put, (kind, data or {}))

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._lock:
            self._closed = True
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(RuntimeError):
                listener.loop.call_soon_threadsafe(listener.put, None)

    @contextlib.contextmanager
    def _listen(self) -> Iterator[_Listener]:
        listener = _Listener(asyncio.get_running_loop(), asyncio.Queue(QUEUE_SIZE))
        with self._lock:
            if self._closed:
                listener.put(None)
            self._listeners.add(listener)
        try:
            yield listener
        finally:
            with self._lock:
                self._listeners.discard(listener)

    async def stream(self) -> AsyncIterator[str]:
        """Server-sent events, as text, until the hub closes."""
        with self._listen() as listener:
            yield "retry: 2000\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(listener.queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                if item is None:
                    return
                kind, data = item
                yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class WebProgress:
    """A progress observer (as :class:`podsync.cli.progress.Progress`) that publishes events."""

    INTERVAL = 0.2
    """Seconds between byte updates sent to the pages."""

    def __init__(self, hub: Hub, job: str, title: str) -> None:
        self.hub, self.job, self.title = hub, job, title
        self.verb = ""
        self.total = self.total_bytes = self.done = self.failed = self.bytes = 0
        self.current = ""
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._sent = 0.0
        self._timer: threading.Timer | None = None
        self._working: dict[str, str] = {}
        """Tasks running now, by id, oldest first: the newest is the one shown."""

    def start(self, verb: str, total: int, total_bytes: int = 0) -> None:
        with self._lock:
            self.verb, self.total, self.total_bytes = verb, total, total_bytes
            self.done = self.failed = self.bytes = 0
            self.current = ""
            self._working.clear()
            self._started = time.monotonic()
        self._send(force=True)

    def step(self, failed: bool = False) -> None:
        """One finished unit of work that is not a task (a feed refreshed)."""
        with self._lock:
            self.done += 1
            self.failed += failed
        self._send()

    def on_task(self, task: Task) -> None:
        with self._lock:
            if task.finished:
                self.done += 1
                self.failed += task.failed
                self._working.pop(task.id, None)
            else:
                self._working[task.id] = task.label
            self.current = next(reversed(self._working.values()), "")
        self._send(force=not task.finished)

    def on_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
        self._send()

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._send(force=True)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            elapsed = max(time.monotonic() - self._started, 1e-3)
            return {
                "job": self.job,
                "title": self.title,
                "verb": self.verb,
                "done": self.done,
                "total": self.total,
                "failed": self.failed,
                "bytes": self.bytes,
                "total_bytes": self.total_bytes,
                "speed": int(self.bytes / elapsed),
                "current": self.current,
            }

    def _send(self, force: bool = False) -> None:
        """Publish now, or (too soon after the last) once the interval is over, so the
        page always ends up with the latest counts."""
        now = time.monotonic()
        with self._lock:
            wait = self._sent + self.INTERVAL - now
            if not force and wait > 0:
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._flush)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._sent = now
        self.hub.publish("progress", self.snapshot())

    def _flush(self) -> None:
        with self._lock:
            self._timer = None
        self._send(force=True)
