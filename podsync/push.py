"""``podsync push``: the cache onto a player, through the same SyncManager as a fetch.

The pieces for one player are assembled from its settings: the device store,
the played signals, the filters, the steps and the room it has.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.app import App
from podsync.config import Config
from podsync.errors import DeviceError, Interrupted
from podsync.filters import PlanState, Space
from podsync.history import Event, record, task_events
from podsync.model import Device, Episode, Plan
from podsync.names import check_folder
from podsync.plan import explain_uncached
from podsync.player.adopt import rekeyed
from podsync.player.devices import push_lock
from podsync.player.guard import Player
from podsync.player.lock import player_lock
from podsync.player.manifest import Manifest
from podsync.player.mounts import mount_of
from podsync.player.played import listened, read_scrobbles
from podsync.player.udev_identity import drive_info
from podsync.sizes import Budget, parse_size, plural
from podsync.steps import FinishStep, PostStep, PreStep
from podsync.steps.artwork import Artwork, Covers, cover_file
from podsync.steps.convert import Convert, PlayerFormats
from podsync.steps.ffmpeg import find_ffmpeg
from podsync.steps.limits import FAT_TYPES, FileSizeLimit
from podsync.steps.playlists import Playlists
from podsync.steps.tags import Tagger
from podsync.stores.cache import CacheStore
from podsync.stores.converted import ConvertingStore
from podsync.stores.device import DeviceStore
from podsync.stores.feed import offered_items
from podsync.sync import SyncManager, SyncResult
from podsync.tasks import TaskManager
from podsync.wanted import copy_filters, delete_filters, filter_warnings

if TYPE_CHECKING:
    from podsync.cli.progress import Progress


@dataclass
class PushReport:
    device: Device
    path: Path
    plan: Plan
    result: SyncResult | None
    warnings: list[str] = field(default_factory=list)
    played: int = 0
    """Episodes newly found played in the player's scrobbler log."""
    conversions: dict[str, str] = field(default_factory=dict)
    """Episode key → the conversion its copy needs first (``opus → mp3 128k``)."""

    @property
    def ok(self) -> bool:
        return self.result is None or not (self.result.failed or self.result.cancelled)


def push(
    app: App,
    device: Device,
    path: Path,
    progress: Progress,
    *,
    dry_run: bool = False,
    delete: bool = True,
    cancel: threading.Event | None = None,
    warn: Callable[[str], None] | None = None,
) -> PushReport:
    """Sync the cache to ``device`` mounted at ``path`` (or, with ``dry_run``, only plan it).

    ``warn`` hears each warning before anything is changed.  After a push that
    changed something, the cache is cleaned (:func:`podsync.library.clean`).
    """
    with push_lock(app.home.locks_dir, device):
        player = Player(path)
        if dry_run:  # writes nothing on the player
            return _sync(
                app, device, player, progress, dry_run=True, delete=delete, cancel=cancel, warn=warn
            )
        with player_lock(player):  # other homes push this player too
            report = _sync(
                app,
                device,
                player,
                progress,
                dry_run=False,
                delete=delete,
                cancel=cancel,
                warn=warn,
            )
    if report.ok and (not report.plan.empty or report.played):
        from podsync.library import clean

        clean(app)
    return report


def empties_player(plan: Plan, held: int) -> str | None:
    """A warning when ``plan`` deletes every episode on the player because of the filters."""
    causes = {
        reason
        for _, reason in plan.deletes
        if reason not in _NOT_SETTINGS and not reason.startswith("keep:")
    }
    if not held or len(plan.deletes) < held or not causes:
        return None
    return (
        f"this push deletes all {held} episodes on the player because of the filters "
        f"({'; '.join(sorted(causes))}); check the settings if that is not what you want"
    )


_NOT_SETTINGS = (
    "played",
    "unsubscribed",
    "no longer in the cache",
    "finished: deleted or played on this player",
)
"""Delete reasons that are no filter change: the player rotates as it should."""


def rebuild(manifest: Manifest, path: Path, folder: str, episodes: list[Episode]) -> list[str]:
    """Rebuild a missing or unreadable manifest from the files' tags; the warnings to show."""
    from podsync.player.repair import repair

    problem = manifest.problem
    report = repair(path, folder, manifest, {e.key: e.published for e in episodes})
    if problem is None and not report.claimed:
        return []  # a new player
    what = (
        f"{problem}, until rebuilt" if problem else "the manifest on the player is missing; rebuilt"
    )
    return [f"{what} from the files' tags: " + "; ".join(report.describe())]


def finished_here(app: App, cfg: Config, manifest: Manifest, played: set[str]) -> set[str]:
    """Played episodes that this player is done with, for every computer to honour.

    With ``delete_played``, what it holds or could be given; with only
    ``skip_played``, what it could be given and does not hold.
    """
    held = {e.key for e in manifest.files.values()}
    cached = app.state.episode_keys(cached=True)
    if cfg.get("filters", "delete_played"):
        return played & (held | cached)
    if cfg.get("filters", "skip_played"):
        return played & (cached - held)
    return set()


def space_of(path: Path, cfg: Config) -> Space:
    reserve = parse_size(cfg.get("push", "reserve"))
    return Space.of_disk(path, reserve, Budget.parse(cfg.get("filters", "budget")))


def is_fat(path: Path) -> bool:
    """Whether the player's file system is FAT (asking udev only about FUSE mounts)."""
    mount = mount_of(path)
    if mount is None:
        return False
    if mount.fstype.startswith("fuse"):
        return drive_info(mount.source).fs_type in FAT_TYPES
    return mount.fstype in FAT_TYPES


def _sync(
    app: App,
    device: Device,
    player: Player,
    progress: Progress,
    *,
    dry_run: bool,
    delete: bool,
    cancel: threading.Event | None,
    warn: Callable[[str], None] | None,
) -> PushReport:
    """Plan the push to ``device`` at ``player`` and, unless ``dry_run``, carry it out."""
    cfg = app.config.for_device(device.name, device.profile)
    try:
        check_folder(device.folder)
    except ValueError as exc:  # registered by an older podsync
        raise DeviceError(
            f"its folder {exc}; register it again (podsync device remove, then add)"
        ) from None
    path = player.root
    manifest = Manifest.load(path, player)
    warnings = _take_over(app, manifest, path, device.folder, dry_run)
    target = DeviceStore(
        path,
        device.folder,
        manifest,
        device.name,
        cfg.get("names", "template"),
        cfg.get("names", "max_length"),
        cfg.get("player", "ascii_names"),
    )
    keep = cfg.get("history", "keep")
    played, newly_played = _played(app, cfg, device, path, target, dry_run)
    report_played = len(newly_played)
    if not dry_run:
        target.clean_stale()
        record(app.state, _played_events(manifest, newly_played, device.name), keep)
    state = PlanState(
        now=time.time(),
        done=frozenset(target.finished_keys()),
        played=frozenset(played),
        space=space_of(path, cfg),
    )
    ffmpeg = find_ffmpeg()
    source = ConvertingStore(
        CacheStore(app.home.episodes_dir, app.state),
        PlayerFormats.from_config(cfg),
        app.home.converted_dir,
        can_convert=ffmpeg is not None,
    )
    convert = Convert(ffmpeg, source.jobs) if ffmpeg else None
    titles = [p.title for p in app.state.podcasts()]
    pre: list[PreStep] = [FileSizeLimit()] if is_fat(path) else []
    # (copies keep the cache file's mtime, the publication date, by themselves)
    post: list[PostStep] = [Tagger()] if cfg.get("tags", "enabled") else []
    playlists = Playlists(path, target.folder, manifest, cfg.get("player", "ascii_names"))
    finish: list[FinishStep] = [playlists] if cfg.get("playlists", "enabled") else []
    covers = None
    if cfg.get("player", "artwork"):
        art = {t: cover_file(app.home.artwork_dir, u) for t, u in app.state.image_urls().items()}
        post.append(Artwork(art))
        covers = Covers(path, target.folder, manifest, art)
        finish.append(covers)
    with TaskManager(
        cfg.get("push", "copy_workers"),
        cfg.get("push", "delete_workers"),
        progress.on_task,
        progress.on_bytes,
        cancel,
        cfg.get("push", "convert_workers") or os.cpu_count() or 1,
    ) as tasks:
        manager = SyncManager(
            source,
            target,
            copy_filters=copy_filters(cfg, titles, app.state.unsubscribed_keys()),
            delete_filters=delete_filters(cfg) if delete else [],
            pre_steps=pre,
            slow_steps=[convert] if convert else [],
            post_steps=post,
            finish_steps=finish,
            tasks=tasks,
        )
        plan = manager.plan(state)
        if not manifest.files and app.state.device_file_counts().get(device.id):
            warnings.append("the manifest on the player is missing; podsync owns nothing")
        if ffmpeg is None and (source.unplayable or source.formats.processing):
            warnings.append(_no_ffmpeg(source))
        conversions = {i.key: what for i in plan.copies if convert and (what := convert.pending(i))}
        warnings += filter_warnings(cfg, titles)
        if emptied := empties_player(plan, len(manifest.files)):
            warnings.append(emptied)
        for warning in warnings:
            if warn is not None:
                warn(warning)
        if dry_run:
            plan = explain_uncached(
                offered_items(app.state),
                {e.key for e in manifest.files.values()}
                | {e.key for e in app.state.episodes(cached=True)},
                plan,
                manager.copy_filters,
                state,
            )
            return PushReport(device, path, plan, None, warnings, report_played, conversions)
        progress.start(  # a conversion's progress is counted in the bytes it makes
            f"syncing {device.name}",
            len(plan.copies) + len(plan.deletes) + len(conversions),
            plan.copy_bytes + sum(i.size or 0 for i in plan.copies if i.key in conversions),
        )
        try:
            result = manager.execute(plan)
        except KeyboardInterrupt:
            partial = manager.result
            assert partial is not None
            _record(app, device, path, manifest, partial, "interrupted", keep)
            raise Interrupted(interrupted_push(device, partial)) from None
        finally:
            progress.close()
        player.check()  # unplugged: say so, whatever the tasks made of it
    warnings += [
        f"playlist {p} not written: a file of yours has that name" for p in playlists.skipped
    ]
    if covers is not None:
        warnings += [f"{p} not written: a file of yours has that name" for p in covers.skipped]
    if target.warning:
        warnings.append(target.warning)
    _remove_unwanted_conversions(app)
    outcome = f"{len(result.failed)} failed" if result.failed else "ok"
    if result.cancelled:  # the watcher stopped it (the player was unplugged, say)
        outcome = "interrupted"
    _record(app, device, path, manifest, result, outcome, keep)
    return PushReport(device, path, plan, result, warnings, report_played, conversions)


def _record(
    app: App,
    device: Device,
    path: Path,
    manifest: Manifest,
    result: SyncResult,
    outcome: str,
    keep: int,
) -> None:
    """Remember what the push did, even an interrupted one: what the player holds, the history."""
    app.state.record_sync(
        device.id, str(path), outcome, [(p, e.key, e.size) for p, e in manifest.files.items()]
    )
    events = task_events(result, device.name)
    summary = f"copied {len(result.copied)}, deleted {len(result.deleted)}"
    events.append(Event("push", device=device.name, outcome=outcome, detail=summary))
    record(app.state, events, keep)


def _played_events(manifest: Manifest, keys: set[str], device: str) -> list[Event]:
    return [
        Event("played", e.podcast, e.title, device, detail="the player's scrobbler log")
        for e in manifest.files.values()
        if e.key in keys
    ]


def interrupted_push(device: Device, result: SyncResult) -> str:
    """What a stopped push did, and what the next one does."""
    total = len(result.plan.copies)
    rest = total - len(result.copied)
    done = (
        f"{device.name}: copied {len(result.copied)} of {plural(total, 'episode')}"
        f" and deleted {len(result.deleted)} before the stop"
    )
    if not rest:
        return done
    return f"{done}; the next push copies the other {rest} (no partial file was left on it)"


def _remove_unwanted_conversions(app: App) -> None:
    """Delete the cache's conversions that no registered player's settings want any more."""
    if not app.home.converted_dir.is_dir():
        return  # nothing was ever converted
    from podsync.library import remove_conversions, unwanted_conversions

    remove_conversions(unwanted_conversions(app, app.state.cached_items()))


def _no_ffmpeg(source: ConvertingStore) -> str:
    """The one line that says what a missing ffmpeg costs this push."""
    if source.unplayable:
        kinds = ", ".join(sorted({i.ext for i in source.unplayable}))
        return (
            f"ffmpeg is not installed: {plural(len(source.unplayable), 'episode')} in formats this "
            f"player cannot play ({kinds}) are not copied"
        )
    return "ffmpeg is not installed: episodes are copied without speed, loudness or mono changes"


def _take_over(app: App, manifest: Manifest, path: Path, folder: str, dry_run: bool) -> list[str]:
    """Bring the manifest to this computer's terms before planning; the warnings to show.

    A missing or unreadable manifest is rebuilt from the files' tags, and
    entries under keys this computer knows by others (older keys, a moved
    feed) are re-keyed; a dry run re-keys in memory and rebuilds nothing.
    """
    warnings = []
    if (manifest.absent or manifest.problem) and not dry_run:
        warnings += rebuild(manifest, path, folder, app.state.episodes())
    elif manifest.problem:
        warnings.append(f"{manifest.problem} (a push rebuilds it from the files' tags)")
    moves = app.state.key_moves()
    known = app.state.episode_keys()
    unknown = {p: e for p, e in manifest.files.items() if e.key not in known}
    if unknown:  # the episodes' tags are read only when some entry needs them
        manifest.rekey(rekeyed(unknown, moves, app.state.episodes()), record=not dry_run)
    if not dry_run:
        manifest.mark_done(*[moves[k] for k in manifest.finished if k in moves])
    return warnings


def _played(
    app: App, cfg: Config, device: Device, path: Path, target: DeviceStore, dry_run: bool
) -> tuple[set[str], set[str]]:
    """The played episodes, agreed between this computer and the player; and those the
    scrobbler logs newly name.

    Unless ``dry_run``: "not played" marks travel both ways, what the player
    finished is recorded here as played, and what this computer knows was
    played is recorded on the player as finished (see :func:`finished_here`).
    """
    manifest = target.manifest
    scrobbles, positions = read_scrobbles(path, app.state.scrobbler_positions(device.id))
    played_now = listened(scrobbles, manifest.files)
    newly = played_now - app.state.played_keys()
    if not dry_run:
        manifest.reopen(app.state.reopened())
        app.state.reopen(manifest.reopened)
    finished = target.finished_keys()
    if not dry_run:
        app.state.mark_played(played_now | finished)  # finished here, maybe by another computer
        app.state.set_scrobbler_positions(device.id, positions)
    played = app.state.played_keys() | played_now | finished
    if not dry_run:
        manifest.mark_done(*sorted(finished_here(app, cfg, manifest, played)))
    return played, newly
