"""Push behaviour through the command: per-device settings, --no-delete, mark-played,
two computers sharing a player."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import Run, media_files


def config(home: Path, text: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text)


def titles(player: Path) -> list[str]:
    return [Path(f).stem.split(" ", 1)[1] for f in media_files(player)]


def test_per_device_settings_override_the_defaults(
    podsync, make_podcast, tmp_path: Path, home: Path
) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    big.mkdir()
    config(
        home,
        "[filters]\nkeep = 3\n\n[devices.small.filters]\nkeep = 1\n"
        '[devices.small.names]\ntemplate = "{title}.{ext}"\n',
    )
    podcast = make_podcast("news", "News", 4)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(small), "--name", "small", "--folder", "PODCASTS")
    podsync("device", "add", str(big), "--name", "big")
    podsync("push")
    assert media_files(small) == ["PODCASTS/News episode 4.mp3"]
    assert len(media_files(big)) == 3


def test_unknown_device_setting_is_a_config_error(podsync, home: Path) -> None:
    config(home, "[devices.small.fetch]\ntimeout = 3\n")
    err = podsync("list", check=2).stderr
    assert "line 1: unknown section [devices.small.fetch]" in err


def test_no_delete_copies_but_deletes_nothing(podsync, make_podcast, player: Path) -> None:
    podcast = make_podcast("news", "News", 5)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    podcast.add_episode("Fresh", time.time())
    podsync("fetch")
    out = podsync("push", "--no-delete").stdout
    assert "copied 1" in out and "deleted 0" in out
    assert len(media_files(player)) == 6
    assert "deleted 1" in podsync("push").stdout


def test_mark_played_then_push_deletes_and_does_not_copy_back(
    podsync, make_podcast, player: Path
) -> None:
    podcast = make_podcast("news", "Daily News", 3)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    out = podsync("mark-played", "daily*", "episode 2").stdout
    assert out.splitlines() == [
        "Marked 1 episode of 1 podcast as played:",
        "  Daily News — Daily News episode 2",
    ]
    out = podsync("push").stdout
    assert "deleted 1" in out and "copied 0" in out
    assert titles(player) == ["Daily News episode 1", "Daily News episode 3"]
    assert "up to date" in podsync("push").stdout

    podsync("mark-played", "Daily News", "episode 2", "--undo")
    # The push cleaned the played episode out of the cache: the next fetch gets it back.
    assert "up to date" in podsync("push").stdout
    podsync("fetch")
    assert "copied 1" in podsync("push").stdout
    err = podsync("mark-played", "Nothing like it", check=1).stderr
    assert "no episode matches 'Nothing like it'" in err


def test_two_computers_share_one_player(make_podcast, player: Path, tmp_path: Path) -> None:
    podcast = make_podcast("news", "News", 4)
    laptop, desktop = Run(tmp_path / "laptop"), Run(tmp_path / "desktop")
    for computer in (laptop, desktop):
        computer("subscribe", podcast.url)
        computer("fetch")
    laptop("device", "add", str(player), "--name", "clip")
    laptop("push")
    desktop("device", "add", str(player), "--name", "clip")  # adopts the player's id
    assert "up to date" in desktop("push").stdout  # same episodes: nothing copied twice

    podcast.add_episode("News episode 5", time.time())
    desktop("fetch")
    out = desktop("push").stdout
    assert "copied 1" in out and "deleted 0" in out  # keep 5: nothing falls out yet
    # The laptop has not fetched the new one; it must not delete the desktop's copy.
    assert "up to date" in laptop("push").stdout
    manifest = json.loads((player / ".podsync" / "manifest.json").read_text())
    assert sorted(e["title"] for e in manifest["files"].values()) == [
        f"News episode {n}" for n in range(1, 6)
    ]
    assert len(media_files(player)) == 5
