"""Fixtures the fault tests share."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import Children, media_files

from .support import write_config


@pytest.fixture
def synced(podsync, make_podcast, player: Path, home: Path) -> list[str]:
    """A player with two podsync episodes and their playlists; later pushes keep one
    (``keep = 1``)."""
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    write_config(home, "[filters]\nkeep = 1\n")
    return media_files(player)


@pytest.fixture
def cache_on_tmpfs(home: Path, children: Children) -> Iterator[Callable[[int], Path]]:
    """``cache_on_tmpfs(size_mb)`` mounts the cache folder on a tmpfs that small; it is
    unmounted when the test ends (lazily if something still holds it), pass or fail."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root (CI runs as root)")
    cache = home / "cache"
    mounted: list[Path] = []

    def mount(size_mb: int) -> Path:
        cache.mkdir(parents=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(cache)], check=True
        )
        mounted.append(cache)
        return cache

    yield mount
    children.kill()  # first: a process the test started may hold a file open there
    for path in mounted:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(path)], check=True)
