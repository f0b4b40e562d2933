"""Helpers that cause faults for real and read back what they left behind."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from conftest import media_files
from podsync.cli.demo_server import etag_of, silent_mp3
from podsync.player.manifest import Manifest


def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll until ``predicate()`` is true; the timeout is a hang guard, not a speed check."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def write_config(home: Path, text: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text)


def device_parts(root: Path) -> list[Path]:
    """podsync's temporary files on a player."""
    return [p for p in root.rglob(".podsync-*.part") if p.is_file()]


def stop_mid_copy(process: subprocess.Popen[str], root: Path) -> Path:
    """Freeze ``process`` (SIGSTOP) at a moment a copy to the player at ``root`` is unfinished.

    Waits for a temporary ``.podsync-*.part`` file, stops the process, and keeps
    it stopped only if the file is still there (else resumes it and waits for
    the next copy), so what follows lands mid-copy every time.  Returns the file.
    """
    while True:
        wait_for(lambda: device_parts(root) or process.poll() is not None)
        assert process.poll() is None, "the push ended before a copy could be caught"
        process.send_signal(signal.SIGSTOP)
        parts = device_parts(root)
        if parts:
            return parts[0]
        process.send_signal(signal.SIGCONT)


class Stall:
    """A server fault: send the first ``sent`` bytes of ``body``, then hang until released."""

    def __init__(self, body: bytes, sent: int) -> None:
        self.body = body
        self.sent = sent
        self.release = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.send_header("ETag", etag_of(self.body))
        handler.end_headers()
        try:
            handler.wfile.write(self.body[: self.sent])
            handler.wfile.flush()
            self.release.wait(60)
            handler.wfile.write(self.body[self.sent :])
        except OSError:
            pass  # the client is gone: that was the point


def trickle(body: bytes, chunk: int = 2048, pause: float = 0.05):
    """A server fault that serves ``body`` slowly, so a download is caught in the middle."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag_of(body))
        handler.end_headers()
        try:
            for start in range(0, len(body), chunk):
                handler.wfile.write(body[start : start + chunk])
                handler.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass

    return fault


def kill_hard(process: subprocess.Popen[str]) -> None:
    """kill -9, as a crash or a power cut would."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def state_rows(home: Path) -> dict[str, tuple[str | None, int | None]]:
    """Every episode's cache path and size in the state database, after an integrity check."""
    db = sqlite3.connect(f"file:{home / 'state' / 'state.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            r[0]: (r[1], r[2])
            for r in db.execute("SELECT title, cache_path, cache_size FROM episodes")
        }
    finally:
        db.close()


def cached_titles(home: Path) -> set[str]:
    return {title for title, (path, _size) in state_rows(home).items() if path}


def cache_files(home: Path) -> dict[str, int]:
    """Files under a final name in the cache (not hidden temporary ones), with their sizes."""
    root = home / "cache" / "episodes"
    return {
        str(p.relative_to(root)): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def assert_cache_consistent(home: Path) -> None:
    """The state database is intact and records exactly the whole files the cache holds."""
    recorded = {path: size for path, size in state_rows(home).values() if path}
    assert recorded == cache_files(home)


def assert_player_consistent(player: Path, body: bytes) -> None:
    """The manifest (journal included) lists exactly the audio files, and each one is whole."""
    owned = {path: entry.size for path, entry in Manifest.load(player).files.items()}
    assert owned == {f: (player / f).stat().st_size for f in media_files(player)}
    for f in media_files(player):
        assert (player / f).read_bytes().endswith(body), f  # tags in front, all the audio


BODY = silent_mp3(240)  # about 3.8 MB: each copy to the player takes a while


def setup_big_podcast(podsync: Callable[..., object], make_podcast, player: Path):
    """Five big episodes in the cache and ``player`` registered as ``fat``: a long push."""
    podcast = make_podcast("big", "Big", 0)
    for n in range(5):
        podcast.add_episode(f"Part {n}", time.time() - (n + 1) * 3600, body=BODY)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "fat")
    return podcast
