"""Shared fixtures: a podsync home, a loopback podcast host, and running the real command."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from podsync.cli.demo_server import FeedServer, SampleEpisode, rss, silent_mp3

if TYPE_CHECKING:
    from watching import Watch

DAY = 86400.0
_BESIDE = Path(sys.executable).with_name("podsync")
COMMAND = [str(_BESIDE)] if _BESIDE.exists() else [sys.executable, "-m", "podsync"]
"""The podsync under test: the one installed beside this Python."""


@dataclass
class Podcast:
    """A podcast published on the test server; add episodes and republish."""

    server: FeedServer
    slug: str
    title: str
    episodes: list[SampleEpisode] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url(f"{self.slug}/feed.xml")

    def add_episode(
        self, title: str, published: float, seconds: float = 0.5, body: bytes | None = None
    ) -> SampleEpisode:
        number = len(self.episodes) + 1
        path = f"{self.slug}/{number}.mp3"
        data = body if body is not None else silent_mp3(seconds)
        self.server.add(path, data, "audio/mpeg")
        episode = SampleEpisode(f"{self.slug}-{number}", title, published, path, len(data))
        self.episodes.append(episode)
        self.publish()
        return episode

    def publish(self) -> None:
        self.server.add(
            f"{self.slug}/feed.xml",
            rss(self.title, self.episodes, self.server.base_url),
            "application/rss+xml",
        )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def make_podcast(server: FeedServer):
    """Publish a podcast with ``count`` daily episodes, the newest one day old."""

    def make(slug: str, title: str, count: int) -> Podcast:
        podcast = Podcast(server, slug, title)
        now = time.time()
        for n in range(count):
            podcast.add_episode(f"{title} episode {n + 1}", now - (count - n) * DAY)
        return podcast

    return make


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("PODSYNC_HOME", str(path))
    return path


@pytest.fixture
def player(tmp_path: Path) -> Path:
    path = tmp_path / "player"
    path.mkdir()
    return path


class Children:
    """The processes a test started: killed when it ends, even mid-way through a failure
    (a process it froze with SIGSTOP included), so none keeps a player mount busy."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def add(self, process: subprocess.Popen) -> subprocess.Popen:
        self.processes.append(process)
        return process

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()  # SIGKILL ends a stopped process too
                process.communicate(timeout=30)


@pytest.fixture
def children() -> Iterator[Children]:
    processes = Children()
    yield processes
    processes.kill()


@dataclass
class Run:
    """Runs the installed ``podsync`` command with the test's home."""

    home: Path
    children: Children = field(default_factory=Children)

    def __call__(
        self,
        *args: str,
        timeout: float = 60,
        check: int | None = 0,
        env: dict[str, str] | None = None,
        **kwargs: object,
    ) -> subprocess.CompletedProcess[str]:
        env = {**(env or os.environ), "PODSYNC_HOME": str(self.home)}
        result = subprocess.run(
            [*COMMAND, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )
        if check is not None:
            assert result.returncode == check, (
                f"podsync {' '.join(args)} exited {result.returncode}, expected {check}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        env = {**(env or os.environ), "PODSYNC_HOME": str(self.home)}
        return self.children.add(
            subprocess.Popen(
                [*COMMAND, *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )


@pytest.fixture
def podsync(home: Path, children: Children) -> Run:
    return Run(home, children)


AUDIO = {".mp3", ".m4a", ".ogg", ".opus"}


def database_at(path: Path, version: int) -> sqlite3.Connection:
    """A state database as podsync's schema ``version`` left it (to test what comes after)."""
    from podsync.schema import connect, migrate

    db = connect(path)
    migrate(db, up_to=version)
    return db


def media_files(root: Path) -> list[str]:
    """Relative paths of the audio files under ``root`` (not playlists, not ``.podsync/``)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".podsync" not in p.parts and p.suffix in AUDIO
    )


FAT_TOOLS = ("fusefat", "mkfs.vfat", "fusermount")


def commands() -> list[bytes]:
    """The command line of every process running (its arguments joined by NUL bytes)."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # it ended meanwhile
            found.append(path.read_bytes())
    return found


class FatPlayers:
    """Real FAT images mounted with fusefat: ``fat_player(size_mb) -> mount point``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sources: dict[Path, str | None] = {}
        self.mounted: set[Path] = set()

    def __call__(
        self,
        size_mb: int = 32,
        name: str = "player",
        cluster_kb: int = 8,
        source: str | None = None,
    ) -> Path:
        mount = self.folder / name
        mount.mkdir()
        with open(self.image(mount), "wb") as f:
            f.truncate(size_mb * 1024 * 1024)
        # No volume label: fusefat would list it as a file.  Large clusters: fusefat cannot
        # grow a folder past its first cluster (kernel vfat can).
        subprocess.run(
            ["mkfs.vfat", "-s", str(cluster_kb * 2), str(self.image(mount))],
            check=True,
            capture_output=True,
        )
        self.sources[mount] = source
        self.mount(mount)
        return mount

    def image(self, mount: Path) -> Path:
        return mount.with_name(f"{mount.name}.img")

    def mount(self, mount: Path) -> None:
        """Mount the image of ``mount`` (again), as the player being plugged in."""
        source = self.sources[mount]
        options = f"rw+,fsname={source}" if source else "rw+"
        subprocess.run(
            ["fusefat", "-o", options, str(self.image(mount)), str(mount)],
            check=True,
            capture_output=True,
        )
        self.mounted.add(mount)

    def unmount(self, mount: Path, timeout: float = 20) -> None:
        """Unmount, retrying while a process still has a file open there."""
        deadline = time.monotonic() + timeout
        while subprocess.run(["fusermount", "-u", str(mount)], capture_output=True).returncode:
            assert time.monotonic() < deadline, f"{mount} stayed busy"
            time.sleep(0.1)
        self.mounted.discard(mount)
        self.wait_written(mount)

    def wait_written(self, mount: Path, timeout: float = 20) -> None:
        """Wait until the fusefat that served ``mount`` has exited: unmounted (lazily too, once
        the last file there is closed), it writes the image out before it exits."""
        image = str(self.image(mount)).encode()
        deadline = time.monotonic() + timeout
        while any(image in args and b"fusefat" in args.split(b"\0")[0] for args in commands()):
            assert time.monotonic() < deadline, f"fusefat kept {image.decode()} open"
            time.sleep(0.01)

    def close(self) -> None:
        """Unmount every image still mounted; lazily if one stays busy, so none is left."""
        for mount in list(self.mounted):
            try:
                self.unmount(mount, timeout=5)
            except AssertionError:
                subprocess.run(["fusermount", "-u", "-z", str(mount)], capture_output=True)
                self.mounted.discard(mount)


@pytest.fixture
def fat_player(tmp_path: Path, children: Children) -> Iterator[FatPlayers]:
    missing = [tool for tool in FAT_TOOLS if shutil.which(tool) is None]
    if missing or not Path("/dev/fuse").exists():
        pytest.skip(f"needs {', '.join(missing) or '/dev/fuse'} (scripts/setup --test installs)")
    players = FatPlayers(tmp_path)
    yield players
    children.kill()  # first: a process the test started may hold a file open on a player
    players.close()


@pytest.fixture
def testbed():
    """A umockdev testbed whose fake udev devices the podsync command sees."""
    from umockdev import Testbed, available

    if not available():
        pytest.skip("needs umockdev (scripts/setup --test installs it)")
    bed = Testbed()
    yield bed
    bed.close()


@pytest.fixture
def watch(home: Path, tmp_path: Path, children: Children) -> Iterator[Callable[..., Watch]]:
    """Starts ``podsync watch -v`` processes (``watch(env)``); killed when the test ends."""
    from watching import Watch

    started: list[Watch] = []

    def start(env: dict[str, str] | None = None) -> Watch:
        started.append(Watch(home, tmp_path / f"watch{len(started)}.log", env))
        children.add(started[-1].proc)
        return started[-1]

    yield start
    for w in started:
        w.stop(signal.SIGKILL)
