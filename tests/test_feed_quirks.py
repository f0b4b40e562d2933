"""Feeds as the real web writes them: odd dates, missing parts, duplicates, relative links.

Small hand-written fixtures in the spirit of gPodder's podcastparser tests; each
is parsed by :func:`podsync.feeds.parse_feed`, and one test runs them through the
real command, where names in the cache must stay safe.
"""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest

from conftest import Podcast
from podsync.errors import FeedError
from podsync.feeds.parse import parse_feed

FEED_URL = "http://podcasts.example/shows/quirks/feed.xml"


def rss(*items: str, channel: str = "<title>Quirks</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        + channel
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    ).encode()


def enclosure(url: str, mime: str = "audio/mpeg", length: str = "1000") -> str:
    return f'<enclosure url="{url}" type="{mime}" length="{length}"/>'


def test_identity_is_the_guid_or_else_the_enclosure_url() -> None:
    _, entries = parse_feed(
        rss(
            "<title>A</title><guid>tag:a</guid>" + enclosure("http://cdn/a.mp3"),
            "<title>B</title>" + enclosure("http://cdn/b.mp3"),
        ),
        FEED_URL,
    )
    assert [e.guid for e in entries] == ["tag:a", "http://cdn/b.mp3"]


def test_duplicate_guids_keep_the_first_item() -> None:
    _, entries = parse_feed(
        rss(
            "<title>First</title><guid>same</guid>" + enclosure("http://cdn/1.mp3"),
            "<title>Second</title><guid>same</guid>" + enclosure("http://cdn/2.mp3"),
        ),
        FEED_URL,
    )
    assert [(e.title, e.url) for e in entries] == [("First", "http://cdn/1.mp3")]


def test_items_without_media_are_skipped() -> None:
    _, entries = parse_feed(
        rss(
            "<title>Blog post</title><link>http://x/post</link>",
            "<title>Image</title>" + enclosure("http://cdn/cover.jpg", "image/jpeg"),
            "<title>Empty url</title>" + enclosure(""),
            "<title>Audio</title>" + enclosure("http://cdn/a.mp3"),
        ),
        FEED_URL,
    )
    assert [e.title for e in entries] == ["Audio"]


def test_relative_enclosure_urls_resolve_against_the_feed() -> None:
    _, entries = parse_feed(
        rss(
            "<title>A</title>" + enclosure("media/a.mp3"),
            "<title>B</title>" + enclosure("/root/b.mp3"),
            "<title>C</title>" + enclosure("//cdn.example/c.mp3"),
        ),
        FEED_URL,
    )
    assert [e.url for e in entries] == [
        "http://podcasts.example/shows/quirks/media/a.mp3",
        "http://podcasts.example/root/b.mp3",
        "http://cdn.example/c.mp3",
    ]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Tue, 03 Jun 2008 11:05:30 GMT", (2008, 6, 3, 11, 5, 30)),
        ("Tue, 03 Jun 2008 11:05:30 +0200", (2008, 6, 3, 9, 5, 30)),
        ("03 Jun 2008 11:05:30 EST", (2008, 6, 3, 16, 5, 30)),
        ("2008-06-03T11:05:30Z", (2008, 6, 3, 11, 5, 30)),
        ("Tuesday, June 3rd, sometime", None),
        ("", None),
    ],
)
def test_odd_dates_parse_or_count_as_undated(date: str, expected: tuple | None) -> None:
    _, [entry] = parse_feed(
        rss(f"<title>A</title><pubDate>{date}</pubDate>" + enclosure("http://cdn/a.mp3")),
        FEED_URL,
    )
    if expected is None:
        assert entry.published == 0.0
    else:
        assert entry.published == calendar.timegm((*expected, 0, 0, 0))


def test_missing_titles_fall_back_to_the_file_name() -> None:
    title, entries = parse_feed(
        rss(
            enclosure("http://cdn/episode-42.mp3"),
            "<title>   </title>" + enclosure("http://cdn/ep43.mp3?token=x"),
            channel="",
        ),
        FEED_URL,
    )
    assert title == "feed"
    assert [e.title for e in entries] == ["episode-42", "ep43"]


def test_type_and_length_quirks() -> None:
    _, entries = parse_feed(
        rss(
            "<title>No type</title>" + enclosure("http://cdn/a.m4a", mime="", length=""),
            "<title>Bad length</title>" + enclosure("http://cdn/b", "audio/ogg", "12 MB"),
            "<title>Video</title>" + enclosure("http://cdn/v.mp4", "video/mp4", "-1"),
        ),
        FEED_URL,
    )
    assert [(e.ext, e.size) for e in entries] == [("m4a", None), ("oga", None), ("mp4", None)]


def test_atom_enclosure_links() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>'
        b"<entry><id>urn:1</id><title>One</title><updated>2020-01-02T03:04:05Z</updated>"
        b'<link rel="enclosure" href="one.opus" type="audio/ogg" length="5"/></entry></feed>'
    )
    title, [entry] = parse_feed(atom, FEED_URL)
    assert title == "Atom"
    assert (entry.guid, entry.url, entry.ext, entry.size) == (
        "urn:1",
        "http://podcasts.example/shows/quirks/one.opus",
        "opus",
        5,
    )


def test_feed_of_only_blog_posts_is_refused() -> None:
    with pytest.raises(FeedError, match="no audio episodes"):
        parse_feed(rss("<title>Post</title>"), FEED_URL)


HOSTILE_TITLES = [
    "../../etc/passwd",
    "CON",
    "con.mp3",
    "x" * 300,
    "🎧🎙️ Emoji only? 🎧",
    "🎧🎙️",
    "",
    "CON",
    "a\x00b\x1fc",
]


def test_hostile_titles_give_safe_unique_stable_cache_names(podsync, server, home: Path) -> None:
    podcast = Podcast(server, "hostile", "../../etc/passwd")
    for n, title in enumerate(HOSTILE_TITLES):
        podcast.add_episode(title, time.time() - n * 3600)
    other = Podcast(server, "con", "CON")
    other.add_episode("AUX", time.time())
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[filters]\nkeep = 20\n")
    podsync("subscribe", podcast.url, other.url)
    out = podsync("fetch").stdout
    assert f"Downloaded {len(HOSTILE_TITLES) + 1} episodes" in out

    cache = (home / "cache" / "episodes").resolve()
    files = sorted(p for p in cache.rglob("*") if p.is_file())
    assert len(files) == len(HOSTILE_TITLES) + 1
    assert {p.parent.name for p in files} == {"-..-etc-passwd", "_CON"}  # one folder each
    served = sorted(server.resources["/" + e.path].body for e in podcast.episodes + other.episodes)
    assert sorted(p.read_bytes() for p in files) == served
    for path in files:
        assert path.resolve().is_relative_to(cache)
        name = path.name
        assert 0 < len(name) <= 120 and not name.startswith(".")
        assert name.split(".")[0].rstrip().upper() not in {"CON", "AUX"}
        assert not any(ord(c) < 32 or ord(c) > 0xFFFF or c == "\ufe0f" for c in name)

    # Stable: a second fetch keeps every name, and downloads nothing.
    assert "Downloaded 0 episodes" in podsync("fetch").stdout
    assert sorted(p for p in cache.rglob("*") if p.is_file()) == files
