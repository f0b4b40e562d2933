"""A one-line progress display on a terminal; silent when output is not a tty."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from podsync.sizes import human_size

if TYPE_CHECKING:
    from podsync.tasks import Task


def terminal_width(stream: TextIO) -> int | None:
    """The width of the terminal ``stream`` writes to; None when it is not a terminal."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None


class Progress:
    """Counts tasks and bytes and redraws one status line at most ten times a second."""

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
        self.done = self.failed = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._drawn = 0.0

    def start(self, verb: str, total: int, total_bytes: int = 0) -> None:
        with self._lock:
            self.verb, self.total, self.total_bytes = verb, total, total_bytes
            self.done = self.failed = self.bytes = 0
        self._draw(force=True)

    def step(self, failed: bool = False) -> None:
        """Count one finished unit of work that is not a task (a feed refreshed)."""
        with self._lock:
            self.done += 1
            self.failed += failed
        self._draw()

    def on_task(self, task: Task) -> None:
        if task.finished:
            self.step(task.failed)

    def on_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._drawn < 0.1 and self.done < self.total:
                return
            self._drawn = now
            line = self._line()
        width = self._width()
        self.stream.write("\r" + line[:width].ljust(width))
        self.stream.flush()

    def _width(self) -> int:
        return (terminal_width(self.stream) or 80) - 1

    def _line(self) -> str:
        parts = [f"{self.verb} {self.done}/{self.total}"]
        if self.total:
            filled = int(20 * self.done / self.total)
            parts.insert(0, "[" + "#" * filled + "-" * (20 - filled) + "]")
        if self.bytes:
            size = human_size(self.bytes)
            parts.append(f"{size} of {human_size(self.total_bytes)}" if self.total_bytes else size)
        if self.failed:
            parts.append(f"{self.failed} failed")
        return "  ".join(parts)

    def close(self) -> None:
        if self.enabled:
            width = self._width()
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
