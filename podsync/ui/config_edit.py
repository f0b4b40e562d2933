"""Changing one setting in the config file, checked exactly as the file is checked on load.

The page sends a setting's new value as text (or a bool); :func:`parse_value`
turns it into the setting's type, :func:`set_in_text` writes it into the TOML
text (the user's comments and other lines stay as they are), and
:func:`update` saves the result only when :meth:`Config.load` accepts it, so a
bad value gives the same message as a bad line in the file and the file is
never left broken.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from podsync.cli.config_command import toml_value
from podsync.config import Config
from podsync.errors import ConfigError, UsageError
from podsync.fileio import write_atomically
from podsync.settings import DEVICE_SECTIONS, PODCAST_SETTINGS, SETTINGS

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def table_name(section: str, device: str | None = None, podcast: str | None = None) -> str:
    """The TOML table of ``section``, of a player's override of it, or of one podcast."""
    if podcast is not None:
        return f"podcasts.{toml_value(podcast)}"
    if device is None:
        return section
    quoted = device if _BARE.match(device) else toml_value(device)
    return f"devices.{quoted}.{section}"


def _normal(header: str) -> str:
    """A table header as compared: no spaces, no quotes (as the config's own line finder)."""
    return header.replace(" ", "").replace('"', "").replace("'", "")


def parse_value(
    section: str, key: str, raw: object, device: str | None = None, podcast: str | None = None
) -> Any:
    """``raw`` from the page as the setting's type; UsageError for an unknown setting."""
    if podcast is not None:
        setting = PODCAST_SETTINGS.get(key)
        where, name = f'podcasts."{podcast}".', f'podcasts."{podcast}".{key}'
    else:
        allowed = DEVICE_SECTIONS if device is not None else SETTINGS
        setting = SETTINGS.get(section, {}).get(key) if section in allowed else None
        where, name = (f"devices.{device}." if device is not None else ""), f"{section}.{key}"
    if setting is None:
        raise UsageError(f"unknown setting {where}{key if podcast is not None else name}")
    if setting.type is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{name} must be true or false")
        return raw
    text = str(raw).strip()
    if setting.type is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if setting.type is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {text!r}") from None
    if setting.type is list:
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    return str(raw)


def set_in_text(text: str, table: str, key: str, value: Any) -> str:
    """``text`` with ``key = value`` in ``[table]``: the old line replaced, or one added."""
    lines = text.splitlines()
    line = f"{key} = {toml_value(value)}"
    current, start, end = None, None, len(lines)
    for number, content in enumerate(lines):
        header = _HEADER.match(content)
        if header:
            if current == _normal(table):
                end = number
                break
            current = _normal(header.group(1))
            if current == _normal(table):
                start = number
    if start is None:
        tail = [""] if lines and lines[-1].strip() else []
        return "\n".join([*lines, *tail, f"[{table}]", line]) + "\n"
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number in range(start + 1, end):
        if pattern.match(lines[number]):
            last = number
            if lines[number].split("=", 1)[1].strip().startswith("["):
                while "]" not in lines[last].split("#", 1)[0] and last + 1 < end:
                    last += 1  # an array over several lines
            lines[number : last + 1] = [line]
            return "\n".join(lines) + "\n"
    insert = end
    while insert > start + 1 and not lines[insert - 1].strip():
        insert -= 1
    lines.insert(insert, line)
    return "\n".join(lines) + "\n"


def update(
    path: Path,
    section: str,
    key: str,
    raw: object,
    device: str | None = None,
    podcast: str | None = None,
) -> Any:
    """Set one setting (for one player with ``device``, one podcast with ``podcast``, by its
    exact title) in the file at ``path``.

    Returns the value saved; raises ConfigError, with the file and line, when the
    result would not load, and then leaves the file as it was.
    """
    value = parse_value(section, key, raw, device, podcast)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    new = set_in_text(text, table_name(section, device, podcast), key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.check")
    try:
        write_atomically(draft, new.encode())
        Config.load(draft)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(draft), str(path))) from None
    finally:
        draft.unlink(missing_ok=True)
    write_atomically(path, new.encode())
    return value
