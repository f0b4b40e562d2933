"""A player holding hostile or broken podsync data: the manifest means "owns nothing", is
rebuilt from the identity in the files' tags (never claiming another file), and no path
in it ever reaches a file outside the player."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import media_files


def manifest_path(player: Path) -> Path:
    return player / ".podsync" / "manifest.json"


def edit_manifest(player: Path, change) -> None:
    data = json.loads(manifest_path(player).read_text())
    change(data)
    manifest_path(player).write_text(json.dumps(data))


def an_entry(player: Path) -> dict:
    return next(iter(json.loads(manifest_path(player).read_text())["files"].values()))


@pytest.mark.parametrize(
    "escape", ["Podcasts/../../victim.mp3", "{victim}", ".podsync/device.json"]
)
def test_manifest_paths_that_leave_the_player_are_never_touched(
    podsync, synced: list[str], player: Path, tmp_path: Path, escape: str
) -> None:
    victim = tmp_path / "victim.mp3"
    victim.write_bytes(b"precious")
    entry = dict(an_entry(player), key="planted", published=0)
    path = escape.format(victim=victim)

    def plant(data: dict) -> None:
        data["files"][path] = entry
        data["others"].append(path.replace(".mp3", ".m3u8"))

    edit_manifest(player, plant)
    result = podsync("push")
    assert victim.read_bytes() == b"precious"
    assert (player / ".podsync" / "device.json").is_file()
    assert "the manifest on the player is unreadable" in result.stderr
    # rebuilt from the files' tags: the newer episode stays (keep = 1), the planted path is gone
    assert media_files(player) == [max(synced)]
    assert path not in json.loads(manifest_path(player).read_text())["files"]


def test_a_link_on_the_player_does_not_lead_a_delete_off_it(
    podsync, synced: list[str], player: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp3").write_bytes(b"precious")
    os.symlink(outside, player / "Podcasts" / "link")
    edit_manifest(
        player, lambda data: data["files"].update({"Podcasts/link/secret.mp3": an_entry(player)})
    )
    podsync("push")
    assert (outside / "secret.mp3").read_bytes() == b"precious"
    # Reached only through a link, it is not podsync's file: forgotten, never deleted.
    assert "Podcasts/link/secret.mp3" not in json.loads(manifest_path(player).read_text())["files"]


@pytest.mark.parametrize(
    "corrupt",
    [
        "{not json",
        '{"files": {"Podcasts/x.mp3": {"key": 1}}}',
        "published as text",
        "truncated",
        "\udcff invalid utf-8",
    ],
)
def test_a_corrupt_manifest_is_kept_and_rebuilt_from_the_tags(
    podsync, synced: list[str], player: Path, corrupt: str
) -> None:
    (player / "Podcasts" / "News" / "mine.mp3").write_bytes(b"the user's own")
    good = manifest_path(player).read_bytes()
    if corrupt == "published as text":
        edit_manifest(
            player, lambda d: [e.update(published="yesterday") for e in d["files"].values()]
        )
    elif corrupt == "truncated":
        manifest_path(player).write_bytes(good[: len(good) // 2])
    elif corrupt.startswith("\udcff"):
        manifest_path(player).write_bytes(b'{"files": {"\xff": 1}}')
    else:
        manifest_path(player).write_text(corrupt)
    damaged = manifest_path(player).read_bytes()
    result = podsync("push")
    assert "the manifest on the player is unreadable" in result.stderr
    assert "until rebuilt from the files' tags: took back 2 files" in result.stderr
    assert "Traceback" not in result.stderr
    (backup,) = (player / ".podsync").glob("manifest.json.damaged-*")
    assert backup.read_bytes() == damaged
    assert media_files(player) == sorted([max(synced), "Podcasts/News/mine.mp3"])
    assert (player / "Podcasts" / "News" / "mine.mp3").read_bytes() == b"the user's own"


def test_a_missing_manifest_is_rebuilt_and_says_so(
    podsync, synced: list[str], player: Path
) -> None:
    manifest_path(player).unlink()
    result = podsync("push")
    assert "the manifest on the player is missing; rebuilt from the files' tags: took back 2" in (
        result.stderr
    )
    assert media_files(player) == [max(synced)]
