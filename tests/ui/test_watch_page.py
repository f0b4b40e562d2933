"""``podsync watch`` serves the page: its syncs on plug-in show there, ``podsync ui`` opens it
instead of serving a second one, and ``watch.ui_port = 0`` turns it off."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest
from test_watch import configure

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
        assert f"open: http://127.0.0.1:{port}/login?secret={page.secret}" in opened.stdout

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
