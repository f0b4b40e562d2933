"""Tables fit the terminal: the longest column is cut first, and no row ever wraps."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import COMMAND
from http_faults import status
from podsync.cli.table import format_table
from terminal import run_in_terminal


def lines_of(podsync, *args: str, columns: int) -> list[str]:
    env = {**os.environ, "PODSYNC_HOME": str(podsync.home)}
    screen = run_in_terminal([*COMMAND, *args], env, columns=columns)
    assert screen.returncode in (0, 1), screen.text
    return screen.text.replace("\r\n", "\n").splitlines()


def test_status_with_four_players_fits_80_columns(podsync, make_podcast, tmp_path: Path) -> None:
    podsync("subscribe", make_podcast("news", "The Very Long Named Daily News Podcast", 2).url)
    podsync("fetch")
    for name in ("sansa-clip-zip", "ipod-classic", "phone-card", "car-usb-stick"):
        folder = tmp_path / "media" / f"{name.upper()}-WITH-A-LONG-LABEL"
        folder.mkdir(parents=True)
        podsync("device", "add", str(folder), "--name", name)
    podsync("push")
    shown = lines_of(podsync, "status", columns=80)
    assert max(map(len, shown)) <= 80, "\n".join(shown)
    header = next(line for line in shown if line.startswith("PODCAST"))
    assert header.split()[:4] == ["PODCAST", "EPISODES", "CACHED", "PLAYED"]
    row = next(line for line in shown if line.startswith("The Very"))
    assert "…" in row and row.split()[-4:] == ["2", "2", "2", "2"]  # the title gave way


def test_list_never_wraps_its_status_column(podsync, server, make_podcast) -> None:
    podcast = make_podcast("news", "News", 1)
    podsync("subscribe", podcast.url)
    server.faults["/news/feed.xml"] = status(503)
    podsync("fetch", check=1)
    for columns in (60, 40):
        shown = lines_of(podsync, "list", columns=columns)
        assert len(shown) == 2 and max(map(len, shown)) <= columns, shown
        assert shown[1].startswith("News") and shown[1].endswith("…")


def test_the_longest_column_gives_way_first() -> None:
    rows = [("NAME", "WHERE", "WHAT"), ("a" * 30, "b" * 20, "c" * 10)]
    lines = format_table(rows, width=50, shrink=(0,))
    assert max(map(len, lines)) <= 50
    assert lines[1].split() == ["a" * 15 + "…", "b" * 20, "c" * 10]
    narrow = format_table(rows, width=30, shrink=(0,))
    assert max(map(len, narrow)) <= 30  # past the preferred column, any widest one
