"""``podsync demo``: the whole path offline, in a throwaway home.

It serves two small sample podcasts (real, silent MP3s) on 127.0.0.1,
subscribes to them, fetches them into the cache, registers a folder as a
player and pushes to it, through the same code as the real commands.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from podsync.app import App
from podsync.cli.demo_server import FeedServer, SampleEpisode, rss, silent_mp3
from podsync.cli.progress import Progress
from podsync.cli.report import print_fetch, print_push
from podsync.errors import EXIT_FAILED, EXIT_OK, UsageError
from podsync.fetch import fetch, subscribe
from podsync.player.devices import register
from podsync.push import push
from podsync.sizes import plural

SAMPLES = {
    "silent-science": (
        "Silent Science",
        [
            "Mute: an interview",
            "Zero decibels",
            "Silence in space",
            "Whispers of the deep",
            "Anechoic chambers: a tour",
            "The sound of one hand",
            "Why the sky is quiet",
        ],
    ),
    "quiet-talk": ("Quiet Talk", ["Pilot", "On pauses", "Listening, really"]),
}
DAY = 86400
MARKER = "podsync-demo.txt"


def publish_samples(server: FeedServer, now: float) -> list[str]:
    """Put the sample podcasts on ``server`` (oldest episode first); return their feed URLs."""
    audio = silent_mp3(2.0)
    urls = []
    for slug, (title, titles) in SAMPLES.items():
        episodes = []
        for number, episode_title in enumerate(titles, start=1):
            path = f"{slug}/episode-{number}.mp3"
            server.add(path, audio, "audio/mpeg")
            episodes.append(
                SampleEpisode(
                    f"{slug}-{number}",
                    episode_title,
                    now - (len(titles) - number) * DAY,
                    path,
                    len(audio),
                )
            )
        urls.append(
            server.add(
                f"{slug}/feed.xml",
                rss(title, episodes, server.base_url, "The podsync demo"),
                "application/rss+xml",
            )
        )
    return urls


def prepare_dir(directory: Path) -> Path:
    """An empty demo folder: new, empty, or an earlier demo's (which is cleared)."""
    root = directory.absolute()
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise UsageError(
                f"{root} is not empty and holds no earlier demo; choose an empty or new folder"
            )
        for name in ("home", "player"):
            shutil.rmtree(root / name, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("A podsync demo lives here; 'podsync demo --dir' may clear it.\n")
    return root


def run_demo(directory: Path | None = None) -> int:
    """Run the demo in ``directory`` (a new temporary folder by default)."""
    root = prepare_dir(directory or Path(tempfile.mkdtemp(prefix="podsync-demo-")))
    player = root / "player"
    player.mkdir()
    print(f"podsync demo in {root}")
    with (
        FeedServer() as server,
        App.open({**os.environ, "PODSYNC_HOME": str(root / "home")}) as app,
    ):
        print(f"Serving two sample podcasts at {server.base_url}")
        for url in publish_samples(server, time.time()):
            podcast, new = subscribe(app, url)
            print(f"Subscribed to {podcast.title} ({plural(new, 'episode')})")
        fetch_report = fetch(app, Progress("fetching"))
        print_fetch(fetch_report)
        device, _ = register(app.state, player, "demo-player", app.config.get("push", "folder"))
        push_report = push(app, device, player, Progress("syncing"))
        print_push(push_report)
    print(f"\nOn the demo player ({player}):")
    for path in sorted(player.rglob("*")):
        if path.is_file() and ".podsync" not in path.parts:
            print(f"  {path.relative_to(player)}  ({path.stat().st_size // 1024} kB)")
    print(f"\nTry it yourself: PODSYNC_HOME={root / 'home'} {_command()} list")
    ok = fetch_report.ok and push_report.ok
    if not ok:
        print("The demo did not complete cleanly; see the messages above.", file=sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


def _command() -> str:
    """How the user ran podsync: plain ``podsync`` when that is on the PATH."""
    found = shutil.which("podsync")
    if found and Path(found).resolve() == Path(sys.argv[0]).resolve():
        return "podsync"
    return sys.argv[0] if Path(sys.argv[0]).name == "podsync" else "podsync"
