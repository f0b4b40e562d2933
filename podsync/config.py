"""Settings: documented defaults, merged with the user's TOML file.

Every setting is declared once in :data:`SETTINGS` with its type, default and a
one-line description; the loader rejects unknown keys and wrong types with the
file and line, so a typo never passes silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.errors import ConfigError
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
"""The section :meth:`Config.for_podcast` adds: ``sync`` and ``fetch`` of one podcast."""


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


@dataclass(frozen=True)
class Config:
    """The effective settings: defaults overlaid with the config file."""

    values: Mapping[str, Mapping[str, Any]]
    path: Path | None = None
    devices: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    """Per-player overrides: device name → section → key → value."""
    given: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """The keys of each section the config file sets (a profile does not change those)."""
    podcasts: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    """Per-podcast settings, in file order: (title or glob, key → value)."""

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    def for_device(self, name: str, profile: str | None = None) -> Config:
        """The settings for one player: the defaults, then its profile's (see
        :mod:`podsync.player.profiles`), then the file's, then its ``[devices.NAME.*]``."""
        from podsync.player.profiles import profile_settings

        overrides = self.devices.get(name, {})
        preset = profile_settings(profile)
        values = {
            s: {
                **keys,
                **{k: v for k, v in preset.get(s, {}).items() if k not in self.given.get(s, ())},
                **overrides.get(s, {}),
            }
            for s, keys in self.values.items()
        }
        return Config(values, self.path, podcasts=self.podcasts)

    def for_podcast(self, title: str) -> Config:
        """The settings for one podcast: its ``[podcasts."…"]`` tables (any case; a later
        match wins) over these; ``get("podcast", "sync" | "fetch")`` answer for it."""
        values = {s: dict(keys) for s, keys in self.values.items()}
        values[PODCAST_SECTION] = {k: s.default for k, s in PODCAST_SETTINGS.items()}
        for pattern, table in self.podcasts:
            if podcast_matches(pattern, title):
                for key, value in table.items():
                    values["filters" if key in SETTINGS["filters"] else PODCAST_SECTION][key] = (
                        value
                    )
        return Config(values, self.path)

    def unmatched_podcast_patterns(self, titles: list[str]) -> list[str]:
        """The ``[podcasts."…"]`` patterns that match none of ``titles``."""
        return [p for p, _ in self.podcasts if not any(podcast_matches(p, t) for t in titles)]

    @classmethod
    def defaults(cls) -> Config:
        return cls({s: {k: v.default for k, v in keys.items()} for s, keys in SETTINGS.items()})

    @classmethod
    def load(cls, path: Path) -> Config:
        """Read ``path`` (a missing file means all defaults)."""
        import tomllib

        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(cls.defaults().values, path)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ConfigError(f"{path}, line {line}: not UTF-8 text ({exc.reason})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        devices = data.pop("devices", {})
        if not isinstance(devices, dict):
            raise ConfigError(_where(path, text, "devices", "devices must be a [table]"))
        podcasts = _podcasts(data.pop("podcasts", {}), path, text)
        values = {s: dict(v) for s, v in Config.defaults().values.items()}
        _merge(values, data, SETTINGS, text, path, "")
        given = {s: frozenset(t) for s, t in data.items() if isinstance(t, dict)}
        overrides: dict[str, dict[str, dict[str, Any]]] = {}
        for name, sections in devices.items():
            if not isinstance(sections, dict):
                raise ConfigError(
                    _where(path, text, f"devices.{name}", f"devices.{name} must be a [table]")
                )
            allowed = {s: SETTINGS[s] for s in DEVICE_SECTIONS}
            overrides[name] = {}
            _merge(overrides[name], sections, allowed, text, path, f"devices.{name}.")
            if "folder" in overrides[name].get("push", {}):
                key = f"devices.{name}.push.folder"
                raise ConfigError(
                    _where(
                        path,
                        text,
                        key,
                        f"{key}: a player's folder is chosen when it is registered "
                        "(podsync device add --folder)",
                    )
                )
        return cls(values, path, overrides, given, podcasts)


def podcast_matches(pattern: str, title: str) -> bool:
    """Whether a podcast ``title`` is ``pattern`` (a title or a glob), in any case."""
    import fnmatch

    return fnmatch.fnmatchcase(title.casefold(), pattern.casefold())


def _podcasts(tables: Any, path: Path, text: str) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """Check the ``[podcasts."…"]`` tables."""
    if not isinstance(tables, dict):
        raise ConfigError(_where(path, text, "podcasts", "podcasts must be a [table]"))
    checked = []
    for pattern, table in tables.items():
        where = f"podcasts.{pattern}"
        if not isinstance(table, dict):
            raise ConfigError(_where(path, text, where, f'podcasts."{pattern}" must be a [table]'))
        values = {}
        for key, value in table.items():
            setting = PODCAST_SETTINGS.get(key)
            if setting is None:
                raise ConfigError(
                    _where(
                        path, text, f"{where}.{key}", f'unknown setting podcasts."{pattern}".{key}'
                    )
                )
            name = f'podcasts."{pattern}".{key}'
            values[key] = _check(setting, name, value, path, text)
        checked.append((pattern, values))
    return tuple(checked)


def _merge(
    values: dict[str, dict[str, Any]],
    data: Mapping[str, Any],
    allowed: Mapping[str, Mapping[str, Setting]],
    text: str,
    path: Path,
    prefix: str,
) -> None:
    """Check ``data`` against ``allowed`` and write its values into ``values``."""
    for section, table in data.items():
        if section not in allowed:
            raise ConfigError(
                _where(path, text, f"{prefix}{section}", f"unknown section [{prefix}{section}]")
            )
        if not isinstance(table, dict):
            raise ConfigError(
                _where(path, text, f"{prefix}{section}", f"{prefix}{section} must be a [table]")
            )
        for key, value in table.items():
            setting = allowed[section].get(key)
            if setting is None:
                raise ConfigError(
                    _where(
                        path,
                        text,
                        f"{prefix}{section}.{key}",
                        f"unknown setting {prefix}{section}.{key}",
                    )
                )
            name = f"{prefix}{section}.{key}"
            values.setdefault(section, {})[key] = _check(setting, name, value, path, text)


def _check(setting: Setting, name: str, value: Any, path: Path, text: str) -> Any:
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if setting.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(_where(path, text, name, f"{name} must be a whole number, not {value!r}"))
    if not isinstance(value, setting.type):
        kind = setting.type.__name__
        raise ConfigError(_where(path, text, name, f"{name} must be a {kind}, not {value!r}"))
    low, high = setting.minimum, setting.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        allowed = f"at least {low}" + (f" and at most {high}" if high is not None else "")
        shown = value if len(str(value)) <= 20 else f"{str(value)[:20]}…"
        raise ConfigError(_where(path, text, name, f"{name} must be {allowed}, not {shown}"))
    if setting.type is list and not all(isinstance(v, str) for v in value):
        raise ConfigError(_where(path, text, name, f"{name} must be a list of strings"))
    if setting.check is not None:
        try:
            setting.check(value)
        except ValueError as exc:
            raise ConfigError(_where(path, text, name, f"{name}: {exc}")) from None
    return value


_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"^\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*=")


def _where(path: Path, text: str, dotted: str, message: str) -> str:
    """Prefix ``message`` with the file and the line that defines ``dotted`` (a table or key)."""
    table = ""
    dotted = dotted.replace(" ", "").replace('"', "")
    for number, line in enumerate(text.splitlines(), start=1):
        header, key = _HEADER.match(line), _KEY.match(line)
        if header:
            table = header.group(1).replace(" ", "").replace('"', "")
            found = table == dotted
        else:
            found = key is not None and ".".join(filter(None, [table, key.group(1)])) == dotted
        if found:
            return f"{path}, line {number}: {message}"
    return f"{path}: {message}"
