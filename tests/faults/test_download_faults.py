"""Downloads that lie: enclosures with no, a zero or a false length, bodies that never end,
and files that change between a download and its resume."""

from __future__ import annotations

import os
import re
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from http_faults import drop_after, endless_audio
from podsync.cli.demo_server import silent_mp3

from .support import assert_cache_consistent, cached_titles, trickle, write_config

TMPFS_MB = 12
RESERVE_MB = 5


@pytest.fixture
def small_cache(cache_on_tmpfs) -> Path:
    """The cache folder on a 12 MB tmpfs."""
    return cache_on_tmpfs(TMPFS_MB)


def feed(base_url: str, items: list[tuple[str, str, str | None]], title: str = "Liar") -> bytes:
    """An RSS feed of (title, path, length attribute or None for none) items, newest first."""
    now = time.time()
    xml = "".join(
        f"<item><title>{title}</title><guid>{path}</guid>"
        f"<pubDate>{formatdate(now - n * 60, usegmt=True)}</pubDate>"
        f'<enclosure url="{base_url}/{path}" type="audio/mpeg"'
        + (f' length="{length}"' if length is not None else "")
        + "/></item>"
        for n, (title, path, length) in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{xml}'
        "</channel></rss>"
    ).encode()


class LowestFree:
    """Samples the free space of a file system while a command runs; keeps the lowest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lowest = self.free()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def free(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.lowest = min(self.lowest, self.free())

    def __enter__(self) -> LowestFree:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def beside_a_runaway(
    podsync, server, home: Path, length: str | None, others: dict[str, bytes]
) -> None:
    """Subscribe to a feed of the endless episode (stating ``length``) and ``others``
    (title → body, served at ``liar/1.mp3``, ``liar/2.mp3``…, with their sizes stated), on a
    cache with its reserve."""
    items = [("Endless", "liar/endless.mp3", length)]
    for n, (title, body) in enumerate(others.items(), 1):
        server.add(f"liar/{n}.mp3", body, "audio/mpeg")
        items.append((title, f"liar/{n}.mp3", str(len(body))))
    url = server.add("liar/feed.xml", feed(server.base_url, items), "application/rss+xml")
    write_config(home, f'[fetch]\ncache_reserve = "{RESERVE_MB} MiB"\n')
    podsync("subscribe", url)


@pytest.mark.parametrize(
    ("length", "server_length"),
    [
        (None, None),  # no length in the feed, a body that runs until the connection closes
        ("0", None),  # the common "length=0"
        ("1000", 10**9),  # the feed says 1 kB, the server says (and sends) 1 GB
    ],
    ids=["missing", "zero", "lie"],
)
def test_the_cache_reserve_holds_during_a_download_that_never_ends(
    podsync, server, small_cache: Path, home: Path, length: str | None, server_length: int | None
) -> None:
    good = silent_mp3(8)  # about 130 kB each
    server.faults["/liar/endless.mp3"] = endless_audio(server_length)
    beside_a_runaway(podsync, server, home, length, {"Good one": good, "Good two": good})

    with LowestFree(small_cache) as disk:
        result = podsync("fetch", check=1, timeout=120)
    assert "Traceback" not in result.stderr
    assert "podsync: error: download Liar — Endless: stopped after" in result.stderr
    assert f"the cache's disk is down to fetch.cache_reserve ({RESERVE_MB * 1.048576:.1f} MB" in (
        result.stderr
    )
    said = "the feed gave no size" if length in (None, "0") else "the feed said 1.0 kB"
    assert said in result.stderr
    # The reserve held (give or take one chunk per download), the others were downloaded,
    # and no partial file is left filling the disk.
    assert disk.lowest > (RESERVE_MB - 2) * 2**20, disk.lowest
    assert cached_titles(home) == {"Good one", "Good two"}
    assert [p.name for p in small_cache.rglob(".*")] == []
    assert_cache_consistent(home)
    assert disk.free() > (TMPFS_MB - 1) * 2**20


def test_a_runaway_download_leaves_room_for_the_honest_ones_in_flight(
    podsync, server, small_cache: Path, home: Path
) -> None:
    """Two slow downloads of stated size are in flight while one without a size fills the
    disk: it stops while there is still room for what they have to come, and they complete
    (they never see the disk at the reserve because of it)."""
    good = silent_mp3(64)  # about 1 MB each
    for n in (1, 2):
        server.faults[f"/liar/{n}.mp3"] = trickle(good, chunk=16384, pause=0.02)
    server.faults["/liar/endless.mp3"] = endless_audio(None)
    beside_a_runaway(podsync, server, home, None, {"Slow one": good, "Slow two": good})

    result = podsync("fetch", check=1, timeout=120)

    stopped = re.search(
        r"Endless: stopped after ([0-9.]+) MB .*kept for the downloads", result.stderr
    )
    assert stopped, result.stderr
    room = (TMPFS_MB - RESERVE_MB) * 2**20 / 1e6  # 7.3 MB above the reserve
    assert float(stopped[1]) < room - 1.5  # the slow ones' megabytes were left free
    assert "Slow" not in result.stderr
    assert cached_titles(home) == {"Slow one", "Slow two"}
    assert_cache_consistent(home)


def test_a_resume_never_joins_two_versions_of_a_file(podsync, server, home: Path) -> None:
    """Dynamic ad insertion: the same URL serves other bytes on the next request."""
    first = silent_mp3(20) + b"ad for shoes" * 1000
    second = b"ad for cars!" * 3000 + silent_mp3(20)
    path = "ads/episode.mp3"
    server.add(path, first, "audio/mpeg")
    resource = server.resources["/" + path]
    url = server.add(
        "ads/feed.xml",
        feed(server.base_url, [("Episode", path, str(len(first)))], "Ads"),
        "application/rss+xml",
    )
    podsync("subscribe", url)
    server.faults["/" + path] = drop_after(resource, 100_000)
    assert "podsync: error: download Ads — Episode" in podsync("fetch", check=1).stderr
    [partial] = (home / "cache" / "episodes").rglob(".*.part")
    held = partial.stat().st_size
    assert 0 < held < len(first) and partial.read_bytes() == first[:held]

    # The file changes; the resume asks with If-Range, gets the new file whole, and keeps it.
    del server.faults["/" + path]
    server.add(path, second, "audio/mpeg")
    server.log.clear()
    podsync("fetch")
    [(_, headers)] = [(p, h) for p, h in server.log if p == "/" + path]
    assert headers["Range"] == f"bytes={held}-"
    assert headers["If-Range"].startswith('"')
    [final] = (home / "cache" / "episodes").rglob("*.mp3")
    assert final.read_bytes() == second
    assert [p.name for p in (home / "cache" / "episodes").rglob(".*")] == []
    assert_cache_consistent(home)


def test_a_server_that_answers_a_resume_with_the_wrong_part_starts_over(
    podsync, server, home: Path
) -> None:
    """A server that ignores If-Range and sends a 206 of its new file is caught by its ETag."""
    first = silent_mp3(20)
    second = b"ad" * 50_000 + silent_mp3(20)
    path = "ads/episode.mp3"
    server.add(path, first, "audio/mpeg")
    url = server.add(
        "ads/feed.xml",
        feed(server.base_url, [("Episode", path, str(len(first)))], "Ads"),
        "application/rss+xml",
    )
    podsync("subscribe", url)
    server.faults["/" + path] = drop_after(server.resources["/" + path], 100_000)
    podsync("fetch", check=1)

    def partial_regardless(handler) -> None:  # Range honoured, If-Range ignored
        start = int(handler.headers["Range"][6:-1])
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{len(second) - 1}/{len(second)}")
        handler.send_header("Content-Length", str(len(second) - start))
        handler.send_header("ETag", '"the-new-one"')
        handler.end_headers()
        handler.wfile.write(second[start:])

    server.faults["/" + path] = partial_regardless
    err = podsync("fetch", check=1).stderr
    assert "answered a resume with another part of the file; it will start over" in err
    assert list((home / "cache" / "episodes").rglob("*.mp3")) == []
    assert list((home / "cache" / "episodes").rglob(".*")) == []
    del server.faults["/" + path]
    server.add(path, second, "audio/mpeg")
    podsync("fetch")
    [final] = (home / "cache" / "episodes").rglob("*.mp3")
    assert final.read_bytes() == second


@pytest.mark.parametrize(
    ("validators", "if_range"),
    [
        ({"ETag": 'W/"weak"', "Last-Modified": "Sun, 01 Nov 2026 10:00:00 GMT"}, "date"),
        ({}, None),
    ],
    ids=["weak-etag-and-date", "no-validator"],
)
def test_a_resume_uses_the_date_without_a_strong_etag_and_nothing_without_a_validator(
    podsync, server, home: Path, validators: dict[str, str], if_range: str | None
) -> None:
    body = silent_mp3(20)
    path = "v/episode.mp3"
    server.add(path, body, "audio/mpeg")
    url = server.add(
        "v/feed.xml", feed(server.base_url, [("Episode", path, str(len(body)))], "V"), "text/xml"
    )
    podsync("subscribe", url)

    def cut_off(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in validators.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body[:100_000])
        handler.close_connection = True

    server.faults["/" + path] = cut_off
    podsync("fetch", check=1)
    del server.faults["/" + path]
    server.log.clear()
    podsync("fetch")
    [(_, headers)] = [(p, h) for p, h in server.log if p == "/" + path]
    if if_range is None:  # nothing to prove it is the same file: start from zero
        assert "Range" not in headers and "If-Range" not in headers
    else:
        assert headers["If-Range"] == validators["Last-Modified"]
        assert headers["Range"].startswith("bytes=")
    [final] = (home / "cache" / "episodes").rglob("*.mp3")
    assert final.read_bytes() == body
