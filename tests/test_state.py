"""The state database: schema versioning, upserts, crash safety."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import database_at
from podsync.errors import StateError
from podsync.identity import episode_key
from podsync.model import FeedEntry
from podsync.schema import SCHEMA_VERSION
from podsync.state import State


def entry(guid: str, title: str = "t", published: float = 1.0) -> FeedEntry:
    return FeedEntry(guid, title, "", f"http://h/{guid}.mp3", "audio/mpeg", 10, "mp3", published)


def test_new_database_gets_the_current_schema(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        assert state.integrity_check() == "ok"
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_upsert_counts_new_episodes_and_ignores_duplicates(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        podcast = state.add_podcast("http://h/feed", "Pod")
        assert state.upsert_entries(podcast, [entry("a"), entry("b")]) == 2
        assert state.upsert_entries(podcast, [entry("a", "renamed"), entry("c")]) == 1
        episodes = {e.guid: e for e in state.episodes()}
        assert sorted(episodes) == ["a", "b", "c"]
        assert episodes["a"].title == "renamed"
        assert episodes["a"].key == episode_key("url:h/feed", "a")


def test_cached_flag_round_trips(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        podcast = state.add_podcast("http://h/feed", "Pod")
        state.upsert_entries(podcast, [entry("a")])
        key = state.episodes()[0].key
        state.set_cached(key, "Pod/a.mp3", 10)
        assert [e.cache_path for e in state.episodes(cached=True)] == ["Pod/a.mp3"]
        assert state.episodes(cached=False) == []
        state.set_cached(key, None)
        assert state.episodes(cached=True) == []


def test_unreadable_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="cannot open state database"):
        State(path)


def test_failed_migration_leaves_the_old_version(tmp_path: Path, monkeypatch) -> None:
    import podsync.schema as state_module

    path = tmp_path / "s.db"
    State(path).close()
    monkeypatch.setattr(
        state_module, "MIGRATIONS", (*state_module.MIGRATIONS, "CREATE TABLE x (a); SELECT broken(")
    )
    monkeypatch.setattr(state_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StateError):
        State(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'x'").fetchall() == []
    db.close()


def test_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:

    path = tmp_path / "s.db"
    db = database_at(path, 1)
    db.execute("INSERT INTO podcasts (url, title, added_at) VALUES ('http://h/f', 'Pod', 0)")
    db.commit()
    db.close()
    with State(path) as state:
        podcast = state.podcasts()[0]
        state.upsert_entries(podcast, [entry("a")])
        key = state.episodes()[0].key
        assert state.mark_played([key, key]) == 1
        assert state.played_keys() == {key}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_version_3_database_loses_the_quick_check(tmp_path: Path) -> None:

    path = tmp_path / "s.db"
    db = database_at(path, 3)
    db.execute(
        "INSERT INTO devices (id, name, path, folder, added_at) VALUES ('d', 'x', '/', '', 0)"
    )
    db.commit()
    db.close()
    with State(path) as state:
        assert [d.name for d in state.devices()] == ["x"]
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "generation" not in names and not any(n.endswith("_added") for n in names)
    columns = {r[1] for r in db.execute("PRAGMA table_info(devices)")}
    assert "quick_check" not in columns
    db.close()


def test_version_4_database_gets_its_titles_cleaned(tmp_path: Path) -> None:

    path = tmp_path / "s.db"
    db = database_at(path, 4)
    db.execute(
        "INSERT INTO podcasts (url, title, error, added_at)"
        " VALUES ('http://h/f', 'Pod\x1b]52;c;cm0gLXJmIH4=\x07cast', 'bad\x9b2J', 0)"
    )
    db.execute(
        "INSERT INTO episodes (key, podcast_id, guid, title, author, url)"
        " VALUES ('k', 1, 'g', ?, 'A\u202eB', 'http://h/1.mp3')",
        ("Line one\nline two " + "x" * 2000,),
    )
    db.commit()
    db.close()
    with State(path) as state:
        podcast = state.podcasts()[0]
        assert podcast.title == "Pod]52;c;cm0gLXJmIH4=cast"
        assert podcast.error == "bad2J"
        episode = state.episodes()[0]
        assert episode.title.startswith("Line one line two xxx") and len(episode.title) == 500
        assert episode.author == "AB"


def test_version_5_database_gains_profiles_and_feed_images(tmp_path: Path) -> None:

    path = tmp_path / "s.db"
    db = database_at(path, 5)
    db.execute(
        "INSERT INTO devices (id, name, path, folder, added_at) VALUES ('d', 'old', '/', '', 0)"
    )
    db.execute("INSERT INTO podcasts (url, title, added_at) VALUES ('http://h/f', 'Pod', 0)")
    db.commit()
    db.close()
    with State(path) as state:
        [old] = state.devices()
        assert old.name == "old" and old.profile is None  # an old player has no profile
        new = state.add_device("e", "clip", "/m", "Podcasts", "mp3-player")
        assert new.profile == "mp3-player"
        assert state.image_urls() == {}
        state.set_image_url(state.podcasts()[0].id, "http://h/cover.jpg")
        assert state.image_urls() == {"Pod": "http://h/cover.jpg"}


def test_database_of_the_previous_version_gains_chosen_titles_and_unsubscribing(
    tmp_path: Path,
) -> None:

    previous = 6  # before version 7 added chosen titles
    path = tmp_path / "s.db"
    db = database_at(path, previous)
    db.execute("INSERT INTO podcasts (url, title, added_at) VALUES ('http://h/f', 'Pod', 0)")
    db.commit()
    db.close()
    with State(path) as state:
        podcast = state.podcasts()[0]
        state.upsert_entries(podcast, [entry("a")])
        state.record_refresh(podcast.id, title="Feed title")
        assert state.podcasts()[0].title == "Feed title"
        state.rename_podcast(podcast.id, "Mine")
        state.record_refresh(podcast.id, title="Feed title")
        assert state.podcasts()[0].title == "Mine"
        key = state.episodes()[0].key
        state.unsubscribe(podcast.id)
        assert state.podcasts() == [] and state.unsubscribed_keys() == {key}
        assert state.episodes(offered=True) == []


def test_version_8_scrobbler_offset_becomes_a_log_position(tmp_path: Path) -> None:
    from podsync.model import LogPosition

    path = tmp_path / "s.db"
    db = database_at(path, 8)
    db.execute(
        "INSERT INTO devices (id, name, path, folder, added_at, scrobbler_offset)"
        " VALUES ('d', 'x', '/', '', 0, 321)"
    )
    db.commit()
    db.close()
    with State(path) as state:
        assert state.scrobbler_positions("d") == {".scrobbler.log": LogPosition(321, "")}
        state.set_scrobbler_positions("d", {".scrobbler-timeless.log": LogPosition(5, "ab")})
        assert state.scrobbler_positions("d") == {".scrobbler-timeless.log": LogPosition(5, "ab")}
