"""``podsync watch`` serves the page: its syncs on plug-in show there, ``podsync ui`` opens it
instead of serving a second one, and ``watch.ui_port = 0`` turns it off."""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from pathlib import Path

import pytest
from faults.support import Stall
from playwright.sync_api import expect
from test_watch import configure
from test_watch_fetch import plugged_player

from conftest import FatPlayers, media_files
from watching import Watch

from .support import Client, free_port


def test_the_watcher_serves_the_page_with_its_syncs(
    podsync, make_podcast, fat_player: FatPlayers, home: Path, tmp_path: Path
) -> None:
    player = fat_player(name="clip")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("subscribe", make_podcast("news", "News", 2).url)
    podsync("fetch")
    port = free_port()
    configure(home, notify=False, ui_port=port)
    watch = Watch(home, tmp_path / "watch.log")
    try:
        watch.wait_for(f"web page at http://127.0.0.1:{port}/")
        watch.wait_for("clip: synced: copied 2")
        page = Client(home, port)
        activity = page.wait_for_part("activity", "Push to clip (plugged in): done")
        assert "clip: copied 2" in activity
        assert len(media_files(player)) == 2

        opened = podsync("ui", "--no-browser")  # the port from the config: the watcher's
        assert f"podsync's page is already served at http://127.0.0.1:{port}/" in opened.stdout
        assert f"open within 10 minutes: http://127.0.0.1:{port}/login?token=" in opened.stdout
        assert page.secret not in opened.stdout

        # a push from the page goes through the same lock and report as the terminal's
        answer = page.request("POST", "/api/push", json.dumps({"device": "clip"}))
        assert answer.status == 202, answer.body
        report = page.wait_for_part("activity", "Push to clip: done")
        terminal = podsync("push", "clip").stdout
        assert "clip (" in report and "up to date, nothing copied or deleted" in report
        assert terminal.strip().splitlines()[0] in report

        answer = page.request("POST", "/api/eject", json.dumps({"device": "clip"}))
        assert answer.status == 202
        ejected = page.wait_for_part("activity", "Eject clip: failed")
        assert "it is a folder, not a mounted drive" in ejected  # fusefat has no /dev node
    finally:
        assert watch.stop(signal.SIGTERM) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_port_zero_turns_the_page_off(podsync, home: Path, tmp_path: Path) -> None:
    configure(home, ui_port=0)
    watch = Watch(home, tmp_path / "watch.log")
    try:
        assert "web page" not in watch.log
    finally:
        assert watch.stop(signal.SIGTERM) == 0


def test_a_taken_port_leaves_the_watcher_watching(podsync, home: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        configure(home, ui_port=port)
        watch = Watch(home, tmp_path / "watch.log")
        try:
            assert f"no web page: cannot serve the page on 127.0.0.1:{port}" in watch.log
        finally:
            assert watch.stop(signal.SIGTERM) == 0


def test_a_fetch_on_plug_in_shows_live_on_the_page(
    podsync,
    server,
    make_podcast,
    fat_player: FatPlayers,
    testbed,
    home: Path,
    tmp_path: Path,
    page,
    screenshot,
) -> None:
    """The watcher refreshes stale feeds before it pushes to a player plugged in: the page
    shows that fetch's progress as it runs (held halfway through a download here), then
    its report, then the push that waited for it."""
    player, part, env = plugged_player(podsync, testbed, fat_player)
    news = make_podcast("news", "News", 2)
    podsync("subscribe", news.url)
    podsync("fetch")
    fresh = news.add_episode("Fresh this morning", time.time(), 60)
    body = server.resources["/" + fresh.path].body
    stall = Stall(body, len(body) // 2)
    server.faults["/" + fresh.path] = stall
    port = free_port()
    configure(
        home, notify=False, ui_port=port, fetch_max_age=0, fetch_interval=0, fetch_timeout=3600
    )
    with (home / "config" / "config.toml").open("a") as config:
        config.write("[fetch]\ntimeout = 600\n")  # the held download is not given up
    watch = Watch(home, tmp_path / "watch.log", env)
    try:
        watch.wait_for(f"web page at http://127.0.0.1:{port}/")
        page.goto(Client(home, port).login_url)
        expect(page.locator("#live-state")).to_have_text("live")
        card = page.locator('article.player[data-device="clip"]')
        expect(card.locator(".badge")).to_have_text("not connected")

        testbed.uevent(part, "add")
        fat_player.mount(player)
        fetching = page.locator('#live .job[data-job="fetch"]')
        expect(fetching.locator("strong")).to_have_text("Fetch (clip plugged in)")
        expect(fetching.locator(".detail")).to_contain_text(
            re.compile(r"downloading 0/1 · .*B of .*B · .*B/s · News — Fresh this morning")
        )
        expect(card.locator(".badge")).to_have_text(f"connected at {player}")
        # the push waits for the fetch (watch.fetch_timeout is an hour; the download hangs)
        expect(page.locator('#live .job[data-job="push:clip"]')).to_have_count(0)
        assert "clip: synced" not in watch.log
        screenshot(page, "ui-plugged-in")

        stall.release.set()
        expect(fetching).to_have_class(re.compile("done"))
        expect(page.locator('#live .job[data-job="push:clip"]')).to_have_class(re.compile("done"))
        reports = page.locator("#activity details.report")
        expect(reports.nth(0).locator("summary")).to_contain_text("Push to clip (plugged in): done")
        expect(reports.nth(0)).to_contain_text("copied 3")
        expect(reports.nth(1).locator("summary")).to_contain_text("Fetch (clip plugged in): done")
        reports.nth(1).locator("summary").click()
        expect(reports.nth(1)).to_contain_text("Downloaded 1 episode")
        watch.wait_for("clip: synced: copied 3")
        assert "fetched: new: News (1)" in watch.log
        assert any("Fresh this morning" in f for f in media_files(player))
    finally:
        stall.release.set()
        assert watch.stop(signal.SIGTERM) == 0
