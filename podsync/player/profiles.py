"""Player profiles: named sets of defaults for common kinds of players.

A profile is chosen when a player is registered (``podsync device add
--profile NAME``) and kept with it in the state database.  It only sets
defaults: a setting in the config file, global or ``[devices.NAME.*]``,
always wins (see :meth:`podsync.config.Config.for_device`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podsync.errors import UsageError

PROFILES: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {
    "rockbox": (
        "any format, cover art, m3u8 playlists",
        {"player": {"formats": [], "artwork": True}, "playlists": {"enabled": True}},
    ),
    "mp3-player": (
        "MP3 only (others converted at 128k), ASCII names",
        {"player": {"formats": ["mp3"], "bitrate": "128k", "ascii_names": True}},
    ),
    "phone": (
        "any format, no conversion",
        {"player": {"formats": [], "speed": 1.0, "normalize": False, "mono": False}},
    ),
}
"""Profile name → (what it is for, section → key → value)."""


def check_profile(name: str | None) -> str | None:
    """``name`` if it is a known profile (or None); else a UsageError naming the choices."""
    if name is not None and name not in PROFILES:
        raise UsageError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")
    return name


def profile_settings(name: str | None) -> Mapping[str, Mapping[str, Any]]:
    """The settings profile ``name`` sets (none for no profile or an unknown one)."""
    if name is None or name not in PROFILES:
        return {}
    return PROFILES[name][1]
