"""Sizes as people write them ("4 GB", "500MiB"), space budgets ("10% free"), and counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_FREE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*free\s*$", re.IGNORECASE)


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless it is one: ``"1 episode"``, ``"3 episodes"``."""
    return f"{count} {noun}{'s' * (count != 1)}"


def human_size(n: float) -> str:
    """``n`` bytes for people: ``"3.2 MB"``."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


MAX_SIZE = 10**15
"""The largest size a setting may give: 1 PB."""


def parse_size(text: str) -> int:
    """Bytes in ``text`` such as ``"4 GB"``, ``"512MiB"`` or ``"1000"``."""
    shown = repr(text) if len(text) <= 40 else repr(text[:40] + "…")
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f'{shown} is not a size (try "4 GB" or "500 MiB")')
    size = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if size > MAX_SIZE:  # also infinity, from a number with hundreds of digits
        raise ValueError(f"{shown} is more than 1 PB, the largest size podsync takes")
    return int(size)


@dataclass(frozen=True)
class Budget:
    """How much of a player podsync may fill: at most ``bytes``, or keep ``free`` of it free."""

    bytes: int | None = None
    free: float | None = None

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``""`` (no budget), a size (``"8 GB"``) or a share to keep free (``"10% free"``)."""
        if not text.strip():
            return cls()
        match = _FREE.match(text)
        if match:
            share = float(match.group(1))
            if share >= 100:
                raise ValueError("a share of 100% or more would keep the whole player free")
            return cls(free=share / 100)
        return cls(bytes=parse_size(text))

    def room(self, total: int, free: int, used_by_podsync: int, reserve: int) -> int:
        """Bytes podsync may still write, given the player's space after the deletes."""
        room = free - reserve
        if self.free is not None:
            room = min(room, free - int(total * self.free))
        if self.bytes is not None:
            room = min(room, self.bytes - used_by_podsync)
        return max(room, 0)
