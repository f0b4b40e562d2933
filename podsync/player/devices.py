"""Registered players: the marker on the device, finding where it is mounted, the push lock.

Each registered player carries ``.podsync/device.json`` with its id, and
the state database keeps the udev identity of its drive when it has one.  A
player is found at the path it was last seen at, at any mount point whose
marker holds its id, or at a mount whose drive has its identity; so it may be
mounted anywhere, and plain folders or phones mounted through gvfs work too.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from podsync.errors import DeviceError, UsageError
from podsync.history import rename_in_history
from podsync.model import Device
from podsync.names import check_folder
from podsync.player.guard import Player, load_json, read_regular
from podsync.player.manifest import MARKER_DIR
from podsync.player.mounts import Mount, current_mounts, mount_of
from podsync.player.udev_identity import drive_info, matches
from podsync.state import State

MARKER = "device.json"
MAX_MARKER = 64 * 1024


def read_marker(root: Path) -> str | None:
    """The device id written on the player at ``root``, if any.

    Any drive's marker is read (every mount is looked at): never through a
    link, never from a FIFO, at most :data:`MAX_MARKER` bytes, bounded depth.
    """
    try:
        data = load_json(read_regular(root, f"{MARKER_DIR}/{MARKER}", MAX_MARKER) or b"")
        return str(data["id"])
    except (OSError, ValueError, KeyError, TypeError, DeviceError):
        return None


def register(
    state: State,
    path: Path,
    name: str,
    folder: str,
    profile: str | None = None,
    *,
    force: bool = False,
) -> tuple[Device, str | None]:
    """Register the player at ``path`` as ``name``: write its marker, note its udev identity.

    The root folder and the home folder are refused unless ``force``.  Returns
    the device and a warning when ``path`` is not where a removable drive is
    mounted (a player that is not plugged in yet, say).
    """
    check_name(name)
    try:
        check_folder(folder)
    except ValueError as exc:
        raise UsageError(f"--folder {exc}") from None
    folder = folder.rstrip("/")
    if state.device(name) is not None:
        raise UsageError(f"a device named {name!r} is already registered")
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder (is the player mounted?)")
    root = path.resolve()
    if not force and root in (Path("/"), Path.home().resolve()):
        what = "the root folder" if root == Path("/") else "your home folder"
        raise UsageError(
            f"{root} is {what}, not a player; give the player's mount point "
            "(or add --force if you really mean it)"
        )
    device_id = read_marker(root)
    for known in state.devices():
        if known.id == device_id:
            raise UsageError(f"{root} is already registered as {known.name!r}")
    import uuid

    device_id = device_id or uuid.uuid4().hex
    marker = {"id": device_id, "name": name, "registered": int(time.time())}
    try:
        Player(root).write_atomically(
            f"{MARKER_DIR}/{MARKER}", json.dumps(marker, indent=1).encode()
        )
    except OSError as exc:
        raise DeviceError(f"cannot write to {root}: {exc.strerror}") from None
    device = state.add_device(device_id, name, str(root), folder, profile)
    mount = mount_of(root)
    removable = False
    if mount is not None and mount.point == root:
        info = drive_info(mount.source)
        removable = info.removable
        if info.identity:
            state.set_identity(device_id, info.identity)
            device = state.device(name) or device
    if removable:
        return device, None
    return device, (
        f"{root} is not the mount point of a removable drive; if the player is not "
        "plugged in, episodes will go to this folder on the computer "
        f"(undo with: podsync device remove {name})"
    )


def check_name(name: str) -> None:
    if not name.strip() or "/" in name or name.startswith("-") or not name.isprintable():
        raise UsageError(f"invalid device name {name!r}")


def rename(state: State, old: str, new: str) -> Device:
    """Call the player ``old`` ``new``; its id, files and history stay as they are."""
    device = state.device(old)
    if device is None:
        raise UsageError(f"no device named {old!r}")
    check_name(new)
    if state.device(new) is not None:
        raise UsageError(f"a device named {new!r} is already registered")
    state.rename_device(device.id, new)
    rename_in_history(state, old, new)
    renamed = state.device(new)
    assert renamed is not None
    return renamed


def unregister(state: State, name: str) -> Device:
    """Forget the player ``name``; what podsync put on it stays, and stays podsync's."""
    device = state.device(name)
    if device is None:
        raise UsageError(f"no device named {name!r}")
    state.remove_device(device.id)
    return device


def locate(device: Device, mounts: list[Mount] | None = None) -> Path | None:
    """Where ``device`` is reachable now, or None when it is not connected.

    Checked in turn: the path it was last seen at (by its marker), any mount
    point carrying its marker, any mount whose drive has its udev identity.
    """
    last = Path(device.path)
    if read_marker(last) == device.id:
        return last
    mounts = current_mounts() if mounts is None else mounts
    for mount in mounts:
        if mount.point != last and read_marker(mount.point) == device.id:
            return mount.point
    if device.identity:
        for mount in mounts:
            if mount.source.startswith("/dev/") and matches(
                device.identity, drive_info(mount.source).identity
            ):
                return mount.point
    return None


def resolve(state: State, target: str | None) -> list[tuple[Device, Path]]:
    """The devices a push is for: one by name or path, or every connected one."""
    if target is None:
        mounts = current_mounts()
        found = [(d, p) for d in state.devices() if (p := locate(d, mounts)) is not None]
        if not state.devices():
            raise UsageError(
                "no device registered; add one with: podsync device add MOUNTPOINT --name NAME"
            )
        if not found:
            raise DeviceError("none of the registered devices is connected")
        return found
    device = state.device(target)
    if device is not None:
        path = locate(device)
        if path is None:
            raise DeviceError(f"device {target!r} is not connected (last seen at {device.path})")
        return [(device, path)]
    candidate = Path(target)
    if candidate.is_dir():
        device_id = read_marker(candidate)
        for device in state.devices():
            if device.id == device_id:
                return [(device, candidate.resolve())]
        raise UsageError(
            f"{target} is not a registered device; register it with: "
            f"podsync device add {target} --name NAME"
        )
    names = ", ".join(d.name for d in state.devices()) or "none"
    raise UsageError(f"no device named {target!r} (registered: {names})")


@contextmanager
def push_lock(locks_dir: Path, device: Device, wait: float = 3.0) -> Iterator[None]:
    """Hold the device's push lock; wait up to ``wait`` seconds, then report it busy."""
    locks_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(locks_dir / f"{device.id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    # the caller names the device: "podsync: error: clip: busy: ..."
                    raise DeviceError("busy: another push to it is running") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
