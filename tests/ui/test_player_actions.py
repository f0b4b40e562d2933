"""The page's actions on episodes and players, in real headless Chromium: mark an episode
played and then not played (the state database, the history and the next push follow),
and eject a real mounted FAT player."""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from playwright.sync_api import expect

from conftest import FatPlayers, media_files


def marks(home: Path) -> dict[str, tuple[float | None, float | None]]:
    """Each episode's title → (played_at, reopened_at), read from the state database."""
    with closing(sqlite3.connect(home / "state" / "state.db")) as db:
        rows = db.execute("SELECT title, played_at, reopened_at FROM episodes")
        return {title: (played, reopened) for title, played, reopened in rows}


def test_mark_an_episode_played_then_unplayed(
    home: Path, podsync, make_podcast, fat_player: FatPlayers, ui, page
) -> None:
    cast = make_podcast("tea", "Tea Time", 2)
    player = fat_player(32, name="clip")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("subscribe", cast.url)
    podsync("fetch")
    podsync("push", "clip")
    title = "Tea Time episode 2"
    assert marks(home)[title] == (None, None)
    served = ui()
    page.goto(served.login_url)
    card = page.locator('article.player[data-device="clip"]')
    expect(card.locator(".next-push")).to_contain_text("Up to date (2 episodes there).")
    page.click('#podcasts button[data-action="episodes"]')
    row = page.locator("#episodes tr", has_text=title)
    expect(row.locator(".state")).to_have_text("new, cached, on clip")

    row.locator("button[data-action=played]").click()
    expect(page.locator("#messages p").first).to_have_text(f"Marked played: Tea Time — {title}")
    expect(row.locator(".state")).to_have_text(re.compile(r"^played"))
    expect(row.locator("button[data-action=played]")).to_have_text("Mark unplayed")
    expect(card.locator(".next-push")).to_contain_text(f"delete Tea Time — {title} (played)")
    played_at, _ = marks(home)[title]
    assert played_at is not None
    assert marks(home)["Tea Time episode 1"] == (None, None)

    row.locator("button[data-action=played]").click()
    expect(page.locator("#messages p").first).to_have_text(f"Marked not played: Tea Time — {title}")
    expect(row.locator(".state")).to_have_text("new, cached, on clip")
    expect(row.locator("button[data-action=played]")).to_have_text("Mark played")
    expect(card.locator(".next-push")).to_contain_text("Up to date (2 episodes there).")
    played_at, reopened_at = marks(home)[title]
    assert played_at is None and reopened_at is not None  # the players hear of it too

    # both marks are in the history, as podsync mark-played and mark-played --undo record them
    page.click("details.history-box summary")
    by_hand = page.locator("#history tr").filter(has_text="marked by hand").filter(has_text=title)
    expect(by_hand).to_have_count(2)
    log = podsync("log").stdout
    assert log.count("marked by hand") == 2
    # the next push keeps it: nothing deleted
    assert "up to date" in podsync("push", "clip").stdout
    assert len(media_files(player)) == 2


UDISKSCTL = '''#!{python}
"""udisksctl's unmount and power-off of a fusefat player: no udisks daemon runs here."""
import subprocess
import sys

with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
action, device = sys.argv[1], sys.argv[sys.argv.index("--block-device") + 1]
if action == "unmount":
    with open("/proc/self/mountinfo") as table:
        points = [
            line.split(" - ")[0].split()[4]
            for line in table
            if line.split(" - ")[1].split()[1] == device
        ]
    if not points:
        sys.exit(f"Error unmounting {{device}}: not mounted")
    sys.exit(subprocess.run(["fusermount", "-u", points[0]]).returncode)
'''


def mounted_from(source: str) -> list[str]:
    """The mount points in this mount table whose source is ``source``."""
    with open("/proc/self/mountinfo") as table:
        return [
            line.split(" - ")[0].split()[4]
            for line in table
            if line.split(" - ")[1].split()[1] == source
        ]


def test_eject_a_mounted_player(
    home: Path, podsync, make_podcast, fat_player: FatPlayers, ui, page, tmp_path: Path
) -> None:
    """The page's Eject flushes, then has udisksctl unmount and power off the player's drive.

    udisksctl needs the udisks daemon on the system bus, which this sandbox does not run
    (nor does it have a USB drive to power off): a stand-in on PATH does the unmount for
    real (fusermount) and logs both calls. Everything else is the real path: the mount
    table, the source device, the job, the report, the page following the mount table.
    """
    source = f"/dev/sdz-{secrets.token_hex(4)}"  # unique: other tests may mount at once
    player = fat_player(32, name="clip", source=source)
    podsync("device", "add", str(player), "--name", "clip")
    podsync("subscribe", make_podcast("tea", "Tea Time", 2).url)
    podsync("fetch")
    podsync("push", "clip")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "udisksctl.log"
    script = bindir / "udisksctl"
    script.write_text(UDISKSCTL.format(python=sys.executable, log=str(calls)))
    script.chmod(0o755)
    served = ui(env={"PATH": f"{bindir}:{os.environ['PATH']}"})
    page.goto(served.login_url)
    card = page.locator('article.player[data-device="clip"]')
    expect(card.locator(".badge")).to_have_text(f"connected at {player}")
    assert mounted_from(source) == [str(player)]

    card.locator("button[data-action=eject]").click()
    report = page.locator("#activity details.report").first
    expect(report).to_contain_text(f"ejected {source}: it is safe to unplug")  # else: why
    expect(report.locator("summary")).to_contain_text("Eject clip: done")
    expect(card.locator(".badge")).to_have_text("not connected")  # the page saw it go
    expect(card.locator("button[data-action=eject]")).to_be_disabled()
    expect(card.locator("button[data-action=push]")).to_be_disabled()
    assert mounted_from(source) == []
    fat_player.mounted.discard(player)
    assert calls.read_text().splitlines() == [
        f"unmount --block-device {source} --no-user-interaction",
        f"power-off --block-device {source} --no-user-interaction",
    ]
    fat_player.mount(player)  # plugged in again: the page follows
    expect(card.locator(".badge")).to_have_text(f"connected at {player}")
    expect(card.locator("button[data-action=eject]")).to_be_enabled()
    assert len(media_files(player)) == 2  # what the push wrote was on the image
