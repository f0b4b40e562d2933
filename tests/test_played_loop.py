"""The played loop on a real FAT player: Rockbox's logs, and played state that travels
between computers through the player."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mutagen

from conftest import Run, media_files


def titles(player: Path) -> list[str]:
    return [Path(f).stem.split(" ", 1)[1] for f in media_files(player)]


def log(rows: list[tuple[str, str, str]], start: int = 1_700_000_000) -> str:
    """A Rockbox scrobbler log with ``(album, title, rating)`` rows."""
    lines = ["#AUDIOSCROBBLER/1.1", "#TZ/UNKNOWN", "#CLIENT/Rockbox sansaclipplus $Revision$"]
    for n, (album, title, rating) in enumerate(rows):
        stamp = str(start + n) if start else "0"
        lines.append("\t".join(["Talk", album, title, "1", "120", rating, stamp, ""]))
    return "\n".join(lines) + "\n"


def test_rockbox_logs_replaced_timeless_and_exact(podsync, make_podcast, fat_player) -> None:
    player = fat_player()
    show = make_podcast("talk", "Talk", 5)
    podsync("subscribe", show.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "rockbox")
    podsync("push")
    # Rockbox logs nothing for a track without an artist: podsync always writes one.
    first = next(player.rglob("*Talk episode 1.mp3"))
    assert mutagen.File(first, easy=True)["artist"] == ["Talk"]

    (player / ".scrobbler.log").write_text(log([("Talk", "Talk episode 1", "L")]))
    assert "deleted 1" in podsync("push").stdout
    # The log is deleted by a PC tool and a new, longer one started: read from its start.
    (player / ".scrobbler.log").write_text(
        log([("Talk", "Talk episode 2", "L"), ("Talk", "Talk episode 3", "S")], start=1_800_000_000)
    )
    out = podsync("push").stdout
    assert "1 episode played" in out and "deleted 1" in out
    assert titles(player) == ["Talk episode 3", "Talk episode 4", "Talk episode 5"]
    # A player without a clock writes the timeless log.
    (player / ".scrobbler-timeless.log").write_text(log([("Talk", "Talk episode 5", "L")], start=0))
    assert "deleted 1" in podsync("push").stdout
    assert titles(player) == ["Talk episode 3", "Talk episode 4"]
    # Two episodes whose titles differ only in case: a row names exactly one of them.
    show.add_episode("EPISODE ONE", time.time() - 3600)
    show.add_episode("Episode One", time.time() - 1800)
    podsync("fetch")
    podsync("push")
    (player / ".scrobbler-timeless.log").write_text(
        log([("Talk", "Talk episode 5", "L"), ("Talk", "EPISODE ONE", "L")], start=0)
    )
    assert "deleted 1" in podsync("push").stdout
    manifest = json.loads((player / ".podsync" / "manifest.json").read_text())
    left = sorted(e["title"] for e in manifest["files"].values())
    assert left == ["Episode One", "Talk episode 3", "Talk episode 4"]
    assert len(media_files(player)) == 3


def test_two_homes_converge_and_never_copy_back(make_podcast, fat_player, tmp_path: Path) -> None:
    player = fat_player()
    show = make_podcast("news", "News", 4)
    a, b = Run(tmp_path / "a"), Run(tmp_path / "b")
    for home in (a, b):
        home("subscribe", show.url)
        home("fetch")
    a("device", "add", str(player), "--name", "clip")
    b("device", "add", str(player), "--name", "clip")
    a("push")
    assert len(media_files(player)) == 4

    # Home A marks episode 1 played by hand; its push deletes it.
    a("mark-played", "News", "episode 1")
    assert "deleted 1" in a("push").stdout
    # Home B never heard of that: it must not copy it back.
    out = b("push").stdout
    assert "copied 0" in out or "up to date" in out
    assert titles(player) == ["News episode 2", "News episode 3", "News episode 4"]

    # Rockbox logs episode 2; home B reads it and deletes it; home A must not copy it back.
    (player / ".scrobbler.log").write_text(log([("News", "News episode 2", "L")]))
    assert "deleted 1" in b("push").stdout
    out = a("push").stdout
    assert "copied 0" in out or "up to date" in out
    # B marks episode 3 by hand, A reads nothing new: converged after B's push.
    b("mark-played", "News", "episode 3")
    b("push")
    for home in (a, b, a, b):
        assert "up to date" in home("push").stdout
    assert titles(player) == ["News episode 4"]
    # Each home recorded what was finished in its own database.
    for home in (a, b):
        (podcast,) = json.loads(home("list", "--json").stdout)["podcasts"]
        assert podcast["played"] == 3

    # Marking one not played on A brings it back, and B does not delete it again.
    a("mark-played", "News", "episode 1", "--undo")
    a("fetch")  # the cache let the played episode go; it comes back
    assert "copied 1" in a("push").stdout
    assert "up to date" in b("push").stdout
    assert titles(player) == ["News episode 1", "News episode 4"]
    finished = json.loads((player / ".podsync" / "finished.json").read_text())
    assert len(finished["finished"]) == 2 and list(finished["reopened"]) != []
