"""Played signals: the scrobbler log and episode selection."""

from __future__ import annotations

from pathlib import Path

from podsync.model import Episode
from podsync.player.manifest import Entry
from podsync.player.played import listened, parse_row, read_scrobbles, select_episodes

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
    rows, offset = read_scrobbles(tmp_path, 0)
    assert [(r.title, r.rating) for r in rows] == [("Ep 1", "L"), ("Ep 2", "S")]
    assert offset == log.stat().st_size
    log.write_text(log.read_text() + row("Pod", "Ep 3") + "Artist\tPod\tEp 4")  # 4 half-written
    rows, offset2 = read_scrobbles(tmp_path, offset)
    assert [r.title for r in rows] == ["Ep 3"]
    assert offset2 == log.stat().st_size - len("Artist\tPod\tEp 4")


def test_a_replaced_log_is_read_from_the_start(tmp_path: Path) -> None:
    (tmp_path / ".scrobbler.log").write_text(HEADER + row("Pod", "Ep 9"))
    rows, _ = read_scrobbles(tmp_path, 10_000)
    assert [r.title for r in rows] == ["Ep 9"]


def test_no_log(tmp_path: Path) -> None:
    assert read_scrobbles(tmp_path, 0) == ([], 0)


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
