"""Players: identity from udev, finding them wherever mounted, removing, ejecting."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from conftest import media_files


def identity_row(home: Path, name: str) -> tuple:
    with sqlite3.connect(home / "state" / "state.db") as db:
        return db.execute(
            "SELECT fs_uuid, fs_label, serial FROM devices WHERE name = ?", (name,)
        ).fetchone()


def test_device_add_records_the_udev_identity_and_finds_it_by_that(
    podsync, make_podcast, fat_player, testbed, home: Path
) -> None:
    name = testbed.partition_name()
    testbed.add_partition(
        name,
        ID_FS_UUID="ABCD-1234",
        ID_FS_LABEL="CLIP",
        ID_FS_TYPE="vfat",
        ID_SERIAL="SanDisk_Clip_Sport_0001",
    )
    player = fat_player(source=f"/dev/{name}")
    env = testbed.env()
    out = podsync("device", "add", str(player), "--name", "clip", env=env).stdout
    assert "Registered clip" in out
    assert identity_row(home, "clip") == ("ABCD-1234", "CLIP", "SanDisk_Clip_Sport_0001")

    # Wiped marker: the player is still recognised by its file system's UUID.
    (player / ".podsync" / "device.json").unlink()
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    assert str(player) in podsync("device", "list", env=env).stdout
    assert "copied 2" in podsync("push", "clip", env=env).stdout
    assert len(media_files(player)) == 2


def test_a_player_is_found_at_another_mount_point_by_its_marker(
    podsync, make_podcast, tmp_path: Path, fat_player
) -> None:
    first = fat_player(name="first")
    podsync("device", "add", str(first), "--name", "stick")
    # The same player later mounted somewhere else (here: a copy of its marker on a new mount).
    second = fat_player(name="second")
    (second / ".podsync").mkdir()
    (second / ".podsync" / "device.json").write_bytes(
        (first / ".podsync" / "device.json").read_bytes()
    )
    (first / ".podsync" / "device.json").unlink()
    listing = podsync("device", "list").stdout
    assert str(second) in listing and "stick" in listing


def test_device_list_and_remove(podsync, player: Path, tmp_path: Path) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    gone = tmp_path / "gone"
    gone.mkdir()
    podsync("device", "add", str(gone), "--name", "old", "--folder", "PODS")
    (gone / ".podsync" / "device.json").unlink()
    listing = podsync("device", "list").stdout.splitlines()
    assert listing[0].split() == ["DEVICE", "CONNECTED", "AT", "EPISODES", "LAST", "SYNC"]
    assert listing[1].split()[:2] == ["old", "not"] and listing[2].split()[:2] == [
        "stick",
        str(player),
    ]
    out = podsync("device", "remove", "old").stdout
    assert "Forgot old" in out
    assert "old" not in podsync("device", "list").stdout
    assert "no device named 'old'" in podsync("device", "remove", "old", check=2).stderr


def fake_udisksctl(tmp_path: Path, fail: str = "", once: bool = False) -> dict[str, str]:
    """A stand-in for udisksctl (no udisks daemon runs here) that logs its arguments; the
    action ``fail`` finds the drive busy (``once``: only the first time)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "udisksctl"
    busy = f"{tmp_path}/was-busy"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {tmp_path}/udisksctl.log
case "$1" in {fail or "none"})
    if [ {int(once)} = 0 ] || [ ! -e {busy} ]; then
        touch {busy}; echo "Error unmounting /dev/sdb1: target is busy" >&2; exit 1
    fi;;
esac
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def test_push_eject_unmounts_and_powers_off(podsync, fat_player, tmp_path: Path, testbed) -> None:
    player = fat_player(source="/dev/sdb1")
    env = fake_udisksctl(tmp_path)
    podsync("device", "add", str(player), "--name", "clip")
    out = podsync("push", "--eject", env=env).stdout
    assert "ejected /dev/sdb1: it is safe to unplug" in out
    assert (tmp_path / "udisksctl.log").read_text().splitlines() == [
        "unmount --block-device /dev/sdb1 --no-user-interaction",
        "power-off --block-device /dev/sdb1 --no-user-interaction",
    ]


def test_push_eject_asks_again_while_the_drive_is_busy(
    podsync, fat_player, tmp_path: Path, testbed
) -> None:
    """Something (a file manager's preview, the web page's plan) holds the drive a moment."""
    player = fat_player(source="/dev/sdb1")
    env = fake_udisksctl(tmp_path, fail="unmount", once=True)
    podsync("device", "add", str(player), "--name", "clip")
    out = podsync("push", "--eject", env=env).stdout
    assert "ejected /dev/sdb1: it is safe to unplug" in out
    assert [line.split()[0] for line in (tmp_path / "udisksctl.log").read_text().splitlines()] == [
        "unmount",
        "unmount",
        "power-off",
    ]


def test_push_eject_says_clearly_when_it_cannot(
    podsync, fat_player, player: Path, tmp_path: Path
) -> None:
    podsync("device", "add", str(player), "--name", "folder")
    err = podsync("push", "--eject", check=1).stderr
    assert "cannot eject" in err and "a folder, not a mounted drive" in err

    stick = fat_player(name="stick", source="/dev/sdb1")
    podsync("device", "add", str(stick), "--name", "clip")
    env = fake_udisksctl(tmp_path, fail="unmount")
    err = podsync("push", "clip", "--eject", env=env, check=1).stderr
    assert "cannot unmount /dev/sdb1: Error unmounting /dev/sdb1: target is busy" in err
    assert "Traceback" not in err
    asked = (tmp_path / "udisksctl.log").read_text().splitlines()
    assert asked == ["unmount --block-device /dev/sdb1 --no-user-interaction"] * 4  # then gave up
