"""Which episodes a target wants: the copy and delete filters, assembled from the settings.

A push builds its player's filters here; a fetch and the cache's clean build
:func:`wanted`, one filter that passes what the fetch's own settings or any
registered player's settings select, so the cache holds what some player
will get.
"""

from __future__ import annotations

from collections.abc import Iterable

from podsync.app import App
from podsync.config import Config, podcast_matches
from podsync.filters import (
    AnyOf,
    CopyFilter,
    DeleteFilter,
    MaxAge,
    NewestPerPodcast,
    NotDone,
    NotIn,
    NotPlayed,
    NotWanted,
    Played,
    Podcasts,
    Uncached,
    Without,
)


def copy_filters(
    cfg: Config, titles: Iterable[str] = (), unsubscribed: frozenset[str] = frozenset()
) -> list[CopyFilter]:
    """A player's copy filters; ``titles``: the podcasts whose own settings apply."""
    filters: list[CopyFilter] = [NotDone()]
    if unsubscribed:
        filters.append(NotIn(unsubscribed, "unsubscribed"))
    off = frozenset(t for t in titles if not cfg.for_podcast(t).get("podcast", "sync"))
    if off:
        filters.append(Without(off, "sync = false"))
    include, exclude = cfg.get("filters", "include"), cfg.get("filters", "exclude")
    if include or exclude:
        filters.append(Podcasts(tuple(include), tuple(exclude)))
    filters += podcast_limits(cfg, titles)
    if cfg.get("filters", "skip_played") or cfg.get("filters", "delete_played"):
        filters.insert(len(filters) - 1, NotPlayed())  # deleting played ones must not copy back
    return filters


def podcast_limits(cfg: Config, titles: Iterable[str]) -> list[CopyFilter]:
    """``MaxAge`` (when any podcast has an age limit) and ``NewestPerPodcast``, with each
    podcast's own ``keep`` and ``max_age_days``."""
    keep, days = cfg.get("filters", "keep"), cfg.get("filters", "max_age_days")
    own = {t: cfg.for_podcast(t).values["filters"] for t in titles}
    keeps = tuple((t, f["keep"]) for t, f in own.items() if f["keep"] != keep)
    ages = tuple((t, f["max_age_days"]) for t, f in own.items() if f["max_age_days"] != days)
    filters: list[CopyFilter] = [MaxAge(days, ages)] if days or ages else []
    return [*filters, NewestPerPodcast(keep, keeps)]


def filter_warnings(cfg: Config, titles: list[str]) -> list[str]:
    """Patterns in the settings that match no podcast (a typo, or a podcast renamed)."""
    unmatched = [
        f"filters.{key} pattern {p!r} matches no podcast"
        for key in ("include", "exclude")
        for p in cfg.get("filters", key)
        if not any(podcast_matches(p, t) for t in titles)
    ]
    unmatched += [
        f'[podcasts."{p}"] matches no podcast' for p in cfg.unmatched_podcast_patterns(titles)
    ]
    return unmatched


def delete_filters(cfg: Config) -> list[DeleteFilter]:
    filters: list[DeleteFilter] = []
    if cfg.get("filters", "delete_played"):
        filters.append(Played())
    if cfg.get("filters", "delete_unwanted"):
        filters.append(NotWanted())
    if cfg.get("filters", "delete_uncached"):
        filters.append(Uncached())
    return filters


def fetch_filters(cfg: Config, titles: list[str], only: set[str] | None = None) -> list[CopyFilter]:
    """What a fetch downloads by its own settings: each podcast's newest ``keep`` unplayed
    episodes within ``max_age_days``, not of podcasts with ``fetch = false`` (nor, with
    ``only``, of podcasts outside it)."""
    off = {t for t in titles if not cfg.for_podcast(t).get("podcast", "fetch")}
    if only is not None:
        off |= set(titles) - only
    filters: list[CopyFilter] = [Without(frozenset(off), "fetch = false")] if off else []
    limits = podcast_limits(cfg, titles)
    if not cfg.get("fetch", "keep_played"):
        limits.insert(len(limits) - 1, NotPlayed())
    return filters + limits


def wanted(app: App, only: set[str] | None = None) -> AnyOf:
    """One copy filter: what the fetch's settings or any registered player's want."""
    titles = [p.title for p in app.state.podcasts()]
    unsubscribed = app.state.unsubscribed_keys()
    gone: list[CopyFilter] = [NotIn(unsubscribed, "unsubscribed")] if unsubscribed else []
    chains = [(*gone, *fetch_filters(app.config, titles, only))]
    for device in app.state.devices():
        cfg = app.config.for_device(device.name, device.profile)
        chain = copy_filters(cfg, titles, unsubscribed)
        if only is not None:
            chain.insert(0, Without(frozenset(set(titles) - only), "not asked for"))
        chains.append(tuple(chain))
    return AnyOf(tuple(chains))
