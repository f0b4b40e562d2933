"""Fetch benchmarks: podsync against gPodder's ``gpo`` on the same loopback feeds, in one run.

    python bench/fetch.py [--feeds N] [--items M] [--size BYTES] [--repeat R] [--smoke]

Serves N feeds of M items each on 127.0.0.1.  Both tools subscribe while each
feed lists one item (gpo reads it then; podsync imports an OPML file and
reads nothing), then every feed grows to M items, and both:

1. refresh the grown feeds (``podsync fetch --refresh-only`` / ``gpo update``);
2. download the new episodes: gpo downloads what it marks new, and podsync is
   set to keep as many per feed (``podsync fetch`` / ``gpo download``);
3. refresh again with nothing changed: every feed answers 304 to a tool that
   sends ETag or Last-Modified (median of R);
4. a whole no-op fetch (``podsync fetch`` / ``gpo update`` then ``gpo download``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PODSYNC, median_time, podsync_env, report, sh
from podsync.cli.demo_server import FeedServer, SampleEpisode, rss, silent_mp3
from podsync.feeds.opml import Outline, format_opml

DAY = 86400.0


def gpo(*args: str, env: dict[str, str]) -> None:
    """Run gpo, without its notes on stderr about where it stores data."""
    subprocess.run(["gpo", "--quiet", *args], check=True, capture_output=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--size", type=int, default=256 * 1024, help="bytes per episode")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run")
    args = parser.parse_args()
    if args.smoke:
        args.feeds, args.items, args.size, args.repeat = 3, 5, 4096, 1
    if shutil.which("gpo") is None:
        sys.exit("bench/fetch.py needs gpo (apt-get install gpodder)")

    frames = silent_mp3(1)
    body = (frames * (args.size // len(frames) + 1))[: args.size]
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="podsync-bench-") as tmp, FeedServer() as server:
        root = Path(tmp)
        feeds = [
            [
                SampleEpisode(f"f{f}-e{n}", f"Feed {f} episode {n}", now - n * DAY, path, args.size)
                for n in range(args.items)
                for path in [f"f{f}/{n}.mp3"]
            ]
            for f in range(args.feeds)
        ]
        for items in feeds:
            for episode in items:
                server.add(episode.path, body, "audio/mpeg")

        def publish(count: int) -> list[str]:
            return [
                server.add(f"f{f}/feed.xml", rss(f"Feed {f}", items[:count], server.base_url))
                for f, items in enumerate(feeds)
            ]

        urls = publish(1)
        opml = root / "feeds.opml"
        opml.write_bytes(format_opml(Outline(url, f"Feed {n}") for n, url in enumerate(urls)))
        gp = {
            **os.environ,
            "GPODDER_HOME": str(root / "gpodder"),
            "GPODDER_DOWNLOAD_DIR": str(root / "gpodder-downloads"),
        }
        env = podsync_env(root / "podsync")
        gpo("import", str(opml), env=gp)
        sh(PODSYNC, "import", str(opml), env=env)
        publish(args.items)

        gpo_refresh = median_time(lambda: gpo("update", env=gp), 1)
        ours_refresh = median_time(lambda: sh(PODSYNC, "fetch", "--refresh-only", env=env), 1)
        gpo_download = median_time(lambda: gpo("download", env=gp), 1)
        fetched = sum(1 for p in (root / "gpodder-downloads").rglob("*") if p.is_file())
        keep = max(1, round(fetched / args.feeds))
        config = root / "podsync" / "config" / "config.toml"
        config.write_text(f"[filters]\nkeep = {keep}\n")
        ours_download = median_time(lambda: sh(PODSYNC, "fetch", env=env), 1)
        cached = sum(1 for _ in (root / "podsync" / "cache").rglob("*.mp3"))

        server.log.clear()
        gpo_304 = median_time(lambda: gpo("update", env=gp), args.repeat)
        gpo_conditional = sum(1 for _, h in server.log if "If-None-Match" in h)
        server.log.clear()
        ours_304 = median_time(lambda: sh(PODSYNC, "fetch", "--refresh-only", env=env), args.repeat)
        ours_conditional = sum(1 for _, h in server.log if "If-None-Match" in h)
        gpo_noop = median_time(
            lambda: (gpo("update", env=gp), gpo("download", env=gp)), args.repeat
        )
        ours_noop = median_time(lambda: sh(PODSYNC, "fetch", env=env), args.repeat)

    items = args.feeds * args.items
    report(
        f"fetch: {args.feeds} feeds x {args.items} items ({items} items), loopback;"
        f" gpo downloaded {fetched}, podsync {cached} (keep = {keep}) of"
        f" {args.size // 1024} kB; 304 runs: median of {args.repeat}",
        [
            ("first refresh of the grown feeds", ours_refresh, "gpo update", gpo_refresh),
            ("download the new episodes", ours_download, "gpo download", gpo_download),
            ("refresh, every feed unchanged", ours_304, "gpo update", gpo_304),
            ("no-op fetch (refresh + download)", ours_noop, "gpo update; download", gpo_noop),
        ],
    )
    print(
        f"conditional requests per unchanged refresh: podsync {ours_conditional // args.repeat},"
        f" gpo {gpo_conditional // args.repeat} of {args.feeds} feeds"
    )


if __name__ == "__main__":
    main()
