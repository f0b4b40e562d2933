"""``podsync subscribe`` and ``podsync fetch``: feeds into the cache.

Refreshing reads each feed (in parallel, a few connections per host) and
records its episodes; then the same SyncManager and TaskManager that push to
a player download what the copy filters want from the feed store into the
cache store, fitted into the cache disk's free space.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from podsync.app import App
from podsync.cli.progress import Progress
from podsync.config import Config
from podsync.errors import FeedError, Interrupted, PodsyncError, UsageError
from podsync.feeds.http import is_feed_url, new_session
from podsync.feeds.parse import Limits, fetch_feed, read_capped, title_of
from podsync.filters import PlanState, Space
from podsync.history import Event, record, task_events
from podsync.identity import feed_identity
from podsync.library import Freed, clean
from podsync.model import Plan, Podcast
from podsync.sizes import parse_size, plural
from podsync.steps.mtime import PublishedMtime
from podsync.stores.cache import CacheStore
from podsync.stores.feed import FeedStore, RefreshResult
from podsync.sync import SyncManager, SyncResult
from podsync.tasks import TaskManager
from podsync.wanted import wanted

if TYPE_CHECKING:
    from requests import Session

log = logging.getLogger(__name__)
MAX_IMAGE = 10 * 1024 * 1024
"""The largest podcast image read for cover art, in bytes."""


@dataclass
class FetchReport:
    refreshed: list[RefreshResult]
    sync: SyncResult | None
    """The downloads; None when only the feeds were refreshed, or in a dry run."""
    plan: Plan | None = None
    """What was (or, in a dry run, would be) downloaded; None with ``--refresh-only``."""
    cleaned: Freed = field(default_factory=Freed)
    """What the clean after the downloads took out of the cache."""

    @property
    def failed_feeds(self) -> list[RefreshResult]:
        return [r for r in self.refreshed if r.error]

    @property
    def ok(self) -> bool:
        sync = self.sync
        downloads_ok = sync is None or not (sync.failed or sync.no_room or sync.plan.unfit)
        return not self.failed_feeds and downloads_ok


def subscribe(app: App, url: str) -> tuple[Podcast, int]:
    """Check that ``url`` is a podcast feed, then remember it and its episodes.

    Subscribing again to a feed marked gone checks it anew and revives it.
    """
    if not is_feed_url(url):
        raise UsageError(f"not a feed URL: {url!r} (expected http:// or https://)")
    known = app.state.podcast_by_url(url)
    if known is not None and known.status not in ("gone", "unsubscribed"):
        raise UsageError(f"already subscribed to {url}")
    with new_session(1, 1) as session:
        try:
            doc = fetch_feed(session, url, limits=Limits.from_config(app.config))
        except FeedError as exc:
            raise FeedError(f"cannot subscribe to {url}: {exc}") from None
    moved = app.state.podcast_by_url(doc.url)
    if doc.url != url and moved is not None and moved.status not in ("gone", "unsubscribed"):
        raise UsageError(f"already subscribed to {doc.url} (where {url} redirects)")
    same = app.state.podcast_by_identity(feed_identity(doc.url, doc.guid))
    if (
        same is not None
        and same.status not in ("gone", "unsubscribed")
        and same not in (known, moved)
    ):
        raise UsageError(f"already subscribed to {same.url}, the same feed as {url}")
    podcast = known or moved or app.state.add_podcast(doc.url, doc.title or title_of(doc.url))
    if podcast.url != doc.url:
        app.state.move_podcast(podcast.id, doc.url)
    app.state.set_feed_guid(podcast.id, doc.url, doc.guid)
    new = app.state.upsert_entries(podcast, doc.entries)
    app.state.set_image_url(podcast.id, doc.image)
    app.state.record_refresh(
        podcast.id, title=doc.title, etag=doc.etag, last_modified=doc.last_modified
    )
    return podcast, new


def fetch(
    app: App,
    progress: Progress,
    download: bool = True,
    podcasts: list[Podcast] | None = None,
    cancel: threading.Event | None = None,
    dry_run: bool = False,
) -> FetchReport:
    """Refresh the feeds (``podcasts``, else every one not gone and not ``fetch = false``),
    then download what the fetch's or a player's settings want of them, then clean the
    cache.  ``cancel`` stops it between feeds and between downloads.

    With ``dry_run`` the feeds are refreshed and the downloads only planned.
    Ctrl-C raises :class:`Interrupted`, saying what was done and what resumes.
    """
    cfg = app.config
    keep = cfg.get("history", "keep")
    only = None if podcasts is None else {p.title for p in podcasts}
    if podcasts is None:
        podcasts = [
            p
            for p in app.state.podcasts()
            if p.status != "gone" and cfg.for_podcast(p.title).get("podcast", "fetch")
        ]
    workers = cfg.get("fetch", "refresh_workers")
    downloads = cfg.get("fetch", "download_workers")
    hosts = len({urlsplit(p.url).netloc for p in podcasts}) or 1
    with new_session(hosts, cfg.get("fetch", "per_host")) as session:
        feeds = FeedStore(app.state, session, Limits.from_config(cfg))
        progress.start("refreshing feeds", len(podcasts))
        refreshed = []
        with ThreadPoolExecutor(workers, thread_name_prefix="refresh") as pool:
            try:
                for result in pool.map(feeds.refresh_one, podcasts):
                    refreshed.append(result)
                    progress.step(failed=result.error is not None)
                    if stopped(cancel):
                        pool.shutdown(cancel_futures=True)
                        break
            except BaseException as exc:
                pool.shutdown(cancel_futures=True)
                progress.close()
                record(app.state, [refresh_event(r) for r in refreshed], keep)
                if isinstance(exc, KeyboardInterrupt):
                    raise Interrupted(
                        f"stopped while refreshing feeds ({len(refreshed)} of {len(podcasts)}"
                        " read); nothing was downloaded"
                    ) from None
                raise
        record(app.state, [refresh_event(r) for r in refreshed], keep)
        if wants_artwork(app):
            fetch_covers(app, session, Limits.from_config(cfg))
        if not download or stopped(cancel):
            progress.close()
            return FetchReport(refreshed, None)
        reserve = parse_size(cfg.get("fetch", "cache_reserve"))
        cache = CacheStore(app.home.episodes_dir, app.state, reserve)
        with TaskManager(downloads, 1, progress.on_task, progress.on_bytes, cancel) as tasks:
            manager = SyncManager(
                feeds,
                cache,
                [wanted(app, only)],
                [],
                post_steps=[PublishedMtime()],
                tasks=tasks,
            )
            state = PlanState(
                now=time.time(),
                played=frozenset(app.state.played_keys()),
                space=cache_space(app.home.episodes_dir, cfg),
            )
            plan = manager.plan(state)
            if dry_run:
                progress.close()
                return FetchReport(refreshed, None, plan)
            progress.start("downloading", len(plan.copies), plan.copy_bytes)
            try:
                result = manager.execute(plan)
            except KeyboardInterrupt:
                progress.close()
                partial = manager.result
                assert partial is not None
                record(app.state, task_events(partial, None, "download"), keep)
                raise Interrupted(interrupted_downloads(partial)) from None
    progress.close()
    record(app.state, task_events(result, None, "download"), keep)
    report = FetchReport(refreshed, result, plan)
    if not result.cancelled:
        report.cleaned = clean(app)
    return report


def refresh_event(result: RefreshResult) -> Event:
    """The history's line for refreshing one feed."""
    if result.gone or result.error:
        return Event("refresh", result.title, outcome="failed", detail=result.error or "")
    detail = f"{plural(result.new, 'new episode')}" if result.modified else "not modified"
    return Event("refresh", result.title, detail=detail)


def interrupted_downloads(result: SyncResult) -> str:
    """What a stopped fetch did, and what the next one picks up."""
    started = [t for t in result.cancelled if t.started is not None]
    waiting = len(result.cancelled) - len(started)
    parts = [f"downloaded {len(result.copied)} of {plural(len(result.plan.copies), 'episode')}"]
    if started:
        parts.append(
            f"{len(started)} partly downloaded: kept as .part files, the next fetch resumes them"
        )
    if waiting:
        parts.append(f"{waiting} not started: the next fetch downloads them")
    return "; ".join(parts)


def stopped(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def wants_artwork(app: App) -> bool:
    """Whether any registered player shows cover art (so covers are worth fetching)."""
    return any(
        app.config.for_device(d.name, d.profile).get("player", "artwork")
        for d in app.state.devices()
    )


def fetch_covers(app: App, session: Session, limits: Limits) -> None:
    """Fetch the podcasts' images the cache has no cover of yet, as small JPEGs.

    A cover that cannot be fetched or read is logged and tried again next time.
    """
    import requests

    from podsync.steps.artwork import cover_file, make_cover
    from podsync.steps.ffmpeg import find_ffmpeg

    ffmpeg = find_ffmpeg()
    for title, url in sorted(app.state.image_urls().items()):
        dest = cover_file(app.home.artwork_dir, url)
        if dest.exists():
            continue
        try:
            with session.get(url, timeout=limits.timeout, stream=True) as response:
                response.raise_for_status()
                image = read_capped(response, MAX_IMAGE)
            make_cover(ffmpeg, image, dest)
        except (OSError, ValueError, PodsyncError, requests.RequestException) as exc:
            log.warning("%s: no cover art from %s: %s", title, url, exc)


def cache_space(root: Path, cfg: Config) -> Space:
    """The cache disk's space, keeping ``fetch.cache_reserve`` free."""
    return Space.of_disk(root, parse_size(cfg.get("fetch", "cache_reserve")))
