"""Progress of a run: counts tasks and bytes; on a terminal, draws them (see progress_view).

:class:`Progress` is the observer the engine reports to (``start``,
``on_task``, ``on_bytes``, ``step``, ``close``); other front ends (the web
page) implement the same methods.  The counts never overshoot: a transfer
whose real size differs from the advertised one corrects the total when it
ends, and an interrupted one leaves the bar where it stopped.  The drawing
library (rich) is imported only when a terminal shows it, so piped output and
``podsync --help`` never load it.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, TextIO

from podsync.tasks import TaskState

if TYPE_CHECKING:
    from podsync.cli.progress_view import View
    from podsync.tasks import Task

COUNTED = ("copy", "delete", "convert")
"""Task kinds the count is of (a finishing step, such as the playlists, is not)."""
_DOING = {"delete": "deleting", "convert": "converting"}


class Progress:
    """Counts a run's units and bytes; draws them on ``stream`` when it is a terminal."""

    def __init__(
        self,
        verb: str,
        total: int = 0,
        total_bytes: int = 0,
        stream: TextIO | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.verb = verb
        self.total, self.total_bytes = total, total_bytes
        self.done = self.failed = self.bytes = 0
        self._lock = threading.Lock()
        self._running: dict[int, Task] = {}
        """The task each worker thread is transferring (bytes arrive in that thread)."""
        self._seen: dict[str, int] = {}
        self._by_bytes = bool(total_bytes)
        """Whether the run is measured in bytes (the sizes were known when it started)."""
        self._view: View | None = None

    def start(self, verb: str, total: int, total_bytes: int = 0) -> None:
        with self._lock:
            self.verb, self.total, self.total_bytes = verb, total, total_bytes
            self._by_bytes = bool(total_bytes)
            self.done = self.failed = self.bytes = 0
            self._running.clear()
            self._seen.clear()
        if not total:  # nothing to show (an empty plan)
            self.close()
        elif self.enabled:
            if self._view is None:
                from podsync.cli.progress_view import View

                self._view = View(self.stream)
            self._view.begin(verb, total_bytes or total, by_bytes=bool(total_bytes))
        self._redraw()

    def step(self, failed: bool = False) -> None:
        """Count one finished unit of work that is not a task (a feed refreshed)."""
        with self._lock:
            self.done += 1
            self.failed += failed
        self._redraw()

    def on_task(self, task: Task) -> None:
        if task.kind not in COUNTED:
            return
        if task.state == TaskState.RUNNING:
            with self._lock:
                self._running[threading.get_ident()] = task
                self._seen[task.id] = 0
            if self._view is not None:
                doing = _DOING.get(task.kind)
                label = f"{doing} {task.label}" if doing else task.label
                by_bytes = task.kind != "delete"  # a conversion counts the bytes it makes
                self._view.add_transfer(task.id, label, task.size, by_bytes=by_bytes)
            return
        if not task.finished:
            return
        with self._lock:
            if self._running.get(threading.get_ident()) is task:
                del self._running[threading.get_ident()]
            seen = self._seen.pop(task.id, 0)
            if task.state != TaskState.CANCELLED:  # a stopped run stays where it stopped
                self.done += 1
                self.failed += task.failed
                if self._by_bytes:  # the advertised size was a guess: count what flowed
                    self.total_bytes = max(self.bytes, self.total_bytes + seen - task.size)
        if self._view is not None:
            self._view.end_transfer(task.id)
        self._redraw()

    def on_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            if self._by_bytes:
                self.total_bytes = max(self.total_bytes, self.bytes)
            task = self._running.get(threading.get_ident())
            if task is not None:
                self._seen[task.id] = self._seen.get(task.id, 0) + n
        if self._view is not None:
            if task is not None:
                self._view.advance_transfer(task.id, n)
            self._redraw()

    def line(self) -> str:
        """The count as words: ``syncing clip 2/5, 1 failed``."""
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.verb} {self.done}/{self.total}{failed}"

    def _redraw(self) -> None:
        if self._view is None:
            return
        with self._lock:
            total = self.total_bytes if self._by_bytes else self.total
            completed = self.bytes if self._by_bytes else self.done
            text = self.line()
        self._view.overall(text, completed, total)

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None
