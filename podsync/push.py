"""``podsync push``: the cache onto a player, through the same SyncManager as a fetch.

A push takes the player's lock, then asks the quick check whether anything
changed since a push last found nothing to do; only when something did is
the full push (:mod:`podsync.player_sync`) loaded and run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from podsync import quickcheck
from podsync.app import App
from podsync.devices import push_lock
from podsync.model import Plan, SyncResult
from podsync.state import Device

if TYPE_CHECKING:
    from podsync.progress import Progress


@dataclass
class PushReport:
    device: Device
    path: Path
    plan: Plan
    result: SyncResult | None
    warnings: list[str] = field(default_factory=list)
    played: int = 0
    """Episodes newly found played in the player's scrobbler log."""
    quick: bool = False
    """Decided by the quick check: nothing changed since a push found nothing to do."""
    outside: int = 0
    """podsync's files on the player outside its folder (the quick check does not see them)."""

    @property
    def ok(self) -> bool:
        return self.result is None or not (self.result.failed or self.result.cancelled)

    @property
    def nothing_done(self) -> bool:
        """A push that changed nothing and had nothing to report."""
        plan = self.plan
        return (
            plan.empty
            and not plan.unfit
            and self.ok
            and not (self.warnings or self.played or self.outside)
        )


def push(
    app: App,
    device: Device,
    path: Path,
    progress: Progress,
    *,
    dry_run: bool = False,
    delete: bool = True,
    cancel: threading.Event | None = None,
    quick: bool = True,
) -> PushReport:
    """Sync the cache to ``device`` mounted at ``path`` (or, with ``dry_run``, only plan it).

    With ``quick`` False, plan even when the quick check says nothing changed.
    """
    with push_lock(app.home.locks_dir, device):
        before = _fingerprint(app, device, path, delete)
        check = quickcheck.recorded(app.state, device)
        if quick and before is not None and check is not None and check.holds(before, time.time()):
            return _unchanged(app, device, path, check, dry_run)
        from podsync.player_sync import sync_player

        if not dry_run and check is not None:
            quickcheck.record(app.state, device, None)
        report = sync_player(
            app, device, path, progress, dry_run=dry_run, delete=delete, cancel=cancel
        )
        if not dry_run and report.nothing_done and before is not None:
            taken = time.time()
            if _fingerprint(app, device, path, delete) == before:
                quickcheck.record(
                    app.state,
                    device,
                    quickcheck.QuickCheck(before, taken, report.plan.expires, report.plan.kept),
                )
    return report


def _fingerprint(app: App, device: Device, path: Path, delete: bool) -> str | None:
    try:
        settings = app.config.for_device(device.name).values
        return quickcheck.fingerprint(app.home, app.state, device, path, settings, delete=delete)
    except OSError:
        return None  # the full push says what is wrong with the player


def _unchanged(
    app: App, device: Device, path: Path, check: quickcheck.QuickCheck, dry_run: bool
) -> PushReport:
    """The report of a push the quick check found nothing to do for."""
    plan = Plan((), (), check.kept, expires=check.expires)
    if dry_run:
        return PushReport(device, path, plan, None, quick=True)
    app.state.record_sync(device.id, str(path), "ok", None)
    return PushReport(device, path, plan, SyncResult(plan), quick=True)
