"""What udev knows about the drive behind a mount: its file system's UUID and label, its serial.

pyudev is imported only here, and only when a mount's source is a device node;
without udev (containers, other systems) the identity is simply unknown and
players are recognised by their ``.podsync/`` marker alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podsync.model import Identity


@dataclass(frozen=True)
class DriveInfo:
    identity: Identity
    fs_type: str | None = None
    devname: str | None = None
    removable: bool = False
    """On a USB or memory-card drive (where players and their cards are)."""


def drive_info(source: str) -> DriveInfo:
    """udev's properties for the block device ``source`` (such as ``/dev/sdb1``)."""
    if not source.startswith("/dev/"):
        return DriveInfo(Identity())
    try:
        import pyudev

        context = pyudev.Context()
        for device in context.list_devices(subsystem="block"):
            if device.properties.get("DEVNAME") == source or device.device_node == source:
                return from_properties(device.properties)
    except Exception:  # no udev here is a normal case, not an error
        pass
    return DriveInfo(Identity())


def from_properties(props: Mapping[str, str]) -> DriveInfo:
    """Pick the identity out of a udev property mapping."""
    get = props.get
    return DriveInfo(
        Identity(get("ID_FS_UUID") or None, get("ID_FS_LABEL") or None, get("ID_SERIAL") or None),
        get("ID_FS_TYPE") or None,
        get("DEVNAME") or None,
        get("ID_BUS") in ("usb", "mmc")
        or any(get(key) == "1" for key in ("ID_DRIVE_FLASH_SD", "ID_DRIVE_MEDIA_FLASH_SD")),
    )


def matches(known: Identity, seen: Identity) -> bool:
    """Whether ``seen`` is the file system (or, lacking UUIDs, the drive) ``known`` names."""
    if known.fs_uuid and seen.fs_uuid:
        return known.fs_uuid == seen.fs_uuid
    return bool(known.serial and known.serial == seen.serial)
