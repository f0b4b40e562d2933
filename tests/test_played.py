"""Played signals: the scrobbler log and episode selection."""

from __future__ import annotations

from pathlib import Path

from podsync.model import Episode, LogPosition
from podsync.player.manifest import Entry
from podsync.player.played import (
    listened,
    parse_row,
    read_log,
    read_scrobbles,
    select_episodes,
)

HEADER = "#AUDIOSCROBBLER/1.1\n#TZ/UNKNOWN\n#CLIENT/Rockbox ipodvideo $Revision$\n"


def row(album: str, title: str, rating: str = "L", ts: int = 1_700_000_000) -> str:
    return f"Artist\t{album}\t{title}\t3\t245\t{rating}\t{ts}\t\n"


def test_parse_row() -> None:
    scrobble = parse_row(row("Pod", "Ep 1").rstrip("\n"))
    assert scrobble is not None
    assert (scrobble.album, scrobble.title, scrobble.rating, scrobble.timestamp) == (
        "Pod",
        "Ep 1",
        "L",
        1_700_000_000,
    )
    assert parse_row("#TZ/UTC") is None and parse_row("too\tfew") is None


def test_read_only_new_complete_rows(tmp_path: Path) -> None:
    log = tmp_path / ".scrobbler.log"
    log.write_text(HEADER + row("Pod", "Ep 1") + row("Pod", "Ep 2", "S"))
    rows, pos = read_log(tmp_path, ".scrobbler.log", LogPosition())
    assert [(r.title, r.rating) for r in rows] == [("Ep 1", "L"), ("Ep 2", "S")]
    assert pos.offset == log.stat().st_size
    log.write_text(log.read_text() + row("Pod", "Ep 3") + "Artist\tPod\tEp 4")  # 4 half-written
    rows, pos2 = read_log(tmp_path, ".scrobbler.log", pos)
    assert [r.title for r in rows] == ["Ep 3"]
    assert pos2.offset == log.stat().st_size - len("Artist\tPod\tEp 4")


def test_a_shorter_log_is_read_from_the_start(tmp_path: Path) -> None:
    (tmp_path / ".scrobbler.log").write_text(HEADER + row("Pod", "Ep 9"))
    rows, _ = read_log(tmp_path, ".scrobbler.log", LogPosition(10_000, "x"))
    assert [r.title for r in rows] == ["Ep 9"]


def test_a_replaced_longer_log_is_read_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / ".scrobbler.log"
    log.write_text(HEADER + row("Pod", "Old", ts=1))
    _, pos = read_log(tmp_path, ".scrobbler.log", LogPosition())
    # Deleted by a PC tool; Rockbox starts a new log, longer than the old read position.
    log.write_text(HEADER + row("Pod", "New 1", ts=2) + row("Pod", "New 2", ts=3))
    assert log.stat().st_size > pos.offset
    rows, _ = read_log(tmp_path, ".scrobbler.log", pos)
    assert [r.title for r in rows] == ["New 1", "New 2"]


def test_an_old_offset_without_fingerprint_is_trusted_while_it_fits(tmp_path: Path) -> None:
    log = tmp_path / ".scrobbler.log"
    log.write_text(HEADER + row("Pod", "Ep 1") + row("Pod", "Ep 2"))
    rows, _ = read_log(
        tmp_path, ".scrobbler.log", LogPosition(len(HEADER + row("Pod", "Ep 1")), "")
    )
    assert [r.title for r in rows] == ["Ep 2"]


def test_both_logs_are_read(tmp_path: Path) -> None:
    (tmp_path / ".scrobbler.log").write_text(HEADER + row("Pod", "Clocked"))
    (tmp_path / ".scrobbler-timeless.log").write_text(HEADER + row("Pod", "Timeless", ts=0))
    rows, positions = read_scrobbles(tmp_path, {})
    assert sorted(r.title for r in rows) == ["Clocked", "Timeless"]
    assert read_scrobbles(tmp_path, positions)[0] == []


def test_no_log(tmp_path: Path) -> None:
    rows, positions = read_scrobbles(tmp_path, {})
    assert rows == [] and set(positions.values()) == {LogPosition()}


def test_listened_matches_tags_podsync_wrote() -> None:
    files = {
        "P/a.mp3": Entry("ka", 1, "My Pod", "Ep 1", 0, "mp3"),
        "P/b.mp3": Entry("kb", 1, "My Pod", "Ep 2", 0, "mp3"),
    }
    rows = [
        parse_row(r)
        for r in (row("my pod", "EP 1"), row("My Pod", "Ep 2", "S"), row("Other", "Ep 1"))
    ]
    assert listened([r for r in rows if r], files) == {"ka"}


def test_case_is_ignored_only_when_unambiguous() -> None:
    files = {
        "P/a.mp3": Entry("lower", 1, "Pod", "episode one", 0, "mp3"),
        "P/b.mp3": Entry("upper", 1, "Pod", "EPISODE ONE", 0, "mp3"),
    }
    assert listened([parse_row(row("Pod", "EPISODE ONE").strip())], files) == {"upper"}
    assert listened([parse_row(row("Pod", "Episode One").strip())], files) == set()
    assert listened([parse_row(row("POD", "episode one").strip())], files) == set()


def test_select_episodes() -> None:
    def episode(podcast: str, title: str) -> Episode:
        return Episode(title, 1, podcast, title, title, "", "u", None, "mp3", 0, None)

    all_eps = [
        episode("Tech Talk", "Rust and you"),
        episode("Tech Talk", "Python"),
        episode("Cooking", "Rust on pans"),
    ]
    assert [e.title for e in select_episodes(all_eps, "tech talk", [])] == [
        "Rust and you",
        "Python",
    ]
    assert [e.title for e in select_episodes(all_eps, "*", ["rust"])] == [
        "Rust and you",
        "Rust on pans",
    ]
    # One rule for both: a part of the title in any case, or a glob of the whole title.
    assert [e.title for e in select_episodes(all_eps, "TALK", [])] == ["Rust and you", "Python"]
    assert [e.title for e in select_episodes(all_eps, "tech*", ["*YOU"])] == ["Rust and you"]
    assert select_episodes(all_eps, "talk*", []) == []  # a glob matches the whole title
    assert [e.title for e in select_episodes(all_eps, "cook", ["rust", "py"])] == ["Rust on pans"]
