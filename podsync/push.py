"""``podsync push``: the cache onto a player, through the same SyncManager as a fetch."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from podsync.app import App
from podsync.devices import push_lock
from podsync.filters import NewestPerPodcast, NotDone, NotWanted, PlanState
from podsync.manifest import Manifest
from podsync.plan import Plan
from podsync.progress import Progress
from podsync.state import Device
from podsync.steps.mtime import PublishedMtime
from podsync.stores.cache import CacheStore
from podsync.stores.device import DeviceStore
from podsync.sync import SyncManager, SyncResult
from podsync.tasks import TaskManager


@dataclass
class PushReport:
    device: Device
    path: Path
    plan: Plan
    result: SyncResult | None
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is None or not (self.result.failed or self.result.cancelled)


def push(
    app: App, device: Device, path: Path, progress: Progress, dry_run: bool = False
) -> PushReport:
    """Sync the cache to ``device`` mounted at ``path`` (or only plan it)."""
    cfg = app.config
    with push_lock(app.home.locks_dir, device):
        manifest = Manifest.load(path)
        target = DeviceStore(path, device.folder, manifest, device.name)
        if not dry_run:
            target.clean_stale()
        with TaskManager(
            cfg.get("push", "copy_workers"),
            cfg.get("push", "delete_workers"),
            progress.on_task,
            progress.on_bytes,
        ) as tasks:
            manager = SyncManager(
                CacheStore(app.home.episodes_dir, app.state),
                target,
                copy_filters=[NotDone(), NewestPerPodcast(cfg.get("filters", "keep"))],
                delete_filters=[NotWanted()],
                post_steps=[PublishedMtime()],
                tasks=tasks,
            )
            plan = manager.plan(PlanState(now=time.time(), done=frozenset(target.done())))
            if dry_run:
                return PushReport(device, path, plan, None, manifest.problem)
            progress.start(
                f"syncing {device.name}", len(plan.copies) + len(plan.deletes), plan.copy_bytes
            )
            try:
                result = manager.execute(plan)
            finally:
                progress.close()
        outcome = (
            "ok" if not (result.failed or result.cancelled) else (f"{len(result.failed)} failed")
        )
        app.state.record_sync(
            device.id, str(path), outcome, [(p, e.key, e.size) for p, e in manifest.files.items()]
        )
    return PushReport(device, path, plan, result, manifest.problem)
