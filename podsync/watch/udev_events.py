"""Block-device events from udev, read without blocking so a poll loop can wait on them.

pyudev is imported here only; where udev is missing (containers, other
systems) :func:`open_udev` says why and the watcher goes on with the mount
table and the automount folders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UEvent:
    """One udev event: ``add``, ``change`` or ``remove``, and the device's properties."""

    action: str
    properties: Mapping[str, str]

    @property
    def devname(self) -> str:
        return self.properties.get("DEVNAME", "") or "?"


class UdevEvents:
    """A udev monitor for block devices."""

    def __init__(self, monitor: Any) -> None:
        self._monitor = monitor

    def fileno(self) -> int:
        return int(self._monitor.fileno())

    def read(self) -> list[UEvent]:
        """The events waiting now (never blocks)."""
        events = []
        while (device := self._monitor.poll(timeout=0)) is not None:
            events.append(UEvent(device.action or "change", dict(device.properties)))
        return events


def open_udev() -> tuple[UdevEvents | None, str]:
    """A started monitor, or None and the reason udev cannot be used here."""
    try:
        import pyudev

        monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        monitor.filter_by("block")
        monitor.start()
    except ImportError:
        return None, "pyudev is not installed"
    except Exception as exc:  # libudev missing, netlink refused (containers)
        return None, f"udev is not available ({exc})"
    return UdevEvents(monitor), ""
