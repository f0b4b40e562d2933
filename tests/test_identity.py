"""Stable identities: feeds across URL moves, episodes across guid churn and computers."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from conftest import Run, database_at, media_files
from http_faults import redirect
from podsync.identity import episode_identity, episode_key, feed_identity, normalize_url
from podsync.model import Episode, FeedEntry
from podsync.player.adopt import rekeyed
from podsync.player.manifest import Entry
from podsync.state import State


def test_a_feed_url_is_normalised() -> None:
    same = [
        "http://Example.ORG/feed/",
        "https://example.org/feed",
        "https://example.org:443/feed/",
        "http://example.org:80/feed",
    ]
    assert {normalize_url(u) for u in same} == {"example.org/feed"}
    assert normalize_url("http://example.org:8080/feed?id=1") == "example.org:8080/feed?id=1"
    assert feed_identity("http://a/x", "  917393E3-1B1E-5CEF-ACE4-EDAA54E1F810 ") == (
        "guid:917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    assert feed_identity("http://a/x/") == feed_identity("https://A/x") == "url:a/x"


def test_an_episode_is_its_guid_else_its_enclosure_without_query_else_title_and_date() -> None:
    assert episode_identity("g1", "http://cdn/a.mp3?t=1", "A", 5) == "g1"
    assert episode_identity("", "http://cdn/a.mp3?t=1", "A", 5) == "http://cdn/a.mp3"
    assert episode_identity(" ", "", "A", 5.5) == "A\n5"


def entry(guid: str, url: str, title: str = "t") -> FeedEntry:
    return FeedEntry(guid, title, "", url, "audio/mpeg", 10, "mp3", 1.0)


def test_guid_churn_keeps_the_episode_and_its_key(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        podcast = state.add_podcast("http://h/feed", "Pod")
        assert state.upsert_entries(podcast, [entry("g1", "http://cdn/a.mp3?ad=1")]) == 1
        (before,) = state.episodes()
        # Every fetch of a broken feed makes a new guid (and the ad server a new query).
        for n in range(2, 5):
            assert state.upsert_entries(podcast, [entry(f"g{n}", f"http://cdn/a.mp3?ad={n}")]) == 0
        (after,) = state.episodes()
        assert after.key == before.key and after.guid == "g4"
        # A really new episode is still new.
        assert state.upsert_entries(podcast, [entry("g5", "http://cdn/b.mp3")]) == 1


def test_a_move_rekeys_and_records_it(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        podcast = state.add_podcast("http://old.example/feed", "Pod")
        state.upsert_entries(podcast, [entry("g1", "http://cdn/a.mp3")])
        old = state.episodes()[0].key
        state.move_podcast(podcast.id, "https://new.example/feed/")
        new = state.episodes()[0].key
        assert new == episode_key("url:new.example/feed", "g1") != old
        assert state.key_moves() == {old: new}
        # A podcast:guid, once seen, is the identity from then on; moves then change nothing.
        state.set_feed_guid(podcast.id, "https://new.example/feed", "ABC")
        by_guid = state.episodes()[0].key
        assert by_guid == episode_key("guid:abc", "g1")
        state.move_podcast(podcast.id, "https://third.example/feed")
        assert state.episodes()[0].key == by_guid


def test_version_9_database_gets_stable_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = database_at(path, 9)
    url = "https://Example.org/feed/"
    old = hashlib.sha1(f"{url}\ng1".encode()).hexdigest()[:16]  # the key of version 9
    db.execute("INSERT INTO podcasts (id, url, title, added_at) VALUES (1, ?, 'Pod', 0)", (url,))
    db.execute(
        "INSERT INTO episodes (key, podcast_id, guid, title, url) VALUES (?, 1, 'g1', 't', 'u')",
        (old,),
    )
    db.execute(
        "INSERT INTO devices (id, name, path, folder, added_at) VALUES ('d', 'x', '/', '', 0)"
    )
    db.execute("INSERT INTO device_files VALUES ('d', 'P/a.mp3', ?, 10)", (old,))
    db.commit()
    db.close()
    with State(path) as state:
        (episode,) = state.episodes()
        assert episode.key == episode_key("url:example.org/feed", "g1")
        assert state.key_moves() == {old: episode.key}
    db = sqlite3.connect(path)
    assert db.execute("SELECT episode_key FROM device_files").fetchone()[0] == episode.key
    db.close()


def test_manifest_entries_with_other_keys_are_rekeyed() -> None:
    files = {
        "P/a.mp3": Entry("old-a", 1, "Pod", "A", 10.0, "mp3"),
        "P/b.mp3": Entry("other-b", 1, "POD", "B", 20.0, "mp3"),
        "P/c.mp3": Entry("key-c", 1, "Pod", "C", 30.0, "mp3"),
        "Q/x.mp3": Entry("unknown", 1, "Other", "X", 1.0, "mp3"),
        "P/d.mp3": Entry("old-d", 1, "Pod", "D", 40.0, "mp3"),
    }

    def episode(key: str, title: str, published: float) -> Episode:
        return Episode(key, 1, "Pod", key, title, "", "u", None, "mp3", published, None)

    episodes = [
        episode("key-a", "A", 10.0),
        episode("key-b", "B", 20.0),
        episode("key-c", "C", 30.0),
        episode("key-d1", "D", 40.0),  # two episodes with D's tags: not guessed
        episode("key-d2", "D", 40.0),
    ]
    assert rekeyed(files, {"old-a": "key-a"}, episodes) == {"P/a.mp3": "key-a", "P/b.mp3": "key-b"}


def test_a_moved_feed_subscribed_differently_on_two_homes_gives_one_copy(
    make_podcast, fat_player, server, tmp_path: Path
) -> None:
    player = fat_player()
    show = make_podcast("news", "News", 3)
    a, b = Run(tmp_path / "a"), Run(tmp_path / "b")
    a("subscribe", show.url)
    a("fetch")
    a("device", "add", str(player), "--name", "clip")
    a("push")
    assert len(media_files(player)) == 3

    # The feed moves for good; home B subscribes at the new address (with a trailing slash).
    body = server.resources["/news/feed.xml"].body
    server.add("moved/feed.xml", body, "application/rss+xml")
    server.add("moved/feed.xml/", body, "application/rss+xml")
    server.faults["/news/feed.xml"] = redirect(server.url("moved/feed.xml"), 301)
    b("subscribe", server.url("moved/feed.xml/"))
    b("fetch")
    b("device", "add", str(player), "--name", "clip")
    assert "up to date" in b("push").stdout
    assert len(media_files(player)) == 3
    a("fetch")  # A follows the 301
    assert "up to date" in a("push").stdout

    # A new episode, fetched by both: one copy.
    show.add_episode("News episode 4", time.time())
    new = server.resources["/news/feed.xml"].body
    server.add("moved/feed.xml", new, "application/rss+xml")
    server.add("moved/feed.xml/", new, "application/rss+xml")
    for home in (a, b):
        home("fetch")
    assert "copied 1" in b("push").stdout
    for home in (a, b):
        assert "up to date" in home("push").stdout
    assert len(media_files(player)) == 4


def test_an_empty_title_never_renames_a_podcast(podsync, make_podcast) -> None:
    show = make_podcast("news", "Daily News", 1)
    podsync("subscribe", show.url)
    show.title = ""
    show.add_episode("Later", time.time())
    podsync("fetch")
    (podcast,) = json.loads(podsync("list", "--json").stdout)["podcasts"]
    assert podcast["title"] == "Daily News"
    assert [p.parent.name for p in (podsync.home / "cache" / "episodes").rglob("*.mp3")] == [
        "Daily News",
        "Daily News",
    ]


def test_a_player_written_with_old_keys_is_taken_over(podsync, make_podcast, player: Path) -> None:
    show = make_podcast("news", "News", 3)
    podsync("subscribe", show.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    # What an older podsync wrote: keys hashed from the feed's URL and the guid.
    path = player / ".podsync" / "manifest.json"
    data = json.loads(path.read_text())
    guids = {e.title: e.guid for e in show.episodes}
    for entry in data["files"].values():
        old = f"{show.url}\n{guids[entry['title']]}"
        entry["key"] = hashlib.sha1(old.encode()).hexdigest()[:16]
    path.write_text(json.dumps(data))
    out = podsync("push").stdout
    assert "up to date" in out  # nothing copied twice, nothing deleted
    assert len(media_files(player)) == 3
    keys = {e["key"] for e in json.loads(path.read_text())["files"].values()}
    feed = feed_identity(show.url)
    assert keys == {episode_key(feed, e.guid) for e in show.episodes}  # re-keyed


def test_one_feed_by_another_address_is_already_subscribed(podsync, make_podcast, server) -> None:
    show = make_podcast("news", "News", 1)
    podsync("subscribe", show.url)
    server.add("news/feed.xml/", server.resources["/news/feed.xml"].body, "application/rss+xml")
    err = podsync("subscribe", show.url + "/", check=2).stderr
    assert f"already subscribed to {show.url}, the same feed as {show.url}/" in err
