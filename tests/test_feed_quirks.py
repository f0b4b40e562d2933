"""Feeds as the real web writes them: odd dates, missing parts, duplicates, relative links.

Small hand-written fixtures in the spirit of gPodder's podcastparser tests; each
is parsed by :func:`podsync.feeds.parse_feed`, and one test runs them through the
real command, where names in the cache must stay safe.
"""

from __future__ import annotations

import calendar
import json
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
    assert title == ""  # a feed without a title does not rename its podcast
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
    assert [(e.ext, e.size) for e in entries] == [("m4a", None), ("ogg", None), ("mp4", None)]


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


def test_media_content_mime_extensions_and_a_stray_empty_item() -> None:
    media = 'xmlns:media="http://search.yahoo.com/mrss/"'
    body = rss(
        "",
        '<title>Only media</title><guid>m</guid><media:content url="http://cdn/m"'
        ' type="audio/x-m4a" fileSize="1234"/>',
        "<title>MP4</title>" + enclosure("http://cdn/stream?id=1", "audio/mp4"),
        "<title>AAC</title>" + enclosure("http://cdn/aac", "audio/aac"),
        "<title>WAV</title>" + enclosure("http://cdn/wav", "audio/wav; codecs=1"),
    ).replace(b'<rss version="2.0">', f'<rss version="2.0" {media}>'.encode())
    _, entries = parse_feed(body, FEED_URL)
    assert [(e.title, e.url, e.ext, e.size) for e in entries] == [
        ("Only media", "http://cdn/m", "m4a", 1234),
        ("MP4", "http://cdn/stream?id=1", "m4a", 1000),
        ("AAC", "http://cdn/aac", "aac", 1000),
        ("WAV", "http://cdn/wav", "wav", 1000),
    ]


def moved_feed(title: str, new_url: str, episodes: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/'
        'podcast-1.0.dtd" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{title}</title>{extra}"
        + (f"<itunes:new-feed-url>{new_url}</itunes:new-feed-url>" if new_url else "")
        + episodes
        + "</channel></rss>"
    ).encode()


def test_new_feed_url_and_paged_feeds_through_the_command(podsync, server) -> None:
    def item(n: int) -> str:
        return (
            f"<item><title>Part {n}</title><guid>p{n}</guid><pubDate>"
            f"{time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(1.7e9 + n * 86400))}"
            f"</pubDate>{enclosure(server.url(f'ep{n}.mp3'))}</item>"
        )

    for n in range(1, 6):
        server.add(f"ep{n}.mp3", b"\xff\xfb\x90\xc0" + bytes(400), "audio/mpeg")
    # The old address announces the move; the new one is paged, and its last page
    # points back at its first (a loop is not followed).
    new = server.url("new/feed.xml")
    server.add("old.xml", moved_feed("Moving", new, item(1)), "application/rss+xml")
    nxt = '<atom:link rel="next" href="{}"/>'
    server.add(
        "new/feed.xml",
        moved_feed("Moving", "", item(5) + item(4), nxt.format("page2.xml")),
        "application/rss+xml",
    )
    server.add(
        "new/page2.xml",
        moved_feed("Moving", "", item(3) + item(4), nxt.format("page3.xml")),
        "application/rss+xml",
    )
    server.add(
        "new/page3.xml",
        moved_feed("Moving", "", item(2), nxt.format(new)),
        "application/rss+xml",
    )
    podsync("subscribe", server.url("old.xml"))
    listed = json.loads(podsync("list", "--json").stdout)["podcasts"]
    assert listed[0]["url"] == new and listed[0]["episodes"] == 1
    podsync("fetch", "--refresh-only")
    listed = json.loads(podsync("list", "--json").stdout)["podcasts"]
    assert listed[0]["episodes"] == 5
    assert server.requests["/old.xml"] == 1 and server.requests["/new/feed.xml"] == 1
    assert server.requests["/new/page3.xml"] == 1


def test_only_the_channels_own_title_names_the_podcast() -> None:
    from podsync.feeds.parse import parse_document

    body = rss(
        "<title>One</title>" + enclosure("http://cdn/1.mp3"),
        channel=(
            '<title>Real Name</title><podcast:guid xmlns:podcast="https://podcastindex.org/'
            'namespace/1.0">ead4c236-bf58-58c6-a2c6-a6b28d128cb6</podcast:guid>'
            '<podcast:liveItem xmlns:podcast="https://podcastindex.org/namespace/1.0"'
            ' status="live"><title>LIVE NOW</title></podcast:liveItem>'
        ),
    )
    title, _image, _entries, guid = parse_document(body, FEED_URL)
    assert title == "Real Name" and guid == "ead4c236-bf58-58c6-a2c6-a6b28d128cb6"


def test_atom_ids_are_taken_as_written() -> None:
    def atom(*entries: tuple[str, str]) -> bytes:
        parts = [
            f'<entry xml:base="http://cdn/{base}/"><id>{eid}</id><title>{eid}</title>'
            f'<link rel="enclosure" href="{eid}.mp3" type="audio/mpeg"/></entry>'
            for eid, base in entries
        ]
        return (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            + "".join(parts)
            + "</feed>"
        ).encode()

    _, first = parse_feed(atom(("ep-1", "x"), ("ep-2", "y")), FEED_URL)
    _, swapped = parse_feed(atom(("ep-2", "x"), ("ep-1", "y")), FEED_URL)
    assert [e.guid for e in first] == ["ep-1", "ep-2"]
    assert sorted(e.guid for e in swapped) == ["ep-1", "ep-2"]
