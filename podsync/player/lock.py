"""The push lock on the player itself: ``.podsync/lock``.

The lock in podsync's home keeps two pushes from one home apart; two homes
(two users, two computers sharing a player) meet only on the player.  The
lock is a small file made with ``O_EXCL``, naming its holder (host, boot,
process); the holder touches it while the push runs.  A lock is stale, and
taken over, when its process is gone (same host and boot), when it was made
before its host's last boot, or when nobody touched it for
:data:`STALE_AFTER` seconds (a push on another computer that was cut off).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from podsync.errors import DeviceError
from podsync.player.guard import Player, UnsafePath, load_json
from podsync.player.manifest import MARKER_DIR

LOCK = f"{MARKER_DIR}/lock"
STALE_AFTER = 600.0
"""Seconds without a touch after which another computer's lock is stale."""
TOUCH_EVERY = 60.0
MAX_LOCK = 4096


@dataclass(frozen=True)
class Holder:
    host: str
    boot: str
    pid: int

    @classmethod
    def me(cls) -> Holder:
        return cls(socket.gethostname(), _boot_id(), os.getpid())


@contextmanager
def player_lock(player: Player, wait: float = 3.0) -> Iterator[None]:
    """Hold ``.podsync/lock`` on the player; wait up to ``wait`` seconds, then report it busy."""
    me = Holder.me()
    data = json.dumps({"host": me.host, "boot": me.boot, "pid": me.pid}).encode()
    deadline = time.monotonic() + wait
    while True:
        try:
            player.write_new(LOCK, data, sync=False)  # a lock lost in a crash is no loss
            break
        except FileExistsError:
            holder = _stale_or_holder(player)
            if holder is None:
                continue  # a stale lock was removed: try again
            if time.monotonic() >= deadline:
                raise DeviceError(
                    # the caller names the device: "podsync: error: clip: busy: ..."
                    f"busy: another push is running (from {holder}; "
                    f"if none is, remove {LOCK} on the player)"
                ) from None
            time.sleep(0.1)
    stop = threading.Event()
    toucher = threading.Thread(target=_touch, args=(player, stop), name="player-lock")
    toucher.start()
    try:
        yield
    finally:
        stop.set()
        toucher.join()
        with suppress(OSError, DeviceError):
            if player.read(LOCK, MAX_LOCK) == data:  # still ours: release it
                player.remove(LOCK)


def _stale_or_holder(player: Player) -> str | None:
    """Remove the lock if it is stale (None); else say who holds it."""
    try:
        info = os.lstat(player.path(LOCK))
        raw = player.read(LOCK, MAX_LOCK)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnsafePath) as exc:
        raise DeviceError(f"cannot use the player's lock {LOCK}: {exc}") from None
    try:
        fields = load_json(raw or b"")
        holder = Holder(str(fields["host"]), str(fields["boot"]), int(fields["pid"]))
    except (ValueError, KeyError, TypeError):
        holder = None  # torn by an unplug while it was being written
    if _stale(holder, time.time() - info.st_mtime):
        player.remove(LOCK)
        return None
    return f"{holder.host}, process {holder.pid}" if holder else "an unreadable lock"


def _stale(holder: Holder | None, age: float) -> bool:
    me = Holder.me()
    if holder is not None and holder.host == me.host:
        if holder.boot != me.boot:
            return True
        return not _alive(holder.pid)
    return age > STALE_AFTER or age < -STALE_AFTER


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _touch(player: Player, stop: threading.Event) -> None:
    """Keep the lock fresh while the push runs, so other computers do not take it."""
    while not stop.wait(TOUCH_EVERY):
        with suppress(OSError, DeviceError):
            player.check()
            os.utime(player.path(LOCK), follow_symlinks=False)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
