"""A player that lost its manifest heals: rebuilt from the identity in the files' tags, on a
real FAT image, through the podsync command."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from conftest import media_files


def manifest(player: Path) -> dict:
    return json.loads((player / ".podsync" / "manifest.json").read_text())


def playlist_entries(player: Path, name: str) -> list[str]:
    text = (player / "Podcasts" / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_a_lost_manifest_leaves_one_copy_and_working_playlists(
    podsync, make_podcast, fat_player, damage: str
) -> None:
    player = fat_player()
    news = make_podcast("news", "News", 3)
    podsync("subscribe", news.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    before = media_files(player)
    mine = player / "Podcasts" / "News" / "my own.mp3"
    mine.write_bytes(b"the user's file, no identity")
    # A push that had lost its manifest once left a second copy behind.
    copy = player / before[0].replace(".mp3", " (2).mp3")
    shutil.copyfile(player / before[0], copy)
    target = player / ".podsync" / "manifest.json"
    if damage == "deleted":
        target.unlink()
        (player / ".podsync" / "finished.json").unlink()
    else:
        target.write_text('{"files": {"Podcasts/x.mp3": {"key": 1')

    news.add_episode("News episode 4", time.time())
    podsync("fetch")
    result = podsync("push")
    why = "missing; rebuilt" if damage == "deleted" else "unreadable"
    assert f"the manifest on the player is {why}" in result.stderr
    assert "from the files' tags: took back 3 files" in result.stderr
    assert "removed 1 extra copies" in result.stderr
    assert "a file of yours has that name" not in result.stderr  # the playlists are podsync's
    assert "copied 1" in result.stdout
    titles = sorted(e["title"] for e in manifest(player)["files"].values())
    assert titles == [f"News episode {n}" for n in range(1, 5)]
    owned = set(manifest(player)["files"])
    assert set(media_files(player)) == owned | {"Podcasts/News/my own.mp3"}  # one copy each
    assert set(before) <= owned
    assert mine.read_bytes() == b"the user's file, no identity"
    assert not copy.exists()
    assert len(playlist_entries(player, "News.m3u8")) == 4
    assert "up to date" in podsync("push").stdout
    if damage == "corrupt":
        assert len(list((player / ".podsync").glob("manifest.json.damaged-*"))) == 1


def test_device_repair_takes_back_what_carries_the_identity(
    podsync, make_podcast, fat_player
) -> None:
    player = fat_player()
    news = make_podcast("news", "News", 2)
    podsync("subscribe", news.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    data = manifest(player)
    (player / ".podsync" / "manifest.json").write_text(json.dumps({**data, "files": {}}))
    out = podsync("device", "repair", "clip").stdout
    assert "took back 2 files that carry podsync's identity" in out
    assert manifest(player)["files"] == data["files"]
    err = podsync("device", "repair", "nothing", check=2).stderr
    assert "no device named 'nothing'" in err
