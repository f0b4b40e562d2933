"""The cache cleans itself: a simulated month of daily episodes, fetched and pushed each
day with the clock moved on, leaves the cache no bigger than what the players want."""

from __future__ import annotations

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
