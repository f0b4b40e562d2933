"""What podsync knows at a glance: podcasts, players, the cache — as text or as JSON.

:func:`gather` collects it; :func:`render` lays it out for a terminal; each
record's ``to_json`` gives the documented, stable shape (docs/usage.md) that
``status``, ``list`` and ``device list`` print with ``--json``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.app import App
from podsync.cli.table import format_table, shorten
from podsync.errors import PodsyncError
from podsync.history import rfc3339
from podsync.model import Device, PodcastCounts
from podsync.sizes import human_size, plural


@dataclass(frozen=True)
class PodcastRow:
    title: str
    url: str
    status: str
    error: str | None
    counts: PodcastCounts
    on_devices: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "episodes": self.counts.known,
            "cached": self.counts.cached,
            "played": self.counts.played,
            "cache_bytes": self.counts.cache_bytes,
            "on_devices": self.on_devices,
        }


@dataclass(frozen=True)
class DiskUsage:
    """A player's file system: podsync's episodes, everything else, and what is free."""

    total: int
    podsync: int
    free: int

    @property
    def other(self) -> int:
        return max(0, self.total - self.free - self.podsync)

    def to_json(self) -> dict[str, int]:
        return {
            "total": self.total,
            "podsync": self.podsync,
            "other": self.other,
            "free": self.free,
        }


@dataclass(frozen=True)
class NextPush:
    """What ``podsync push`` would do now (its dry run)."""

    copy: int = 0
    copy_bytes: int = 0
    delete: int = 0
    unfit: int = 0
    error: str | None = None
    explain: list[dict[str, Any]] = field(default_factory=list)
    """Each episode not going to the player (deleted, no room, skipped) and why."""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "copy": self.copy,
            "copy_bytes": self.copy_bytes,
            "delete": self.delete,
            "unfit": self.unfit,
            "error": self.error,
            "explain": self.explain,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    path: Path | None
    """Where it is connected now, or None."""
    episodes: int
    space: DiskUsage | None = None
    next_push: NextPush | None = None

    def to_json(self) -> dict[str, Any]:
        d = self.device
        last = None
        if d.last_sync_at:
            stamp = rfc3339(d.last_sync_at)
            last = {"at": stamp, "result": d.last_result}
        return {
            "name": d.name,
            "id": d.id,
            "folder": d.folder,
            "profile": d.profile,
            "connected": self.path is not None,
            "path": str(self.path) if self.path else None,
            "last_path": d.path,
            "last_sync": last,
            "episodes": self.episodes,
            "space": self.space.to_json() if self.space else None,
            "next_push": self.next_push.to_json() if self.next_push else None,
        }


@dataclass(frozen=True)
class CacheRow:
    path: Path
    episodes: int
    bytes: int
    free: int

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "episodes": self.episodes,
            "bytes": self.bytes,
            "free": self.free,
        }


@dataclass
class Status:
    podcasts: list[PodcastRow] = field(default_factory=list)
    devices: list[DeviceRow] = field(default_factory=list)
    cache: CacheRow | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "podcasts": [p.to_json() for p in self.podcasts],
            "devices": [d.to_json() for d in self.devices],
            "cache": self.cache.to_json() if self.cache else None,
        }


def podcast_rows(app: App) -> list[PodcastRow]:
    counts = app.state.podcast_summary()
    names = {d.id: d.name for d in app.state.devices()}
    on: dict[int, dict[str, int]] = {}
    for (device_id, podcast_id), n in app.state.device_podcast_counts().items():
        on.setdefault(podcast_id, {})[names[device_id]] = n
    return [
        PodcastRow(
            p.title or p.url,
            p.url,
            p.status,
            p.error,
            counts.get(p.id, PodcastCounts()),
            on.get(p.id, {}),
        )
        for p in app.state.podcasts()
    ]


def device_rows(app: App, *, plan: bool = False) -> list[DeviceRow]:
    """The registered players; with ``plan``, each connected one's next push (a dry run)."""
    from podsync.player.devices import locate
    from podsync.player.mounts import current_mounts

    mounts = current_mounts()
    files = app.state.device_file_counts()
    rows = []
    for device in app.state.devices():
        path = locate(device, mounts)
        space = space_on(path) if path else None
        planned = next_push(app, device, path) if path and plan else None
        rows.append(DeviceRow(device, path, files.get(device.id, 0), space, planned))
    return rows


def space_on(path: Path) -> DiskUsage | None:
    from podsync.player.manifest import Manifest

    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    try:
        ours = sum(item.size or 0 for item in Manifest.load(path).files.values())
    except (PodsyncError, OSError):  # a linked .podsync, or unplugged just now
        ours = 0
    return DiskUsage(stat.f_blocks * stat.f_frsize, ours, stat.f_bavail * stat.f_frsize)


def next_push(app: App, device: Device, path: Path) -> NextPush:
    from podsync.cli.progress import Progress
    from podsync.push import push

    try:
        report = push(app, device, path, Progress("planning", enabled=False), dry_run=True)
    except (PodsyncError, OSError) as exc:
        return NextPush(error=str(exc))
    plan = report.plan

    def why(action: str, pairs: tuple) -> list[dict[str, Any]]:
        return [
            {"podcast": i.podcast, "title": i.title, "action": action, "reason": r}
            for i, r in pairs
        ]

    explain = why("delete", plan.deletes) + why("no room", plan.unfit)
    explain += why("skip", plan.skipped)
    return NextPush(
        len(plan.copies),
        plan.copy_bytes,
        len(plan.deletes),
        len(plan.unfit),
        explain=explain,
        warnings=report.warnings,
    )


def gather(app: App) -> Status:
    rows = podcast_rows(app)
    cache = app.home.episodes_dir
    try:
        stat = os.statvfs(cache)
        free = stat.f_bavail * stat.f_frsize
    except OSError:
        free = 0
    return Status(
        rows,
        device_rows(app, plan=True),
        CacheRow(
            cache,
            sum(r.counts.cached for r in rows),
            sum(r.counts.cache_bytes for r in rows),
            free,
        ),
    )


def last_sync(device: Device) -> str:
    if not device.last_sync_at:
        return "never"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(device.last_sync_at))
    return f"{when}, {device.last_result}"


def podcast_table(rows: list[PodcastRow], devices: list[str], width: int) -> list[str]:
    header = ["PODCAST", "EPISODES", "CACHED", "PLAYED", *devices]
    table = [header]
    for row in rows:
        title = row.title if row.status == "ok" else f"{row.title} ({row.status})"
        counts = row.counts
        cells = [str(counts.known), str(counts.cached), str(counts.played)]
        table.append([title, *cells, *(str(row.on_devices.get(d, "-")) for d in devices)])
    return format_table(table, numeric=range(1, len(header)), width=width)


def device_table(rows: list[DeviceRow], width: int) -> list[str]:
    table = [["DEVICE", "CONNECTED AT", "LAST SYNC", "NEXT PUSH"]]
    for row in rows:
        where = str(row.path) if row.path else "not connected"
        table.append([row.device.name, where, last_sync(row.device), _next(row.next_push)])
    return format_table(table, width=width, shrink=(1, 3), paths=(1,))


def _next(plan: NextPush | None) -> str:
    if plan is None:
        return "-"
    if plan.error:
        return plan.error
    if not (plan.copy or plan.delete or plan.unfit):
        return "up to date"
    parts = [f"copy {plan.copy} ({human_size(plan.copy_bytes)})"] if plan.copy else []
    parts += [f"delete {plan.delete}"] if plan.delete else []
    parts += [f"{plan.unfit} won't fit"] if plan.unfit else []
    return ", ".join(parts)


def space_bar(space: DiskUsage, width: int, fancy: bool) -> str:
    """``[###+++....]``: podsync's episodes, other files, free space."""
    ours, other, free = ("█", "▒", "░") if fancy else ("#", "+", ".")
    total = max(space.total, 1)
    n_ours = round(width * space.podsync / total)
    n_other = min(width - n_ours, round(width * space.other / total))
    return "[" + ours * n_ours + other * n_other + free * (width - n_ours - n_other) + "]"


def render(status: Status, width: int = 80, fancy: bool = False) -> str:
    """The status for a terminal ``width`` columns wide (``fancy``: block characters)."""
    out: list[str] = []
    if status.podcasts:
        names = [d.device.name for d in status.devices]
        out += podcast_table(status.podcasts, names, width)
    else:
        out.append("No subscriptions yet; add one with: podsync subscribe URL")
    out.append("")
    if status.devices:
        out += device_table(status.devices, width)
        spaced = [d for d in status.devices if d.space]
        if spaced:
            out.append("")
        label = max((len(d.device.name) for d in spaced), default=0)
        for row in spaced:
            space = row.space
            assert space is not None
            out.append(f"{row.device.name.ljust(label)}  {space_bar(space, 24, fancy)}")
            out.append(
                f"{'':{label}}  {human_size(space.podsync)} podsync, "
                f"{human_size(space.other)} other, {human_size(space.free)} free "
                f"of {human_size(space.total)}"
            )
    else:
        out.append("No devices registered; add one with: podsync device add MOUNTPOINT --name NAME")
    if status.cache:
        cache = status.cache
        where = f"{cache.path}"
        out += [
            "",
            f"Cache: {plural(cache.episodes, 'episode')}, {human_size(cache.bytes)}, "
            f"{human_size(cache.free)} free, in",
            "  " + (shorten(where, width - 2, keep_end=True) if width else where),
        ]
    return "\n".join(out)
