"""Group commit on a real FAT image: a failure inside a batch, and a crash between its
data sync and its renames."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import podsync.stores.batch as batch
from conftest import media_files
from podsync.model import MediaItem
from podsync.player.manifest import Manifest
from podsync.stores.base import MediaStore, Transfer
from podsync.stores.device import DeviceStore

from .support import BODY, assert_player_consistent, device_parts, setup_big_podcast

PAYLOAD = b"\xff\xfb" + bytes(200_000)


class Source(MediaStore):
    """A real local folder of episodes; reading ``broken`` fails half-way with EIO."""

    def __init__(self, folder: Path, broken: str) -> None:
        self.folder = folder
        self.broken = broken

    def list(self) -> list[MediaItem]:
        return [self.item(p.stem) for p in sorted(self.folder.iterdir())]

    def item(self, key: str) -> MediaItem:
        return MediaItem(key, "Pod", f"Episode {key}", 1.6e9, f"{key}.mp3", len(PAYLOAD), "mp3")

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        with open(dest, "wb") as out:
            out.write(PAYLOAD[: len(PAYLOAD) // 2])
            if item.key == self.broken:
                out.flush()
                raise OSError(errno.EIO, "Input/output error", str(self.folder / item.location))
            out.write(PAYLOAD[len(PAYLOAD) // 2 :])


def test_a_copy_that_fails_inside_a_batch_fails_alone(fat_player, tmp_path: Path) -> None:
    player = fat_player(8)
    cache = tmp_path / "cache"
    cache.mkdir()
    for key in ("k1", "k2", "k3", "k4"):
        (cache / f"{key}.mp3").write_bytes(PAYLOAD)
    source = Source(cache, broken="k3")
    store = DeviceStore(player, "Podcasts", Manifest.load(player))
    outcomes = {}
    for item in source.list():
        try:
            outcomes[item.key] = store.add(item, source, Transfer()).location
        except OSError as exc:
            outcomes[item.key] = exc.errno
    assert media_files(player) == []  # one batch: nothing has its final name yet
    assert store.settle() == {}
    store.commit()

    assert outcomes["k3"] == errno.EIO
    assert sorted(media_files(player)) == sorted(outcomes[k] for k in ("k1", "k2", "k4"))
    assert device_parts(player) == []
    assert_player_consistent(player, PAYLOAD)
    assert {e.key for e in Manifest.load(player).files.values()} == {"k1", "k2", "k4"}


def test_a_copy_lost_before_its_batch_commits_fails_alone(fat_player, tmp_path: Path) -> None:
    player = fat_player(8)
    cache = tmp_path / "cache"
    cache.mkdir()
    for key in ("k1", "k2", "k3"):
        (cache / f"{key}.mp3").write_bytes(PAYLOAD)
    source = Source(cache, broken="none")
    store = DeviceStore(player, "Podcasts", Manifest.load(player))
    for item in source.list():
        store.add(item, source, Transfer())
    lost = next(p for p in device_parts(player) if "k2" in p.name)
    lost.unlink()  # gone from the player before the batch's sync (a stray cleaner)

    failed = store.settle()
    store.commit()
    assert set(failed) == {"k2"} and failed["k2"].errno == errno.ENOENT
    assert {e.key for e in Manifest.load(player).files.values()} == {"k1", "k3"}
    assert_player_consistent(player, PAYLOAD)


KILL_AFTER_FIRST_RENAME = """
import os, signal, sys
import podsync.stores.device as device
from podsync.cli import main

renamed = []
real = device.DeviceStore._rename

def rename_then_die(self, written):
    if renamed:  # the data are synced and recorded, one rename is done: power cut
        os.kill(os.getpid(), signal.SIGKILL)
    renamed.append(real(self, written))
    return renamed[-1]

device.DeviceStore._rename = rename_then_die
sys.exit(main(["push"]))
"""


def test_kill_between_the_batch_sync_and_its_renames(
    podsync, make_podcast, fat_player, home: Path
) -> None:
    player = fat_player(48)
    setup_big_podcast(podsync, make_podcast, player)

    crashed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_RENAME],
        env={**os.environ, "PODSYNC_HOME": str(home)},
        capture_output=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL
    fat_player.unmount(player)
    fat_player.mount(player)

    assert len(media_files(player)) == 1  # renamed before the cut: whole, and recorded
    assert len(device_parts(player)) == 4  # synced, recorded, never renamed
    assert_player_consistent(player, BODY)
    assert len(Manifest.load(player).files) == 1  # the journal claims only the renamed

    out = podsync("push").stdout
    assert "failed 0" in out
    assert len(media_files(player)) == 5
    assert device_parts(player) == []
    assert_player_consistent(player, BODY)


@pytest.mark.parametrize("bound", ["BATCH_FILES", "BATCH_BYTES", "BATCH_SECONDS"])
def test_a_batch_commits_at_each_of_its_bounds(
    bound: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unplug loses at most the batch in flight: a batch closes at its size, count or age."""
    small = {"BATCH_FILES": 2, "BATCH_BYTES": 1, "BATCH_SECONDS": 0}
    monkeypatch.setattr(batch, bound, small[bound])
    player, cache = tmp_path / "player", tmp_path / "cache"
    player.mkdir()
    cache.mkdir()
    for key in ("k1", "k2", "k3"):
        (cache / f"{key}.mp3").write_bytes(PAYLOAD)
    source = Source(cache, broken="none")
    store = DeviceStore(player, "Podcasts", Manifest.load(player))
    named = []
    for item in source.list():
        store.add(item, source, Transfer())
        named.append(len(media_files(player)))
    assert named == ([0, 2, 2] if bound == "BATCH_FILES" else [1, 2, 3])
    store.settle()
    assert len(media_files(player)) == 3
