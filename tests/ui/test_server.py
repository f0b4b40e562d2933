"""The page's server over plain HTTP: the event stream, a player's own settings, a config
file broken while it runs, and stopping with a page still listening."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from conftest import Run

from .support import DEADLINE


def read_events(sock: socket.socket, until: str) -> str:
    """What the event stream sent until ``until`` shows (a hang guard, not a speed check)."""
    sock.settimeout(DEADLINE)
    seen = b""
    deadline = time.monotonic() + DEADLINE
    while until.encode() not in seen:
        assert time.monotonic() < deadline, seen.decode()
        chunk = sock.recv(65536)
        assert chunk, f"the stream ended before {until!r}:\n{seen.decode()}"
        seen += chunk
    return seen.decode()


def open_stream(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    sock.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    assert "content-type: text/event-stream" in read_events(sock, "retry: 2000").lower()
    return sock


def test_a_fetch_streams_progress_and_its_report(ui, podsync, make_podcast) -> None:
    podsync("subscribe", make_podcast("news", "News", 2).url)
    served = ui()
    with open_stream(served.port) as stream:
        assert served.request("POST", "/api/fetch", "{}").status == 202
        assert served.request("POST", "/api/fetch", "{}").status in (202, 400)  # once at a time
        seen = read_events(stream, '"state": "done"')
    assert 'event: job\ndata: {"job": "fetch", "title": "Fetch", "state": "running"}' in seen
    progress = [
        json.loads(line[len("data: ") :])
        for line in seen.splitlines()
        if line.startswith("data: ") and '"verb"' in line
    ]
    assert {"refreshing feeds", "downloading"} <= {p["verb"] for p in progress}
    last = [p for p in progress if p["verb"] == "downloading"][-1]
    assert (last["done"], last["total"]) == (2, 2)
    assert last["bytes"] == last["total_bytes"] > 0
    assert "Downloaded 2 episodes" in seen
    assert "Downloaded 2 episodes" in served.request("GET", "/part/activity").body


def test_a_players_own_setting(ui, podsync, player: Path, home: Path) -> None:
    podsync("device", "add", str(player), "--name", "clip")
    served = ui()
    body = json.dumps({"section": "filters", "key": "keep", "value": "2", "device": "clip"})
    answer = served.request("POST", "/api/setting", body)
    assert answer.status == 200
    assert json.loads(answer.body)["message"] == "Saved devices.clip.filters.keep = 2"
    assert "[devices.clip.filters]\nkeep = 2\n" in (home / "config" / "config.toml").read_text()
    players = served.request("GET", "/part/players").body
    assert 'data-key="keep" data-device="clip"' in players
    assert "(this player's own)" in players


def test_a_config_file_broken_meanwhile_is_shown(ui, home: Path) -> None:
    served = ui()
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("[filters]\nkeep = 'many'\n")
    page = served.request("GET", "/")
    assert page.status == 200
    assert "line 2: filters.keep must be a whole number" in page.body
    answer = served.request("POST", "/api/fetch", "{}")
    assert answer.status == 202  # the job reports it
    assert "filters.keep must be a whole number" in served.wait_for_part(
        "activity", "Fetch: failed"
    )
    assert "Fetch: failed" in served.request("GET", "/").body


def test_stopping_with_a_page_listening(ui) -> None:
    served = ui()
    with open_stream(served.port) as stream:
        assert served.stop() == 0
        stream.settimeout(DEADLINE)
        while stream.recv(65536):  # the server ends the stream, then closes
            pass
    assert "Stopping the page" in served.log


def test_the_port_of_another_homes_page_is_refused(ui, tmp_path: Path) -> None:
    served = ui()
    other = Run(tmp_path / "other-home")
    result = other("ui", "--no-browser", "--port", str(served.port), check=2)
    assert f"port {served.port} serves the podsync of another home" in result.stderr
