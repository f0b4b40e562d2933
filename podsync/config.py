"""The effective settings: the defaults (:mod:`podsync.settings`) merged with the user's TOML file.

The loader rejects unknown keys and wrong types with the file and line, so a
typo never passes silently.  A player's and a podcast's settings derive from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.errors import ConfigError
from podsync.settings import (
    DEVICE_SECTIONS,
    PODCAST_SECTION,
    PODCAST_SETTINGS,
    SETTINGS,
    Setting,
)


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
