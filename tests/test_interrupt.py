"""Ctrl-C and SIGTERM: exit 130 promptly, no partial file under a final name, resume later."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from podsync.loopback import silent_mp3


def trickle(body: bytes, chunk: int = 2048, pause: float = 0.05):
    """A fault that serves ``body`` slowly, so a download is caught in the middle."""

    def fault(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for start in range(0, len(body), chunk):
                handler.wfile.write(body[start : start + chunk])
                handler.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass

    return fault


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_fetch_leaves_no_partial_file_and_resumes(
    podsync, server, make_podcast, home: Path, signum: int
) -> None:
    podcast = make_podcast("slow", "Slow", 0)
    body = silent_mp3(30)  # about 480 kB, trickled at about 40 kB/s
    episode = podcast.add_episode("Long one", time.time() - 60, body=body)
    podsync("subscribe", podcast.url)
    server.faults["/" + episode.path] = trickle(body)

    process = podsync.popen("fetch")
    cache = home / "cache" / "episodes"
    wait_for(lambda: any(p.stat().st_size > 10_000 for p in cache.rglob("*.part")))
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)  # a hang guard, not a speed check
    assert process.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert list(cache.rglob("*.mp3")) == []  # nothing under a final name
    partial = next(cache.rglob("*.part")).stat().st_size
    assert 0 < partial < len(body)
    with sqlite3.connect(home / "state" / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (
            db.execute("SELECT COUNT(*) FROM episodes WHERE cache_path IS NOT NULL").fetchone()[0]
            == 0
        )

    # The next fetch resumes with a Range request and ends byte-identical.
    del server.faults["/" + episode.path]
    out = podsync("fetch").stdout
    assert "Downloaded 1 episode" in out
    ranges = [h.get("Range") for path, h in server.log if path == "/" + episode.path]
    assert ranges[-1] == f"bytes={partial}-"
    [final] = list(cache.rglob("*.mp3"))
    assert final.read_bytes() == body
    assert list(cache.rglob("*.part")) == []
