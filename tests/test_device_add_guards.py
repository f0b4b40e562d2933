"""``device add``: refuse / and the home folder unless --force; warn off a removable drive."""

from __future__ import annotations

import os
from pathlib import Path

WARNING = "is not the mount point of a removable drive"


def test_root_and_home_are_refused_unless_forced(podsync, tmp_path: Path) -> None:
    refused = podsync("device", "add", "/", "--name", "root", check=2)
    assert refused.stderr.startswith("podsync: error: / is the root folder, not a player")
    assert "--force" in refused.stderr
    assert not Path("/.podsync/device.json").exists()

    home = tmp_path / "me"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    refused = podsync("device", "add", str(home), "--name", "me", env=env, check=2)
    assert f"{home} is your home folder, not a player" in refused.stderr
    assert not (home / ".podsync").exists()
    forced = podsync("device", "add", str(home), "--name", "me", "--force", env=env)
    assert "Registered me" in forced.stdout and WARNING in forced.stderr


def test_a_plain_folder_is_registered_with_a_warning(podsync, player: Path) -> None:
    result = podsync("device", "add", str(player), "--name", "clip")
    assert result.stderr.startswith(f"podsync: warning: {player} {WARNING}")
    assert "podsync device remove clip" in result.stderr
    assert result.stdout.startswith("Registered clip")


def test_a_usb_drive_is_registered_without_a_warning(podsync, fat_player, testbed) -> None:
    name = testbed.partition_name()
    testbed.add_partition(name, ID_FS_UUID="AB12-CD34", ID_FS_TYPE="vfat", ID_BUS="usb")
    clip = fat_player(source=f"/dev/{name}")
    result = podsync("device", "add", str(clip), "--name", "clip", env=testbed.env())
    assert result.stderr == "" and result.stdout.startswith("Registered clip")
