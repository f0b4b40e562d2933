"""``podsync config``: the settings in effect as TOML, and editing the file safely."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podsync.config import Config
from podsync.errors import ConfigError
from podsync.fileio import write_atomically
from podsync.settings import SETTINGS, Setting


def toml_value(value: Any) -> str:
    """``value`` as TOML (the types settings have: bool, int, str, list of str)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _help(setting: Setting) -> str:
    """What a setting does, with its allowed range where it has one."""
    return f"{setting.help} ({setting.range_text})" if setting.range_text else setting.help


def show(config: Config) -> str:
    """The effective settings: each with what it does, and its default when the file changed it."""
    where = config.path
    state = "" if where and where.exists() else " (not created yet: all defaults)"
    lines = [f"# config file: {where}{state}", ""]
    for section, settings in SETTINGS.items():
        lines.append(f"[{section}]")
        for key, setting in settings.items():
            value = config.get(section, key)
            note = "" if value == setting.default else f"  # default: {toml_value(setting.default)}"
            lines += [f"# {_help(setting)}", f"{key} = {toml_value(value)}{note}"]
        lines.append("")
    for device, sections in config.devices.items():
        for section, values in sections.items():
            lines.append(f"[devices.{device}.{section}]")
            lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
            lines.append("")
    for pattern, values in config.podcasts:
        lines.append(f"[podcasts.{toml_value(pattern)}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


def template() -> str:
    """A new config file: every setting, commented out at its default."""
    lines = [
        "# podsync settings. Uncomment a line to change it; `podsync config` shows what is in",
        "# effect. Per-player overrides go in [devices.NAME.SECTION] tables, for example:",
        "#   [devices.clip.filters]",
        "#   keep = 3",
        '# and per-podcast ones (keep, max_age_days, sync, fetch) in [podcasts."TITLE OR GLOB"]:',
        '#   [podcasts."The Daily*"]',
        "#   keep = 1",
        "",
    ]
    for section, settings in SETTINGS.items():
        lines.append(f"[{section}]")
        for key, setting in settings.items():
            lines += [f"# {_help(setting)}", f"# {key} = {toml_value(setting.default)}"]
        lines.append("")
    return "\n".join(lines)


def editor() -> list[str]:
    for name in ("VISUAL", "EDITOR"):
        if os.environ.get(name):
            return shlex.split(os.environ[name])
    for fallback in ("editor", "nano", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise ConfigError("no editor found: set $EDITOR")


def edit(path: Path, ask: Callable[[str], str] = input) -> bool:
    """Let the user edit ``path`` in their editor (creating it from the template), safely.

    The editor works on a copy; the file is replaced only by a copy that loads.
    After a broken edit the error is shown and ``ask`` whether to edit again
    (like ``visudo``); declining keeps the old file and leaves the broken edit
    beside it.  Returns whether the file was saved.
    """
    draft = path.with_name(path.name + ".edit")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_bytes() if path.exists() else template().encode()
    write_atomically(draft, text)
    while True:
        argv = [*editor(), str(draft)]
        try:
            done = subprocess.run(argv, check=False)
        except OSError as exc:
            draft.unlink()
            raise ConfigError(f"cannot run the editor {argv[0]!r}: {exc.strerror}") from None
        try:
            if done.returncode != 0:
                raise ConfigError(f"the editor {argv[0]!r} exited with status {done.returncode}")
            Config.load(draft)
        except ConfigError as exc:
            print(f"podsync: error: {exc}", file=sys.stderr)
            try:
                again = ask("Edit again? [Y/n] ").strip().lower() in ("", "y", "yes")
            except EOFError:
                again = False
            if again:
                continue
            raise ConfigError(f"{path} was not changed; your edit is kept in {draft}") from None
        if draft.read_bytes() == text and path.exists():
            draft.unlink()
            return False
        write_atomically(path, draft.read_bytes())
        draft.unlink()
        return True
