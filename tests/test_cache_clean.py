"""The cache cleans itself: a simulated month of daily episodes, fetched and pushed each
day with the clock moved on, leaves the cache no bigger than what the players want."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import DAY, Podcast, media_files
from podsync.app import App
from podsync.cli.progress import Progress
from podsync.fetch import fetch
from podsync.player.devices import register
from podsync.push import push


def cached(home: Path) -> list[Path]:
    return sorted((home / "cache" / "episodes").rglob("*.mp3"))


def test_the_cache_stays_bounded_over_a_month_of_daily_episodes(
    server, home: Path, player: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = time.time() - 40 * DAY
    clock = [start]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    daily, weekly = Podcast(server, "daily", "Daily"), Podcast(server, "weekly", "Weekly")
    daily.add_episode("Daily 0", start)
    weekly.add_episode("Weekly 0", start)
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[filters]\nkeep = 3\n[tags]\nenabled = false\n[podcasts."Weekly"]\nkeep = 10\n'
        "max_age_days = 8\n"
    )
    quiet = Progress("test", enabled=False)
    with App.open() as app:
        from podsync.fetch import subscribe

        subscribe(app, daily.url)
        subscribe(app, weekly.url)
        device, _ = register(app.state, player, "stick", "Podcasts")
    sizes = []
    for day in range(1, 31):
        clock[0] = start + day * DAY
        daily.add_episode(f"Daily {day}", clock[0])
        if day % 7 == 0:
            weekly.add_episode(f"Weekly {day}", clock[0])
        with App.open() as app:
            assert fetch(app, quiet).ok
            if day % 3 == 0:  # the user listens to the oldest daily one on the player
                oldest = min(
                    (e for e in app.state.episodes(cached=True) if e.podcast == "Daily"),
                    key=lambda e: e.published,
                )
                app.state.mark_played([oldest.key])
            assert push(app, device, player, quiet).ok
        files = cached(home)
        sizes.append(len(files))
        # Daily: the newest 3 (without cleaning it would hold every one fetched);
        # Weekly: those of the last 8 days.
        assert len([f for f in files if f.parent.name == "Daily"]) <= 3
        assert len([f for f in files if f.parent.name == "Weekly"]) <= 2
    assert max(sizes) <= 5 and len(daily.episodes) == 31
    on_player = media_files(player)
    assert [f for f in on_player if "/Daily/" in f] == sorted(
        f"Podcasts/Daily/{p.name}" for p in cached(home) if p.parent.name == "Daily"
    )
    with App.open() as app:
        assert len(app.state.episodes()) == 31 + 5  # every episode still known


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (scripts/setup --test)")
def test_clean_sweeps_unwanted_conversions_and_unused_covers_and_nothing_else(
    podsync, make_podcast, player: Path, tmp_path: Path, home: Path
) -> None:
    from test_convert import add, config, tone, with_image

    podcast = make_podcast("talk", "Talk Show", 0)
    add(podcast, "In Opus", "opus", tone(tmp_path, "opus", 2), 1)
    with_image(podcast, tmp_path)
    config(home, "[player]\nartwork = true\n")
    podsync("device", "add", str(player), "--name", "clip", "--profile", "mp3-player")
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("push")
    converted, artwork = home / "cache" / "converted", home / "cache" / "artwork"
    [conversion] = converted.glob("*/*.mp3")
    [cover] = artwork.glob("*.jpg")

    # Things in podsync's folders that it did not make, or is making: never touched.
    outside = tmp_path / "my music"
    outside.mkdir()
    (outside / "song.mp3").write_bytes(b"mine")
    (outside / "0123456789abcdef.jpg").write_bytes(b"mine too")
    (converted / "abcdefabcdef").symlink_to(outside)  # named like a settings folder
    (converted / "notes.txt").write_bytes(b"a note")
    (conversion.parent / ".making.mp3.1.part").write_bytes(b"in progress")
    (artwork / "0123456789abcdef.jpg").symlink_to(outside / "0123456789abcdef.jpg")
    (artwork / ".cover-x1").mkdir()
    (artwork / ".cover-x1" / "cover.jpg").write_bytes(b"being made")
    (artwork / "mine.jpg").write_bytes(b"a picture of mine")
    untouchable = sorted(
        p for p in (*converted.rglob("*"), *artwork.rglob("*"), *outside.iterdir())
    )
    untouchable = [p for p in untouchable if p not in (conversion, cover, conversion.parent)]

    assert "Would delete 0 cached episodes," in podsync("clean", "--dry-run").stdout
    config(home, '[player]\nartwork = true\nbitrate = "64k"\n')  # the conversion is unwanted
    dry = podsync("clean", "--dry-run").stdout
    assert f"  conversion {conversion.parent.name}/{conversion.name}\n" in dry
    assert "Would delete 0 cached episodes, 1 conversion," in dry and "cover" not in dry
    assert conversion.exists()
    out = podsync("clean").stdout
    assert "Deleted 0 cached episodes, 1 conversion," in out
    assert not conversion.exists() and cover.exists()
    assert all(p.exists() or p.is_symlink() for p in untouchable)

    # The feed's image moves: the fetch makes the new cover and its clean drops the old one.
    url = podcast.server.add("talk/new-cover.png", (tmp_path / "cover.png").read_bytes())
    feed = podcast.server.resources["/talk/feed.xml"]
    feed.body = re.sub(
        rb'itunes:image href="[^"]+"', f'itunes:image href="{url}"'.encode(), feed.body
    )
    podsync("fetch")
    [new_cover] = [p for p in artwork.glob("*.jpg") if p not in untouchable]
    assert new_cover != cover and not cover.exists()

    podsync("unsubscribe", "Talk Show")
    dry = podsync("clean", "--dry-run").stdout
    assert f"  cover {new_cover.name}\n" in dry and ", 1 cover," in dry
    assert new_cover.exists()
    assert "1 cover" in podsync("clean").stdout
    assert not new_cover.exists()
    assert all(p.exists() or p.is_symlink() for p in untouchable)
    assert (outside / "song.mp3").read_bytes() == b"mine"
    assert (artwork / "mine.jpg").read_bytes() == b"a picture of mine"
