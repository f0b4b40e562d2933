"""Switching from gPodder: a home written by the real ``gpo`` (Debian's gpodder) imports whole."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import media_files

pytestmark = pytest.mark.skipif(
    shutil.which("gpo") is None, reason="needs gpo (scripts/setup --test installs gpodder)"
)

MARK_PLAYED = """
import sys
import gpodder
from gpodder import core
gpodder.prefix = "/usr"  # as gpo sets it
gpodder = core.Core()
for podcast in gpodder.model.get_podcasts():
    for episode in podcast.get_all_episodes():
        if episode.guid == sys.argv[1]:
            episode.mark(is_played=True)
gpodder.shutdown()
"""
"""gpo has no command for it, so gPodder's own model marks one episode played."""


def gpo(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["gpo", *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


@pytest.fixture(params=["same file system", "another file system"])
def gpodder_downloads(request, tmp_path: Path) -> Iterator[Path]:
    """gPodder's download folder: beside the cache (hard links) or on /dev/shm (copies)."""
    if request.param == "same file system":
        yield tmp_path / "gPodder-downloads"
        return
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the test's folder")
    with tempfile.TemporaryDirectory(dir=shm) as folder:
        yield Path(folder)


def test_gpodder_home_imports_subscriptions_files_and_played(
    podsync, make_podcast, server, tmp_path: Path, home: Path, player: Path, gpodder_downloads
) -> None:
    news = make_podcast("news", "News & <Views>", 3)
    talk = make_podcast("talk", "Talk", 2)
    gp_home, downloads = tmp_path / "gPodder", gpodder_downloads
    env = {**os.environ, "GPODDER_HOME": str(gp_home), "GPODDER_DOWNLOAD_DIR": str(downloads)}
    gpo(env, "subscribe", news.url)
    gpo(env, "subscribe", talk.url)
    assert "5 episodes downloaded" in gpo(env, "download")
    played = news.episodes[1]
    subprocess.run(
        ["/usr/bin/python3", "-c", MARK_PLAYED, played.guid], env=env, check=True, timeout=60
    )
    gp_files = sorted(p for p in downloads.rglob("*") if p.is_file())
    assert len(gp_files) == 5
    gp_db = (gp_home / "Database").read_bytes()

    out = podsync("import", "--gpodder", str(gp_home), env=env).stdout
    linked = downloads.stat().st_dev == home.stat().st_dev
    how = "5 hard-linked, 0 copied" if linked else "0 hard-linked, 5 copied"
    assert f"2 podcasts (0 already subscribed), 5 episodes, 5 files ({how})" in out
    assert "1 played" in out

    listing = podsync("list").stdout.splitlines()
    assert any(
        line.startswith("News & <Views>") and line.split()[3:5] == ["3", "3"] for line in listing
    )
    assert any(line.startswith("Talk") and line.split()[1:3] == ["2", "2"] for line in listing)
    cache = home / "cache" / "episodes"
    cached = sorted(p for p in cache.rglob("*.mp3"))
    served = sorted(server.resources["/" + e.path].body for e in news.episodes + talk.episodes)
    assert sorted(p.read_bytes() for p in cached) == served
    same_inodes = {p.stat().st_ino for p in cached} == {p.stat().st_ino for p in gp_files}
    assert same_inodes == linked
    assert not list(cache.rglob("*.part"))
    with sqlite3.connect(home / "state" / "state.db") as db:
        marked = [r[0] for r in db.execute("SELECT guid FROM episodes WHERE played_at NOT NULL")]
    assert marked == [played.guid]
    assert (gp_home / "Database").read_bytes() == gp_db  # gPodder's data is untouched

    # podsync carries on from there: nothing to download, the played one stays off the player.
    server.log.clear()
    assert "Downloaded 0 episodes" in podsync("fetch").stdout
    assert not [path for path, _ in server.log if path.endswith(".mp3")]
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    on_player = media_files(player)
    assert len(on_player) == 4
    assert not any(played.title in name for name in on_player)

    # A second import changes nothing.
    again = podsync("import", "--gpodder", env={**env, "GPODDER_HOME": str(gp_home)}).stdout
    assert "0 podcasts (2 already subscribed), 0 episodes, 0 files" in again


def test_missing_gpodder_home_is_a_clear_error(podsync, tmp_path: Path) -> None:
    result = podsync("import", "--gpodder", str(tmp_path / "nope"), check=2)
    assert result.stderr == f"podsync: error: no gPodder database at {tmp_path}/nope/Database\n"


def test_gpodders_copies_on_the_player_are_taken_over(
    podsync, make_podcast, tmp_path: Path, fat_player
) -> None:
    player = fat_player()
    news = make_podcast("news", "News", 3)
    gp_home, downloads = tmp_path / "gPodder", tmp_path / "gp-downloads"
    env = {**os.environ, "GPODDER_HOME": str(gp_home), "GPODDER_DOWNLOAD_DIR": str(downloads)}
    gpo(env, "subscribe", news.url)
    gpo(env, "download")
    gpo(env, "set", "device_sync.device_type", "filesystem")
    (player / "gPodder").mkdir()
    gpo(env, "set", "device_sync.device_folder", str(player / "gPodder"))
    gpo(env, "sync")
    copies = media_files(player)
    assert len(copies) == 3
    (player / "gPodder" / "unrelated.mp3").write_bytes(b"x" * 10)

    podsync("device", "add", str(player), "--name", "clip")
    out = podsync("import", "--gpodder", str(gp_home), "--device", "clip", env=env).stdout
    assert "Took over 3 of gPodder's copies on clip." in out
    out = podsync("push").stdout
    assert "copied 0" in out or "up to date" in out
    assert media_files(player) == sorted([*copies, "gPodder/unrelated.mp3"])  # one copy each
    podsync("mark-played", "News", "episode 1")
    assert "deleted 1" in podsync("push").stdout  # and they are podsync's now
    assert len(media_files(player)) == 3

    err = podsync("import", "--gpodder", str(gp_home), "--device", "nope", env=env, check=2)
    assert "no device named 'nope'" in err.stderr
