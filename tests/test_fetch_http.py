"""Fetching over real HTTP: conditional GETs, redirects, gone feeds, resumed downloads."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from http_faults import drop_after, redirect, status
from podsync.cli.demo_server import serve, silent_mp3


def feed_urls(home: Path) -> dict[str, str]:
    with sqlite3.connect(home / "state" / "state.db") as db:
        return dict(db.execute("SELECT title, url FROM podcasts"))


def requested(server, prefix: str) -> list[str]:
    return [path for path, _ in server.log if path.startswith(prefix)]


def test_second_fetch_is_conditional_and_downloads_nothing(
    podsync, server, make_podcast, home: Path
) -> None:
    news = make_podcast("news", "News", 3)
    talk = make_podcast("talk", "Talk", 2)
    podsync("subscribe", news.url, talk.url)
    assert "Downloaded 5 episodes" in podsync("fetch").stdout
    cache = sorted(p.relative_to(home) for p in (home / "cache").rglob("*.mp3"))
    server.log.clear()

    out = podsync("fetch").stdout
    assert "Refreshed 2 feeds: no new episodes." in out
    assert "Downloaded 0 episodes" in out
    assert out.count("not modified") == 2
    feeds = [(path, headers) for path, headers in server.log if path.endswith("feed.xml")]
    assert len(feeds) == 2 and len(server.log) == 2  # two 304s, no episode requested
    for _path, headers in feeds:
        assert headers["If-None-Match"].startswith('"')
        assert headers["If-Modified-Since"].endswith("GMT")
    assert sorted(p.relative_to(home) for p in (home / "cache").rglob("*.mp3")) == cache

    # A changed feed is read again and only its new episode is downloaded.
    server.log.clear()
    news.add_episode("News episode 4", time.time())
    out = podsync("fetch").stdout
    assert "Refreshed 2 feeds: 1 new episode." in out and "Downloaded 1 episode" in out
    assert requested(server, "/news/") == ["/news/feed.xml", "/news/4.mp3"]


def test_permanent_redirects_move_the_feed_temporary_ones_do_not(
    podsync, server, make_podcast, home: Path
) -> None:
    moves = {"p301": 301, "p308": 308, "t302": 302, "t307": 307}
    podcasts = {slug: make_podcast(slug, slug.upper(), 1) for slug in moves}
    podsync("subscribe", *(p.url for p in podcasts.values()))
    for slug, code in moves.items():
        new = make_podcast(f"{slug}-new", slug.upper(), 2)
        server.faults[f"/{slug}/feed.xml"] = redirect(new.url, code)

    out = podsync("fetch").stdout
    assert "Refreshed 4 feeds: 8 new episodes." in out
    urls = feed_urls(home)
    assert urls["P301"] == server.url("p301-new/feed.xml")
    assert urls["P308"] == server.url("p308-new/feed.xml")
    assert urls["T302"] == server.url("t302/feed.xml")
    assert urls["T307"] == server.url("t307/feed.xml")

    # The next fetch goes straight to the new address of a moved feed only.
    server.log.clear()
    podsync("fetch")
    assert requested(server, "/p301/") == [] and requested(server, "/p308/") == []
    assert requested(server, "/t302/") == ["/t302/feed.xml"]
    assert requested(server, "/t307/") == ["/t307/feed.xml"]


def test_gone_feed_is_marked_kept_and_not_retried(
    podsync, server, make_podcast, home: Path
) -> None:
    old = make_podcast("old", "Old Show", 2)
    live = make_podcast("live", "Live Show", 1)
    podsync("subscribe", old.url, live.url)
    podsync("fetch")
    server.faults["/old/feed.xml"] = status(410)

    result = podsync("fetch", check=1)
    assert "gone (410): no longer refreshed" in result.stdout
    assert "Refreshed 1 feed (1 failed): no new episodes." in result.stdout
    assert (
        "podsync: error: feed Old Show: the server says the feed is gone for good (410)"
        in result.stderr
    )
    listing = podsync("list").stdout
    old_row = next(line for line in listing.splitlines() if line.startswith("Old Show"))
    assert old_row.split()[2:6] == ["2", "2", "0", "gone:"]  # episodes and cached files stay
    assert len(list((home / "cache").rglob("*.mp3"))) == 3

    # Not asked again: the next fetch succeeds without a request to it.
    server.log.clear()
    assert "Refreshed 1 feed" in podsync("fetch").stdout
    assert requested(server, "/old/") == []

    # Subscribing again checks it anew and revives it.
    del server.faults["/old/feed.xml"]
    podsync("subscribe", old.url)
    assert "gone" not in podsync("list").stdout


def test_download_cut_off_mid_body_resumes_with_range(
    podsync, server, make_podcast, home: Path
) -> None:
    podcast = make_podcast("cut", "Cut", 0)
    whole = podcast.add_episode("Whole", time.time() - 120, seconds=5)
    body = silent_mp3(20)
    cut = podcast.add_episode("Cut short", time.time() - 60, body=body)
    podsync("subscribe", podcast.url)
    server.faults["/" + cut.path] = drop_after(server.resources["/" + cut.path], 100_000)

    result = podsync("fetch", check=1)
    assert (
        "podsync: error: download Cut — Cut short: connection to 127.0.0.1 broke off"
        in result.stderr
    )
    cache = home / "cache" / "episodes"
    served = {e.title: server.resources["/" + e.path].body for e in podcast.episodes}
    finals = list(cache.rglob("*.mp3"))
    assert [p.name.split(" ", 1)[1] for p in finals] == ["Whole.mp3"]
    assert finals[0].read_bytes() == served[whole.title]
    [partial] = list(cache.rglob("*.part"))
    assert partial.read_bytes() == body[: partial.stat().st_size]
    held = partial.stat().st_size
    assert 0 < held < len(body)

    # The next fetch retries it with a Range request and ends byte-identical.
    del server.faults["/" + cut.path]
    server.log.clear()
    assert "Downloaded 1 episode" in podsync("fetch").stdout
    [(path, headers)] = [(p, h) for p, h in server.log if p.endswith(".mp3")]
    assert path == "/" + cut.path
    assert headers["Range"] == f"bytes={held}-"
    assert sorted(p.read_bytes() for p in cache.rglob("*.mp3")) == sorted(served.values())
    assert list(cache.rglob("*.part")) == []


def test_server_without_ranges_restarts_the_download(
    podsync, server, make_podcast, home: Path
) -> None:
    podcast = make_podcast("plain", "Plain", 0)
    body = silent_mp3(10)
    episode = podcast.add_episode("One", time.time(), body=body)
    podsync("subscribe", podcast.url)
    resource = server.resources["/" + episode.path]
    server.faults["/" + episode.path] = drop_after(resource, 50_000)
    podsync("fetch", check=1)

    def whole_file_ignoring_range(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.faults["/" + episode.path] = whole_file_ignoring_range
    podsync("fetch")
    [final] = list((home / "cache").rglob("*.mp3"))
    assert final.read_bytes() == body


def test_downloads_that_do_not_fit_the_cache_disk_are_not_started(
    podsync, server, make_podcast, home: Path
) -> None:
    podcast = make_podcast("big", "Big", 2)
    podsync("subscribe", podcast.url)
    (home / "config" / "config.toml").write_text('[fetch]\ncache_reserve = "1000 TB"\n')
    result = podsync("fetch", check=1)
    assert "Downloaded 0 episodes" in result.stdout
    assert "2 episodes not downloaded: the cache is full" in result.stderr
    assert result.stderr.count("    Big — Big episode") == 2
    assert requested(server, "/big/") == ["/big/feed.xml", "/big/feed.xml"]
    assert not list((home / "cache").rglob("*.part"))

    (home / "config" / "config.toml").write_text("")
    assert "Downloaded 2 episodes" in podsync("fetch").stdout


def test_no_more_than_per_host_connections_to_one_host(
    podsync, server, make_podcast, home: Path
) -> None:
    podcasts = [make_podcast(f"p{n}", f"P{n}", 1) for n in range(6)]
    podsync("subscribe", *(p.url for p in podcasts))
    (home / "config" / "config.toml").write_text("[fetch]\nrefresh_workers = 6\nper_host = 2\n")
    lock = threading.Lock()
    active, peak = 0, 0
    more_than_two = threading.Event()

    def slow_feed(resource):
        def fault(handler) -> None:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
                if active > 2:
                    more_than_two.set()
            more_than_two.wait(1)  # hold the connection open: would a third one come?
            with lock:
                active -= 1
            serve(handler, resource)

        return fault

    for podcast in podcasts:
        path = f"/{podcast.slug}/feed.xml"
        server.faults[path] = slow_feed(server.resources[path])
    assert "Refreshed 6 feeds" in podsync("fetch").stdout
    assert peak == 2
