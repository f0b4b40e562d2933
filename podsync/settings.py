"""Every setting podsync has, declared once: its type, default, range and one line of help.

:mod:`podsync.config` loads the user's values against this table; ``podsync config``,
the docs' checks and the web page's settings read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podsync.sizes import Budget, parse_size


@dataclass(frozen=True)
class Setting:
    """One configuration key: its type, default and what it does."""

    type: type
    default: Any
    help: str
    minimum: int | None = None
    maximum: int | None = None
    """Whole numbers are checked against ``minimum`` and ``maximum`` at load."""
    check: Callable[[Any], object] | None = None
    """Raises ValueError with a message when a value of the right type is still wrong."""

    @property
    def range_text(self) -> str:
        """The allowed range, as the docs and messages say it ("1 to 3600"), or ""."""
        if self.minimum is None or self.maximum is None:
            return ""
        return f"{self.minimum} to {self.maximum}"


def _folder(text: str) -> None:
    from podsync.names import check_folder

    check_folder(text)


def _template(text: str) -> None:
    from podsync.names import check_template

    check_template(text)


def _formats(value: list[str]) -> None:
    from podsync.steps.convert import ENCODERS

    for name in value:
        if name not in ENCODERS:
            raise ValueError(f"unknown format {name!r} (use {', '.join(ENCODERS)})")


def _bitrate(text: str) -> None:
    if not re.fullmatch(r"(\d+)k", text) or not 8 <= int(text[:-1]) <= 320:
        raise ValueError(f'bad bitrate {text!r} (from "8k" to "320k")')


def _speed(value: float) -> None:
    if not 0.5 <= value <= 4:
        raise ValueError(f"must be from 0.5 to 4, not {value}")


WEEK = 7 * 86400

DEVICE_SECTIONS = ("push", "filters", "names", "playlists", "tags", "player")
"""Sections a ``[devices.NAME.SECTION]`` table may override for one player."""

PODCAST_SECTION = "podcast"
"""The section a podcast's settings add (``Config.for_podcast``): its ``sync`` and ``fetch``."""


SETTINGS: dict[str, dict[str, Setting]] = {
    "fetch": {
        "refresh_workers": Setting(int, 8, "feeds refreshed in parallel", minimum=1, maximum=64),
        "download_workers": Setting(
            int, 4, "episodes downloaded in parallel", minimum=1, maximum=32
        ),
        "per_host": Setting(
            int, 4, "connections open to one host at a time", minimum=1, maximum=32
        ),
        "connect_timeout": Setting(
            int, 10, "seconds to wait for a server to answer", minimum=1, maximum=600
        ),
        "timeout": Setting(
            int, 30, "seconds to wait when a server stops sending", minimum=1, maximum=3600
        ),
        "max_feed_mb": Setting(
            int, 32, "largest feed read, in MiB; a bigger one fails", minimum=1, maximum=1024
        ),
        "cache_reserve": Setting(
            str, "200 MB", "free space always left on the cache's disk", check=parse_size
        ),
        "keep_played": Setting(
            bool, False, "keep episodes in the cache once played (false: the cache cleans itself)"
        ),
    },
    "push": {
        "copy_workers": Setting(
            int, 1, "files copied to a player in parallel", minimum=1, maximum=16
        ),
        "delete_workers": Setting(
            int, 2, "files deleted from a player in parallel", minimum=1, maximum=16
        ),
        "convert_workers": Setting(
            int, 0, "episodes converted in parallel; 0: one per CPU core", minimum=0, maximum=64
        ),
        "folder": Setting(
            str, "Podcasts", "folder on new players that holds the episodes", check=_folder
        ),
        "reserve": Setting(str, "16 MB", "free space always left on a player", check=parse_size),
    },
    "filters": {
        "keep": Setting(int, 5, "newest episodes kept per podcast", minimum=1, maximum=10000),
        "max_age_days": Setting(
            int, 0, "skip episodes older than this (0: no limit)", minimum=0, maximum=36500
        ),
        "include": Setting(list, [], "only podcasts whose title matches one of these globs"),
        "exclude": Setting(list, [], "never podcasts whose title matches one of these globs"),
        "skip_played": Setting(bool, True, "do not copy episodes already played"),
        "budget": Setting(
            str,
            "",
            'space podsync may fill: "8 GB", or "10% free" to keep '
            "that share of the player free (empty: no limit)",
            check=Budget.parse,
        ),
        "delete_played": Setting(bool, True, "delete episodes once played"),
        "delete_unwanted": Setting(bool, True, "delete episodes the copy filters no longer select"),
        "delete_uncached": Setting(bool, False, "delete episodes that left the local cache"),
    },
    "names": {
        "template": Setting(
            str,
            "{podcast}/{date} {title}.{ext}",
            "file names on the player; fields: podcast, title, date, author, "
            "ext; each / starts a folder",
            check=_template,
        ),
        "max_length": Setting(
            int, 120, "longest file or folder name on the player", minimum=16, maximum=255
        ),
    },
    "playlists": {
        "enabled": Setting(bool, True, "write an m3u8 playlist per podcast and one of all"),
    },
    "watch": {
        "sync_on_start": Setting(
            bool, True, "on start, sync the registered players that are already connected"
        ),
        "mount_timeout": Setting(
            int,
            60,
            "seconds to wait for a plugged-in player to be mounted",
            minimum=1,
            maximum=3600,
        ),
        "udev": Setting(bool, True, "listen for udev events (false: mounts and folders only)"),
        "automount_dirs": Setting(
            list,
            ["/media/$USER", "/run/media/$USER", "/Volumes"],
            "folders where players appear when mounted; watched for new players",
        ),
        "debounce": Setting(
            int,
            10,
            "seconds of quiet in the cache before new episodes are pushed",
            minimum=0,
            maximum=86400,
        ),
        "notify": Setting(bool, True, "show a desktop notification when a sync ends"),
        "fetch_max_age": Setting(
            int,
            3600,
            "seconds: a player plugged in refreshes the feeds first if they are older",
            minimum=0,
            maximum=WEEK,
        ),
        "fetch_timeout": Setting(
            int,
            60,
            "seconds a refresh on plug-in may hold the push back; then what is cached goes",
            minimum=1,
            maximum=3600,
        ),
        "fetch_interval": Setting(
            int,
            21600,
            "seconds between fetches while the watcher runs (0: never)",
            minimum=0,
            maximum=WEEK,
        ),
        "ui_port": Setting(int, 8385, "web page port (0: off)", minimum=0, maximum=65535),
    },
    "player": {
        "formats": Setting(
            list,
            [],
            'formats the player plays, e.g. ["mp3"]; others are converted to the first '
            "(empty: any)",
            check=_formats,
        ),
        "bitrate": Setting(str, "128k", "bitrate of converted files", check=_bitrate),
        "mono": Setting(bool, False, "convert to one channel"),
        "speed": Setting(float, 1.0, "play speed baked into the file, pitch kept", check=_speed),
        "normalize": Setting(bool, False, "even loudness: EBU R128, -16 LUFS, two passes"),
        "artwork": Setting(
            bool, False, "the podcast's image as cover.jpg in its folder and in each file"
        ),
        "ascii_names": Setting(bool, False, "transliterate names to ASCII on the player"),
    },
    "history": {
        "keep": Setting(int, 20000, "events kept for `podsync log`", minimum=100, maximum=10**7),
    },
    "tags": {
        "enabled": Setting(
            bool,
            True,
            "tag copies on the player (album = podcast, title, artist, date, genre Podcast)",
        ),
    },
}


PODCAST_SETTINGS: dict[str, Setting] = {
    "keep": SETTINGS["filters"]["keep"],
    "max_age_days": SETTINGS["filters"]["max_age_days"],
    "sync": Setting(bool, True, "put this podcast on players (false: fetch it, never push it)"),
    "fetch": Setting(bool, True, "refresh this podcast (false: keep what is cached, stop)"),
}
"""Keys of a ``[podcasts."TITLE OR GLOB"]`` table; keep and max_age_days replace [filters]'."""
