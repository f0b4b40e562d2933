"""The library: finding podcasts, unsubscribing and renaming, and keeping the cache small.

The cache holds what some player (or the next fetch) still wants
(:func:`podsync.wanted.wanted`): :func:`clean` deletes the cached episodes
nothing wants and no player still holds unplayed, the conversions no player's
settings make of what stays, and the covers no subscribed podcast uses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from podsync.app import App
from podsync.config import podcast_matches
from podsync.errors import DeviceError, UsageError
from podsync.fileio import size_or_zero
from podsync.filters import PlanState
from podsync.model import MediaItem, Podcast
from podsync.player.devices import push_lock
from podsync.stores.cache import CacheStore
from podsync.stores.feed import offered_items
from podsync.wanted import wanted


def find_podcasts(app: App, pattern: str) -> list[Podcast]:
    """The subscriptions ``pattern`` names: a feed URL, a title or a glob (any case)."""
    podcasts = app.state.podcasts()
    if urlsplit(pattern).scheme in ("http", "https"):
        return [p for p in podcasts if p.url == pattern]
    exact = [p for p in podcasts if (p.title or p.url).casefold() == pattern.casefold()]
    return exact or [p for p in podcasts if podcast_matches(pattern, p.title or p.url)]


def resolve_podcasts(app: App, patterns: list[str]) -> list[Podcast]:
    """The podcasts ``patterns`` name, each once; a pattern naming none is a usage error."""
    found: dict[int, Podcast] = {}
    for pattern in patterns:
        matched = find_podcasts(app, pattern)
        if not matched:
            raise UsageError(f"no podcast matches {pattern!r} (see: podsync list)")
        found.update((p.id, p) for p in matched)
    return list(found.values())


@dataclass
class Freed:
    """What a clean or an unsubscribe took out of the cache."""

    items: list[MediaItem] = field(default_factory=list)
    busy: str | None = None
    """Why nothing was cleaned: a push that was running (it cleans when it ends)."""
    conversions: list[Path] = field(default_factory=list)
    """Converted files no registered player's settings want (``cache/converted/``)."""
    covers: list[Path] = field(default_factory=list)
    """Covers of images no subscribed podcast has any more (``cache/artwork/``)."""
    swept_bytes: int = 0
    """The size of :attr:`conversions` and :attr:`covers`."""

    @property
    def bytes(self) -> int:
        return sum(i.size or 0 for i in self.items) + self.swept_bytes


def unsubscribe(app: App, podcasts: list[Podcast]) -> Freed:
    """Forget ``podcasts``: delete their cached files and stop refreshing them.

    Their episodes stay known to the state, so each player's next push deletes
    them there (podsync's files only).  Waits briefly for a running push, whose
    plan may be copying one of those files, and reports it busy after that.
    """
    ids = {p.id for p in podcasts}
    with push_locks(app, wait=3.0):
        cache = CacheStore(app.home.episodes_dir, app.state)
        keys = {e.key for e in app.state.episodes(cached=True) if e.podcast_id in ids}
        freed = Freed([i for i in cache.list() if i.key in keys])
        _remove(cache, freed.items)
        for podcast in podcasts:
            app.state.unsubscribe(podcast.id)
    return freed


@contextlib.contextmanager
def push_locks(app: App, wait: float) -> Iterator[None]:
    """Hold every registered player's push lock (raise ``DeviceError`` when one is busy)."""
    with contextlib.ExitStack() as locks:
        for device in app.state.devices():
            try:
                locks.enter_context(push_lock(app.home.locks_dir, device, wait=wait))
            except DeviceError as exc:
                raise DeviceError(f"{device.name}: {exc}") from None
        yield


def rename_podcast(app: App, podcast: Podcast, title: str) -> Podcast:
    """Call ``podcast`` ``title`` from now on; refreshing its feed keeps the new title."""
    title = title.strip()
    if not title:
        raise UsageError("a podcast's title cannot be empty")
    if any(
        p.title.casefold() == title.casefold() and p.id != podcast.id for p in app.state.podcasts()
    ):
        raise UsageError(f"another podcast is already called {title!r}")
    app.state.rename_podcast(podcast.id, title)
    renamed = app.state.podcast_by_url(podcast.url)
    assert renamed is not None
    return renamed


def plan_state(app: App) -> PlanState:
    return PlanState(now=time.time(), played=frozenset(app.state.played_keys()))


def clean(app: App, *, dry_run: bool = False) -> Freed:
    """Delete the cached episodes nothing wants any more (or, ``dry_run``, only name them).

    An episode goes when neither the fetch nor any player's settings select it,
    and no player holds it unplayed; ``fetch.keep_played`` keeps played ones, and
    podcasts with ``fetch = false`` keep all theirs.  It holds every player's push
    lock meanwhile: while a push runs (its plan may name any cached episode), it
    cleans nothing.
    """
    try:
        with push_locks(app, wait=0):
            return _clean(app, dry_run)
    except DeviceError as exc:
        return Freed(busy=str(exc))


def _clean(app: App, dry_run: bool) -> Freed:
    cache = CacheStore(app.home.episodes_dir, app.state)
    cached = cache.list()
    freed = Freed(_unwanted_episodes(app, cached)) if cached else Freed()
    if not dry_run:
        _remove(cache, freed.items)
    gone = {i.key for i in freed.items}
    freed.conversions = unwanted_conversions(app, [i for i in cached if i.key not in gone])
    freed.covers = _unused_covers(app)
    freed.swept_bytes = sum(size_or_zero(p) for p in [*freed.conversions, *freed.covers])
    if not dry_run:
        remove_conversions(freed.conversions)
        _delete_files(freed.covers)
    return freed


def unwanted_conversions(app: App, cached: list[MediaItem]) -> list[Path]:
    """The conversions in the cache no registered player's settings make of ``cached``."""
    from podsync.steps.convert import PlayerFormats
    from podsync.stores import converted

    players = [
        PlayerFormats.from_config(app.config.for_device(d.name, d.profile))
        for d in app.state.devices()
    ]
    return converted.unwanted_conversions(app.home.converted_dir, cached, players)


def remove_conversions(paths: list[Path]) -> None:
    """Delete these conversions, then their settings folders once empty."""
    for folder in {p.parent for p in _delete_files(paths)}:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _unused_covers(app: App) -> list[Path]:
    """The covers made from images no subscribed podcast has now."""
    from podsync.steps.artwork import unused_covers

    titles = {p.title for p in app.state.podcasts()}
    urls = [u for t, u in app.state.image_urls().items() if t in titles]
    return unused_covers(app.home.artwork_dir, urls)


def _delete_files(paths: list[Path]) -> list[Path]:
    """Unlink ``paths`` (regular files of podsync's cache); those it removed."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def _unwanted_episodes(app: App, cached: list[MediaItem]) -> list[MediaItem]:
    items = list({i.key: i for i in [*offered_items(app.state), *cached]}.values())
    state = plan_state(app)
    keep = {i.key for i in wanted(app).select(items, state)}
    on_players = app.state.device_keys()
    keep_played = app.config.get("fetch", "keep_played")
    frozen = {
        p.title
        for p in app.state.podcasts()
        if not app.config.for_podcast(p.title).get("podcast", "fetch")
    }
    return [
        i
        for i in cached
        if i.key not in keep
        and i.podcast not in frozen
        and (i.key in state.played or i.key not in on_players)
        and not (keep_played and i.key in state.played)
    ]


def _remove(cache: object, items: list[MediaItem]) -> None:
    assert isinstance(cache, CacheStore)
    folders = set()
    for item in items:
        cache.remove(item)
        folders.add(cache.path(item).parent)
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: a partial download, say
            folder.rmdir()
