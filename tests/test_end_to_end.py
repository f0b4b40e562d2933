"""The whole path through the real command: subscribe, fetch, register, push."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from conftest import media_files


def db_dump(home: Path) -> list[str]:
    with sqlite3.connect(home / "state" / "state.db") as db:
        return list(db.iterdump())


def test_subscribe_fetch_push_keeps_newest_n(
    podsync, make_podcast, player: Path, home: Path
) -> None:
    science = make_podcast("science", "Science Hour", 7)
    talk = make_podcast("talk", "Small Talk", 3)

    out = podsync("subscribe", science.url, talk.url).stdout
    assert "Subscribed to Science Hour (7 episodes)" in out
    assert "Subscribed to Small Talk (3 episodes)" in out

    out = podsync("fetch").stdout
    assert "Downloaded 8 episodes" in out  # newest 5 of Science Hour + 3 of Small Talk
    podsync("device", "add", str(player), "--name", "stick")

    out = podsync("push", "stick").stdout
    assert "copied 8" in out and "deleted 0" in out
    files = media_files(player)
    assert len(files) == 8
    science_files = [f for f in files if f.startswith("Podcasts/Science Hour/")]
    assert sorted(Path(f).stem.split(" ", 1)[1] for f in science_files) == sorted(
        f"Science Hour episode {n}" for n in range(3, 8)
    )
    assert len([f for f in files if f.startswith("Podcasts/Small Talk/")]) == 3
    for f in files:  # the published audio, behind the tags podsync wrote
        published = science.server.resources["/" + _episode_for(f, science, talk).path].body
        data = (player / f).read_bytes()
        assert data.startswith(b"ID3") and data.endswith(published)

    # A second push has nothing to do and says so.
    out = podsync("push").stdout
    assert "up to date, nothing copied or deleted" in out
    assert media_files(player) == files

    # A new episode: the dry run shows the plan and changes nothing.
    science.add_episode("Science Hour episode 8", time.time())
    podsync("fetch")
    before = db_dump(home)
    out = podsync("push", "stick", "--dry-run").stdout
    assert "copy    Science Hour — Science Hour episode 8" in out
    assert "delete  Podcasts/Science Hour/" in out and "Science Hour episode 3.mp3" in out
    assert "Would copy 1" in out and "delete 1" in out
    assert media_files(player) == files
    assert db_dump(home) == before

    # The real push copies the new one and drops the one that fell out of the newest 5.
    out = podsync("push", "stick").stdout
    assert "copied 1" in out and "deleted 1" in out
    after = media_files(player)
    assert any("Science Hour episode 8.mp3" in f for f in after)
    assert not any("Science Hour episode 3.mp3" in f for f in after)
    assert len(after) == 8


def _episode_for(relpath: str, *podcasts):
    for podcast in podcasts:
        for episode in podcast.episodes:
            if relpath.endswith(f"{episode.title}.mp3"):
                return episode
    raise AssertionError(relpath)


def test_keep_is_configurable(podsync, make_podcast, player: Path, home: Path) -> None:
    podcast = make_podcast("news", "News", 6)
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[filters]\nkeep = 2\n")
    podsync("subscribe", podcast.url)
    assert "Downloaded 2 episodes" in podsync("fetch").stdout
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    assert [Path(f).stem[11:] for f in media_files(player)] == ["News episode 5", "News episode 6"]


def test_user_files_on_the_player_are_never_touched(podsync, make_podcast, player: Path) -> None:
    podcast = make_podcast("news", "News", 3)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    # The user's own music, one file exactly where podsync would put an episode.
    own = player / "Music" / "song.mp3"
    own.parent.mkdir()
    own.write_bytes(b"my song")
    first = podcast.episodes[0]
    clash = (
        player
        / "Podcasts"
        / "News"
        / (time.strftime("%Y-%m-%d", time.gmtime(first.published)) + f" {first.title}.mp3")
    )
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"user's file")

    podsync("push")
    assert own.read_bytes() == b"my song"
    assert clash.read_bytes() == b"user's file"
    ours = (clash.parent / f"{clash.stem} (2).mp3").read_bytes()
    assert ours.endswith(podcast.server.resources["/" + first.path].body)

    # Even when every episode falls out of the filters, only podsync's own files go.
    for n in range(5):
        podcast.add_episode(f"Later {n}", time.time() + n)
    podsync("fetch")
    podsync("push")
    assert own.read_bytes() == b"my song"
    assert clash.read_bytes() == b"user's file"
    assert not (clash.parent / f"{clash.stem} (2).mp3").exists()


def test_episode_deleted_on_player_is_not_copied_again(podsync, make_podcast, player: Path) -> None:
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    finished = next(p for p in (player / "Podcasts" / "News").iterdir())
    finished.unlink()
    out = podsync("push").stdout
    assert "up to date" in out
    assert len(media_files(player)) == 1


def test_a_push_with_nothing_to_do_writes_nothing(
    podsync, make_podcast, player: Path, home: Path
) -> None:
    podcast = make_podcast("science", "Science Hour", 3)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "stick")
    podsync("push", "stick")
    before = {p: p.stat() for p in player.rglob("*") if p.is_file()}

    out = podsync("push", "stick").stdout
    assert "nothing copied or deleted" in out
    after = {p: p.stat() for p in player.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    for path, stat in after.items():  # manifest, playlists and episodes left as they were
        assert (stat.st_ino, stat.st_mtime_ns) == (before[path].st_ino, before[path].st_mtime_ns)
    assert "3" in podsync("device", "list").stdout.splitlines()[1]  # the database still knows
