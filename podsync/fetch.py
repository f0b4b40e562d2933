"""``podsync subscribe`` and ``podsync fetch``: feeds into the cache.

Refreshing reads each feed (in parallel) and records its episodes; then the
same SyncManager and TaskManager that push to a player download what the copy
filters want from the feed store into the cache store.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from podsync.app import App
from podsync.errors import FeedError, UsageError
from podsync.feeds import fetch_feed
from podsync.filters import NewestPerPodcast, PlanState
from podsync.httpclient import new_session
from podsync.progress import Progress
from podsync.state import Podcast
from podsync.steps.mtime import PublishedMtime
from podsync.stores.cache import CacheStore
from podsync.stores.feed import FeedStore, RefreshResult
from podsync.sync import SyncManager, SyncResult
from podsync.tasks import TaskManager


@dataclass
class FetchReport:
    refreshed: list[RefreshResult]
    sync: SyncResult

    @property
    def failed_feeds(self) -> list[RefreshResult]:
        return [r for r in self.refreshed if r.error]

    @property
    def ok(self) -> bool:
        return not self.failed_feeds and not self.sync.failed and not self.sync.no_room


def subscribe(app: App, url: str) -> tuple[Podcast, int]:
    """Check that ``url`` is a podcast feed, then remember it and its episodes."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise UsageError(f"not a feed URL: {url!r} (expected http:// or https://)")
    if app.state.podcast_by_url(url) is not None:
        raise UsageError(f"already subscribed to {url}")
    timeout = app.config.get("fetch", "timeout")
    with new_session(1) as session:
        try:
            doc = fetch_feed(session, url, timeout=timeout)
        except FeedError as exc:
            raise FeedError(f"cannot subscribe to {url}: {exc}") from None
    if doc.url != url and app.state.podcast_by_url(doc.url) is not None:
        raise UsageError(f"already subscribed to {doc.url} (where {url} redirects)")
    podcast = app.state.add_podcast(doc.url, doc.title)
    new = app.state.upsert_entries(podcast, doc.entries)
    app.state.record_refresh(
        podcast.id, title=doc.title, etag=doc.etag, last_modified=doc.last_modified
    )
    return podcast, new


def fetch(app: App, progress: Progress) -> FetchReport:
    """Refresh every feed, then download what the copy filters want."""
    cfg = app.config
    podcasts = [p for p in app.state.podcasts() if p.status != "gone"]
    workers = cfg.get("fetch", "refresh_workers")
    downloads = cfg.get("fetch", "download_workers")
    with new_session(max(workers, downloads)) as session:
        feeds = FeedStore(app.state, session, cfg.get("fetch", "timeout"))
        progress.start("refreshing feeds", len(podcasts))
        refreshed = []
        with ThreadPoolExecutor(workers, thread_name_prefix="refresh") as pool:
            try:
                for result in pool.map(feeds.refresh_one, podcasts):
                    refreshed.append(result)
                    progress.step(failed=result.error is not None)
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
        cache = CacheStore(app.home.episodes_dir, app.state)
        with TaskManager(downloads, 1, progress.on_task, progress.on_bytes) as tasks:
            manager = SyncManager(
                feeds,
                cache,
                [NewestPerPodcast(cfg.get("filters", "keep"))],
                [],
                post_steps=[PublishedMtime()],
                tasks=tasks,
            )
            plan = manager.plan(PlanState())
            progress.start("downloading", len(plan.copies), plan.copy_bytes)
            result = manager.execute(plan)
    progress.close()
    return FetchReport(refreshed, result)
