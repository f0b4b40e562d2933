"""The SyncManager: connects two stores through filters, steps and a TaskManager.

Planning (:func:`podsync.plan.make_plan`) is pure; this module does the
plan: deletes first (they free space), then copies, newest first, and then
the target commits what changed.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podsync.errors import SkipItem
from podsync.filters import CopyFilter, DeleteFilter, PlanState
from podsync.model import MediaItem, Plan
from podsync.plan import make_plan
from podsync.sizes import plural
from podsync.steps import FinishStep, HeaderStep, PostStep, PreStep, SlowPreStep
from podsync.stores.base import Header, MediaStore, Transfer
from podsync.tasks import Task, TaskManager, TaskState

NO_ROOM = "no room left on the target"
log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What a run did, from its task results."""

    plan: Plan
    tasks: list[Task] = field(default_factory=list)

    def _of(self, kind: str, state: TaskState) -> list[Task]:
        return [t for t in self.tasks if t.kind == kind and t.state == state]

    @property
    def copied(self) -> list[Task]:
        return self._of("copy", TaskState.DONE)

    @property
    def converted(self) -> list[Task]:
        return self._of("convert", TaskState.DONE)

    @property
    def deleted(self) -> list[Task]:
        return self._of("delete", TaskState.DONE)

    @property
    def no_room(self) -> list[Task]:
        return [t for t in self.skipped if t.error == NO_ROOM]

    @property
    def failed(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.FAILED]

    @property
    def skipped(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.SKIPPED]

    @property
    def cancelled(self) -> list[Task]:
        return [t for t in self.tasks if t.state == TaskState.CANCELLED]

    @property
    def copied_bytes(self) -> int:
        return sum(t.bytes for t in self.copied)


@dataclass
class SyncManager:
    """Syncs ``target`` from ``source``: plan with the filters, do it with the tasks."""

    source: MediaStore
    target: MediaStore
    copy_filters: Sequence[CopyFilter]
    delete_filters: Sequence[DeleteFilter]
    pre_steps: Sequence[PreStep] = ()
    slow_steps: Sequence[SlowPreStep] = ()
    """Pre steps on the convert pool (conversion): an item's copy is queued once they end."""
    post_steps: Sequence[PostStep] = ()
    finish_steps: Sequence[FinishStep] = ()
    tasks: TaskManager = field(default_factory=TaskManager)
    full: bool = field(default=False, init=False)
    """Set once the target ran out of space: the remaining copies are skipped."""
    result: SyncResult | None = field(default=None, init=False)
    """The last run's results, kept even when an interrupt cut it short."""

    def plan(self, state: PlanState) -> Plan:
        source, target = self.source.list(), self.target.list()
        plan = make_plan(source, target, self.copy_filters, self.delete_filters, state)
        if log.isEnabledFor(logging.INFO):
            self._explain(plan, source, target, state)
        return plan

    def _explain(
        self, plan: Plan, source: list[MediaItem], target: list[MediaItem], state: PlanState
    ) -> None:
        """Log each decision of ``plan`` with its reason (-v); with -vv, what each filter left."""
        to = self.target.name
        for item, reason in plan.deletes:
            log.info("plan: delete %s from %s: %s", item.location, to, reason)
        for item in plan.copies:
            log.info("plan: copy %s to %s: wanted by the filters, not there yet", item.label, to)
        for item, reason in plan.unfit:
            log.info("plan: no room on %s for %s: %s", to, item.label, reason)
        log.info("plan: %s already in %s, kept", plural(plan.kept, "episode"), to)
        if log.isEnabledFor(logging.DEBUG):
            candidates = list({i.key: i for i in [*target, *source]}.values())
            for copy_filter in self.copy_filters:
                kept = copy_filter.select(candidates, state)
                left = {i.key for i in kept}
                for item in candidates:
                    if item.key not in left:
                        log.debug(
                            "plan: not wanted: %s (filtered out by %r)", item.label, copy_filter
                        )
                candidates = kept

    def execute(self, plan: Plan) -> SyncResult:
        """Run ``plan``; on an interrupt, cancel, join the workers and re-raise."""
        first = len(self.tasks.results)
        try:
            for item, _reason in plan.deletes:
                self.tasks.add_delete(f"delete:{item.key}", item.label, self._deleter(item))
            self.tasks.wait()
            slow = []
            for item in plan.copies:
                steps = [s for s in self.slow_steps if s.pending(item)]
                if steps:
                    slow.append((item, steps))
                else:
                    self._queue_copy(item)
            for item, steps in slow:
                self.tasks.add_convert(
                    f"convert:{item.key}", item.label, self._slow(item, steps), item.size or 0
                )
            self.tasks.wait()
            self._settle()
            for step in self.finish_steps:
                name = type(step).__name__.lower()
                self.tasks.run_now(f"finish:{name}", name, self._finisher(step))
        except BaseException:
            self.tasks.shutdown(cancel=True)
            self._settle()  # the whole copies in flight still get their names
            raise
        finally:
            self.target.commit()
            self.result = SyncResult(plan, self.tasks.results[first:])
        return self.result

    def _settle(self) -> None:
        """Have the target put its copies in flight in place; fail those it could not."""
        failed = self.target.settle()
        for task in self.tasks.results:
            key = task.id.removeprefix("copy:")
            if task.kind == "copy" and task.state == TaskState.DONE and key in failed:
                exc = failed[key]
                if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    self.full = True
                    self.tasks.revise(task, TaskState.SKIPPED, NO_ROOM)
                else:
                    self.tasks.revise(task, TaskState.FAILED, exc)

    def _queue_copy(self, item: MediaItem) -> None:
        self.tasks.add_copy(f"copy:{item.key}", item.label, self._copier(item), item.size or 0)

    def _slow(self, item: MediaItem, steps: Sequence[SlowPreStep]) -> Callable[[Transfer], int]:
        def run(transfer: Transfer) -> int:
            if self.full:
                raise SkipItem(NO_ROOM)
            for step in steps:
                step.work(item, transfer)
            self._queue_copy(item)
            return 0

        return run

    def _finisher(self, step: FinishStep) -> Callable[[Transfer], int]:
        def run(transfer: Transfer) -> int:
            step.finish(self.target)
            return 0

        return run

    def _deleter(self, item: MediaItem) -> Callable[[Transfer], int]:
        def run(transfer: Transfer) -> int:
            transfer.check()
            self.target.remove(item)
            return 0

        return run

    def _copier(self, item: MediaItem) -> Callable[[Transfer], int]:
        def run(transfer: Transfer) -> int:
            if self.full:
                raise SkipItem(NO_ROOM)
            prepared = item
            for step in self.pre_steps:
                prepared = step.prepare(prepared)
            try:
                stored = self.target.add(
                    prepared, self.source, transfer, PostSteps(self.post_steps) or None
                )
            except OSError as exc:
                if self._out_of_room(exc, prepared):
                    self.full = True
                    raise SkipItem(NO_ROOM) from None
                if exc.errno == errno.EFBIG:
                    raise SkipItem("too large for the target's file system") from None
                raise
            return stored.size or 0

        return run

    def _out_of_room(self, exc: OSError, item: MediaItem) -> bool:
        """Whether a failed copy ran out of space (some file systems say EPERM when full)."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        free = self.target.free_space()
        return free is not None and free < (item.size or 0)


@dataclass(frozen=True)
class PostSteps:
    """The post steps, as the one object a store runs on each copy."""

    steps: Sequence[PostStep]

    def __bool__(self) -> bool:
        return bool(self.steps)

    def header(self, item: MediaItem, source: Path) -> Header | None:
        """The one-pass form, when a single step offers one."""
        if len(self.steps) == 1 and isinstance(self.steps[0], HeaderStep):
            return self.steps[0].header(item, source)
        return None

    def process(self, item: MediaItem, path: Path) -> None:
        for step in self.steps:
            step.process(item, path)
