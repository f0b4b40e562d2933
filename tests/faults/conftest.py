"""Fixtures the fault tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import media_files

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
