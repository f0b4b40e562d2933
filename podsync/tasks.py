"""The TaskManager: copy, delete and convert queues, each with its own worker pool.

Every task has a stable id and a result.  A task that raises fails alone, with
its reason recorded, and its worker takes the next one.  Workers are ordinary
(non-daemon) threads, started on demand up to the pool size; ``shutdown``
drains or cancels the queues and joins every worker, and a cancelled copy
stops at its next chunk, removing its temporary file.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from podsync.errors import Cancelled, SkipItem
from podsync.stores.base import Transfer


class TaskState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Task:
    """One unit of work and, once run, its result."""

    id: str
    kind: str
    label: str
    run: Callable[[Transfer], int]
    size: int = 0
    state: TaskState = TaskState.PENDING
    bytes: int = 0
    started: float | None = None
    ended: float | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state not in (TaskState.PENDING, TaskState.RUNNING)

    @property
    def failed(self) -> bool:
        return self.state == TaskState.FAILED


Listener = Callable[[Task], None]


class _Pool:
    """Up to ``size`` worker threads serving one queue."""

    _STOP = object()

    def __init__(self, name: str, size: int, manager: TaskManager) -> None:
        if size < 1:
            raise ValueError(f"{name} pool needs at least one worker")
        self.name = name
        self.size = size
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self._manager = manager

    def submit(self, task: Task) -> None:
        if len(self.threads) < self.size:
            thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self.threads)}")
            self.threads.append(thread)
            thread.start()
        self.queue.put(task)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(self._STOP)
        for thread in self.threads:
            thread.join()
        self.threads.clear()

    def _work(self) -> None:
        while (task := self.queue.get()) is not self._STOP:
            assert isinstance(task, Task)
            self._manager._execute(task)


class TaskManager:
    """Runs copy and delete tasks on separate pools and keeps every result.

    Use it as a context manager, so the workers are joined even on an error::

        with TaskManager(copy_workers=4, delete_workers=2) as tasks:
            tasks.add_delete("delete:k1", "old episode", lambda t: store.remove(item))
            tasks.wait()
            tasks.add_copy("copy:k2", "new episode", lambda t: store.add(...))
            tasks.wait()
        print(tasks.results)
    """

    def __init__(
        self,
        copy_workers: int = 4,
        delete_workers: int = 2,
        listener: Listener | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
        convert_workers: int = 1,
    ) -> None:
        self._pools = {
            "copy": _Pool("copy", copy_workers, self),
            "delete": _Pool("delete", delete_workers, self),
            "convert": _Pool("convert", convert_workers, self),
        }
        self._cancel = cancel or threading.Event()
        """Set to stop the run; may be shared, so that another thread can stop it."""
        self._idle = threading.Condition()
        self._outstanding = 0
        self._listener = listener
        self._on_bytes = on_bytes
        self.results: list[Task] = []

    def __enter__(self) -> TaskManager:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown(cancel=kind is not None)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def add_copy(
        self, task_id: str, label: str, run: Callable[[Transfer], int], size: int = 0
    ) -> Task:
        return self._submit(Task(task_id, "copy", label, run, size))

    def add_delete(self, task_id: str, label: str, run: Callable[[Transfer], int]) -> Task:
        return self._submit(Task(task_id, "delete", label, run))

    def add_convert(
        self, task_id: str, label: str, run: Callable[[Transfer], int], size: int = 0
    ) -> Task:
        """Slow work before a copy (conversion), on a pool of its own: a task it queues
        from ``run`` counts as outstanding before this one ends, so :meth:`wait` waits for it.
        Its progress is counted in ``size`` units (a conversion: the bytes it makes)."""
        return self._submit(Task(task_id, "convert", label, run, size))

    def _submit(self, task: Task) -> Task:
        with self._idle:
            self._outstanding += 1
            self.results.append(task)
        if self._cancel.is_set():
            self._finish(task, TaskState.CANCELLED, "interrupted")
        else:
            self._pools[task.kind].submit(task)
        return task

    def run_now(self, task_id: str, label: str, run: Callable[[Transfer], int]) -> Task:
        """Run one task in the calling thread, with the same bookkeeping as the pools."""
        task = Task(task_id, "finish", label, run)
        with self._idle:
            self._outstanding += 1
            self.results.append(task)
        self._execute(task)
        return task

    def wait(self) -> None:
        """Block until every submitted task has ended (Ctrl-C still gets through)."""
        with self._idle:
            while self._outstanding:
                self._idle.wait(0.25)

    def cancel(self) -> None:
        """Stop: queued tasks are not started and running copies stop at their next chunk."""
        self._cancel.set()

    def shutdown(self, cancel: bool = False) -> None:
        """Finish (or, with ``cancel``, abandon) the queued tasks and join every worker."""
        if cancel:
            self.cancel()
        self._pools["convert"].close()  # first: a conversion may still queue a copy
        for pool in self._pools.values():
            pool.close()

    def _execute(self, task: Task) -> None:
        if self._cancel.is_set():
            self._finish(task, TaskState.CANCELLED, "interrupted")
            return
        task.state, task.started = TaskState.RUNNING, time.time()
        self._notify(task)
        transfer = Transfer(self._cancel, self._on_bytes)
        try:
            task.bytes = task.run(transfer) or transfer.done
        except Cancelled:
            self._finish(task, TaskState.CANCELLED, "interrupted")
        except SkipItem as exc:
            self._finish(task, TaskState.SKIPPED, str(exc))
        except Exception as exc:  # one task's failure must not stop its worker
            self._finish(task, TaskState.FAILED, _reason(exc))
        else:
            self._finish(task, TaskState.DONE)

    def revise(self, task: Task, state: TaskState, error: Exception | str) -> None:
        """Change an ended task's result: its copy failed after it ended (group commit).

        The listener is not told again: it already counted the task as ended.
        """
        task.state, task.error = state, error if isinstance(error, str) else _reason(error)
        task.bytes = 0

    def _finish(self, task: Task, state: TaskState, error: str | None = None) -> None:
        task.state, task.error, task.ended = state, error, time.time()
        self._notify(task)
        with self._idle:
            self._outstanding -= 1
            self._idle.notify_all()

    def _notify(self, task: Task) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):  # a display problem never fails a task
                self._listener(task)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__
