"""What the page shows, gathered with the status command's functions (:mod:`podsync.cli.status`).

Players come with their space and, when connected, the next push (a dry run of
:func:`podsync.push.push`, as ``podsync status`` does) item by item with its
reason; podcasts with their counts and last refresh; a podcast's episodes with
their state; the settings in effect, each with its type and default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podsync.app import App
from podsync.cli.status import DeviceRow, device_rows
from podsync.config import Config, podcast_matches
from podsync.errors import PodsyncError
from podsync.history import Event, events
from podsync.model import Episode, Podcast, PodcastCounts
from podsync.settings import (
    DEVICE_SECTIONS,
    PODCAST_SECTION,
    PODCAST_SETTINGS,
    SETTINGS,
    Setting,
)
from podsync.sizes import human_size

HISTORY_SHOWN = 100
"""Events of the history the page shows (``podsync log`` shows them all)."""


@dataclass(frozen=True)
class NextPushView:
    """The next push, item by item: what it copies, deletes (and why), and what won't fit."""

    copies: list[tuple[str, int]] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    unfit: list[tuple[str, str]] = field(default_factory=list)
    kept: int = 0
    error: str | None = None

    @property
    def copy_bytes(self) -> int:
        return sum(size for _, size in self.copies)

    @property
    def empty(self) -> bool:
        return not (self.copies or self.deletes or self.unfit)


@dataclass(frozen=True)
class SettingView:
    section: str
    key: str
    kind: str
    """bool, int, str or list: how the page edits it."""
    value: Any
    default: Any
    help: str
    overridden: bool = False
    """For a player: whether its own table sets it."""

    @property
    def text(self) -> str:
        """The value as the page's text field holds it."""
        if isinstance(self.value, list):
            return ", ".join(self.value)
        return str(self.value)


@dataclass(frozen=True)
class PlayerView:
    row: DeviceRow
    busy: str | None
    """What runs on it from the page: "push", "eject" or None."""
    next_push: NextPushView | None
    settings: list[SettingView]

    @property
    def name(self) -> str:
        return self.row.device.name

    def summary(self) -> str:
        """The next push in a sentence: "Copy 3 (5.8 MB), delete 1; 2 stay"."""
        plan = self.next_push
        if plan is None:
            return ""
        parts = [f"copy {len(plan.copies)} ({human_size(plan.copy_bytes)})"] if plan.copies else []
        parts += [f"delete {len(plan.deletes)}"] if plan.deletes else []
        parts += [f"{len(plan.unfit)} won't fit"] if plan.unfit else []
        text = ", ".join(parts)
        return f"{text[:1].upper()}{text[1:]}; {plan.kept} stay."

    def bar(self) -> list[tuple[str, float]]:
        """The space bar: podsync's episodes, other files, free — each as a percentage."""
        space = self.row.space
        if space is None or not space.total:
            return []
        parts = [("podsync", space.podsync), ("other", space.other), ("free", space.free)]
        return [(kind, round(100 * n / space.total, 2)) for kind, n in parts]


@dataclass(frozen=True)
class PodcastView:
    podcast: Podcast
    counts: PodcastCounts
    refreshed_at: float | None
    settings: list[SettingView]
    """Its own settings (``[podcasts."TITLE"]``), with the values in effect."""


@dataclass(frozen=True)
class EpisodeView:
    episode: Episode
    played: bool
    on: list[str]
    """The players that held it at their last sync."""

    @property
    def state(self) -> str:
        parts = ["played" if self.played else "new"]
        parts.append("cached" if self.episode.cache_path else "not downloaded")
        if self.on:
            parts.append("on " + ", ".join(self.on))
        return ", ".join(parts)


def next_push(app: App, row: DeviceRow) -> NextPushView:
    """A dry run of the push to a connected player, as ``podsync push --dry-run`` plans it."""
    from podsync.cli.progress import Progress
    from podsync.push import push

    assert row.path is not None
    try:
        report = push(app, row.device, row.path, Progress("planning", enabled=False), dry_run=True)
    except (PodsyncError, OSError) as exc:
        return NextPushView(error=str(exc))
    plan = report.plan
    return NextPushView(
        [(item.label, item.size or 0) for item in plan.copies],
        [(item.label, reason) for item, reason in plan.deletes],
        [(item.label, reason) for item, reason in plan.unfit],
        plan.kept,
    )


def players(app: App, busy: Mapping[str, str]) -> list[PlayerView]:
    """The registered players, and the next push of each connected one.

    A player ``busy`` (name → "push" or "eject") is not read for its plan: the
    push would show half done, and reading a player that is being ejected keeps
    it mounted.
    """
    views = []
    for row in device_rows(app):
        name = row.device.name
        planned = next_push(app, row) if row.path is not None and name not in busy else None
        views.append(PlayerView(row, busy.get(name), planned, player_settings(app.config, name)))
    return views


def podcasts(app: App) -> list[PodcastView]:
    counts = app.state.podcast_summary()
    times = app.state.refreshed_at()
    return [
        PodcastView(
            p, counts.get(p.id, PodcastCounts()), times.get(p.id), podcast_settings(app.config, p)
        )
        for p in app.state.podcasts()
    ]


def podcast_settings(config: Config, podcast: Podcast) -> list[SettingView]:
    """The settings a podcast may have of its own, in effect for it (its title or a glob)."""
    title = podcast.title or podcast.url
    mine = config.for_podcast(title)
    views = []
    for key, s in PODCAST_SETTINGS.items():
        section = "filters" if key in SETTINGS["filters"] else PODCAST_SECTION
        default = config.get(section, key) if section == "filters" else s.default
        own = any(key in table and podcast_matches(p, title) for p, table in config.podcasts)
        views.append(
            SettingView(
                "podcasts", key, s.type.__name__, mine.get(section, key), default, _help(s), own
            )
        )
    return views


def episodes(app: App, podcast_id: int) -> tuple[Podcast | None, list[EpisodeView]]:
    """A podcast and its episodes, newest first."""
    podcast = next((p for p in app.state.podcasts() if p.id == podcast_id), None)
    if podcast is None:
        return None, []
    played = app.state.played_keys()
    held = app.state.players_of()
    mine = [e for e in app.state.episodes() if e.podcast_id == podcast_id]
    mine.sort(key=lambda e: e.published, reverse=True)
    return podcast, [EpisodeView(e, e.key in played, held.get(e.key, [])) for e in mine]


def settings(config: Config) -> list[SettingView]:
    """Every setting in effect, as ``podsync config`` shows them."""
    return [
        SettingView(section, key, s.type.__name__, config.get(section, key), s.default, _help(s))
        for section, keys in SETTINGS.items()
        for key, s in keys.items()
    ]


def player_settings(config: Config, name: str) -> list[SettingView]:
    """The settings a player may override, with its values in effect."""
    own = config.devices.get(name, {})
    mine = config.for_device(name)
    return [
        SettingView(
            section,
            key,
            s.type.__name__,
            mine.get(section, key),
            config.get(section, key),
            _help(s),
            key in own.get(section, {}),
        )
        for section in DEVICE_SECTIONS
        for key, s in SETTINGS[section].items()
        if (section, key) != ("push", "folder")
    ]


def _help(setting: Setting) -> str:
    return f"{setting.help} ({setting.range_text})" if setting.range_text else setting.help


def history(app: App, limit: int = HISTORY_SHOWN) -> list[Event]:
    """The newest ``limit`` events of the history (``podsync log``), newest first."""
    return events(app.state)[-limit:][::-1]
