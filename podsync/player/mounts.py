"""The mount table, read from ``/proc/self/mountinfo``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class Mount:
    point: Path
    source: str
    fstype: str


def _unescape(field: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """Parse mountinfo lines (``id parent maj:min root point opts ... - type source super``)."""
    mounts = []
    for line in text.splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        mounts.append(Mount(Path(_unescape(fields[4])), _unescape(tail[1]), tail[0]))
    return mounts


def current_mounts(path: Path = MOUNTINFO) -> list[Mount]:
    try:
        return parse_mountinfo(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []


def mount_of(path: Path, mounts: list[Mount] | None = None) -> Mount | None:
    """The mount that holds ``path``: the one with the longest mount point above it."""
    target = path.resolve()
    best = None
    for mount in current_mounts() if mounts is None else mounts:
        if (target == mount.point or mount.point in target.parents) and (
            best is None or len(mount.point.parts) >= len(best.point.parts)
        ):
            best = mount
    return best


class MountTable:
    """The mount table as it changes: :meth:`fileno` turns readable-with-priority on each change.

    The kernel flags ``/proc/self/mountinfo`` with POLLPRI whenever a file system
    is mounted or unmounted, so a watcher can sleep in ``poll()`` instead of re-reading.
    """

    def __init__(self, path: Path = MOUNTINFO) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - kept open for poll(), closed by close()
        self.mounts: list[Mount] = []
        self.refresh()

    def fileno(self) -> int:
        return self._file.fileno()

    def refresh(self) -> tuple[list[Mount], list[Mount]]:
        """Re-read the table; return the mounts that appeared and those that went."""
        self._file.seek(0)
        now = parse_mountinfo(self._file.read().decode("utf-8", errors="replace"))
        before = set(self.mounts)
        added = [m for m in now if m not in before]
        gone = [m for m in self.mounts if m not in set(now)]
        self.mounts = now
        return added, gone

    def close(self) -> None:
        self._file.close()
