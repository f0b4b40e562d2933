"""The progress display on a terminal, drawn with rich: a line for the run, one per transfer.

Imported only when a terminal shows the progress (rich takes a while to load).
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.progress import Task as RichTask
from rich.table import Column
from rich.text import Text

from podsync.cli.table import shorten
from podsync.sizes import human_size


class _Amount(ProgressColumn):
    """``12.5 MB of 40.1 MB`` for bytes; nothing for a count (the description has it)."""

    def render(self, task: RichTask) -> Text:
        if not task.fields.get("bytes"):
            return Text("")
        total = f" of {human_size(task.total)}" if task.total else ""
        return Text(f"{human_size(task.completed)}{total}")


class _Speed(ProgressColumn):
    def render(self, task: RichTask) -> Text:
        speed = task.finished_speed or task.speed
        if not task.fields.get("bytes") or not speed:
            return Text("")
        return Text(f"{human_size(speed)}/s")


class View:
    """A rich progress display: the run's line, then a line per running transfer."""

    def __init__(self, stream: TextIO) -> None:
        def fixed() -> Column:
            return Column(no_wrap=True)

        # One row per line, never wrapped: the name gives way (an ellipsis) to the numbers.
        self._progress = RichProgress(
            TextColumn(
                "{task.description}",
                style="bold",
                table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=12, table_column=fixed()),
            _Amount(table_column=fixed()),
            _Speed(table_column=fixed()),
            TimeRemainingColumn(table_column=fixed()),
            console=Console(file=stream, highlight=False),
            transient=True,
            refresh_per_second=8,
            expand=True,
        )
        self._overall: TaskID | None = None
        self._transfers: dict[str, TaskID] = {}

    def begin(self, verb: str, total: int, *, by_bytes: bool) -> None:
        for task_id in self._transfers.values():
            self._progress.remove_task(task_id)
        self._transfers.clear()
        if self._overall is None:
            self._overall = self._progress.add_task(verb, total=total or None, bytes=by_bytes)
            self._progress.start()
        else:
            self._progress.reset(
                self._overall, total=total or None, completed=0, description=verb, bytes=by_bytes
            )

    def overall(self, description: str, completed: int, total: int) -> None:
        if self._overall is None:
            return
        self._progress.update(
            self._overall, description=description, completed=completed, total=total or None
        )

    def add_transfer(self, key: str, label: str, size: int, *, by_bytes: bool) -> None:
        self._transfers[key] = self._progress.add_task(
            f"  {shorten(label, 60)}", total=size or None, bytes=by_bytes
        )

    def advance_transfer(self, key: str, n: int) -> None:
        task_id = self._transfers.get(key)
        if task_id is None:
            return
        task = next((t for t in self._progress.tasks if t.id == task_id), None)
        if task is None:
            return
        if task.total is not None and task.completed + n > task.total:  # more than advertised
            self._progress.update(task_id, total=task.completed + n)
        self._progress.advance(task_id, n)

    def end_transfer(self, key: str) -> None:
        task_id = self._transfers.pop(key, None)
        if task_id is not None:
            self._progress.remove_task(task_id)

    def close(self) -> None:
        if self._overall is not None:
            self._progress.stop()
