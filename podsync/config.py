"""Settings: documented defaults, merged with the user's TOML file.

Every setting is declared once in :data:`SETTINGS` with its type, default and a
one-line description; the loader rejects unknown keys and wrong types with the
file and line, so a typo never passes silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podsync.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One configuration key: its type, default and what it does."""

    type: type
    default: Any
    help: str
    minimum: int | None = None


SETTINGS: dict[str, dict[str, Setting]] = {
    "fetch": {
        "refresh_workers": Setting(int, 8, "feeds refreshed in parallel", minimum=1),
        "download_workers": Setting(int, 4, "episodes downloaded in parallel", minimum=1),
        "timeout": Setting(int, 30, "seconds to wait when connecting or reading", minimum=1),
    },
    "push": {
        "copy_workers": Setting(int, 1, "files copied to a player in parallel", minimum=1),
        "delete_workers": Setting(int, 2, "files deleted from a player in parallel", minimum=1),
        "folder": Setting(str, "Podcasts", "folder on the player that holds the episodes"),
    },
    "filters": {
        "keep": Setting(int, 5, "newest episodes kept per podcast", minimum=1),
    },
}


@dataclass(frozen=True)
class Config:
    """The effective settings: defaults overlaid with the config file."""

    values: Mapping[str, Mapping[str, Any]]
    path: Path | None = None

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    @classmethod
    def defaults(cls) -> Config:
        return cls({s: {k: v.default for k, v in keys.items()} for s, keys in SETTINGS.items()})

    @classmethod
    def load(cls, path: Path) -> Config:
        """Read ``path`` (a missing file means all defaults)."""
        import tomllib

        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(cls.defaults().values, path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return cls(_merge(data, text, path), path)


def _merge(data: Mapping[str, Any], text: str, path: Path) -> dict[str, dict[str, Any]]:
    values = {s: dict(v) for s, v in Config.defaults().values.items()}
    for section, table in data.items():
        if section not in SETTINGS:
            raise ConfigError(_where(path, text, section, f"unknown section [{section}]"))
        if not isinstance(table, dict):
            raise ConfigError(_where(path, text, section, f"{section} must be a [table]"))
        for key, value in table.items():
            setting = SETTINGS[section].get(key)
            if setting is None:
                raise ConfigError(_where(path, text, key, f"unknown setting {section}.{key}"))
            values[section][key] = _check(setting, section, key, value, path, text)
    return values


def _check(setting: Setting, section: str, key: str, value: Any, path: Path, text: str) -> Any:
    name = f"{section}.{key}"
    if setting.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(_where(path, text, key, f"{name} must be a whole number, not {value!r}"))
    if not isinstance(value, setting.type):
        kind = setting.type.__name__
        raise ConfigError(_where(path, text, key, f"{name} must be a {kind}, not {value!r}"))
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(_where(path, text, key, f"{name} must be at least {setting.minimum}"))
    return value


def _where(path: Path, text: str, key: str, message: str) -> str:
    """Prefix ``message`` with the file and the first line that mentions ``key``."""
    pattern = re.compile(rf"^\s*\[?\s*[\"']?{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return f"{path}, line {number}: {message}"
    return f"{path}: {message}"
