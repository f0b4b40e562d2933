"""Messages as people read them: plurals, honest counts, the right names, no warnings."""

from __future__ import annotations

import errno
import time
import tomllib
from pathlib import Path

import pytest

from http_faults import status
from podsync import __version__
from podsync.stores.base import Transfer, write_then_rename

ROOT = Path(__file__).parent.parent


def test_one_is_singular(podsync, make_podcast, player: Path) -> None:
    assert "(1 episode)" in podsync("subscribe", make_podcast("one", "One", 1).url).stdout
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    assert "1 episode already there" in podsync("push", "--dry-run").stdout
    assert "(1 episode there)" in podsync("push").stdout


def test_refreshed_counts_only_successes_and_says_how_many_failed(
    podsync, server, make_podcast
) -> None:
    feeds = [make_podcast(f"p{n}", f"Pod {n}", 1) for n in range(3)]
    podsync("subscribe", *(f.url for f in feeds))
    server.faults["/p1/feed.xml"] = status(500)
    server.faults["/p2/feed.xml"] = status(404)
    result = podsync("fetch", check=1)
    assert "Refreshed 1 feed (2 failed): no new episodes." in result.stdout
    assert result.stderr.count("podsync: error: feed Pod") == 2


def test_the_first_fetch_after_subscribing_says_what_it_downloaded(podsync, make_podcast) -> None:
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    out = podsync("fetch").stdout
    assert "Refreshed 1 feed: no new episodes." in out
    assert "Downloaded 2 episodes (" in out
    assert "  + News — News episode 2\n  + News — News episode 1\n" in out
    podcast.add_episode("News episode 3", time.time())
    out = podsync("fetch").stdout
    assert "Refreshed 1 feed: 1 new episode." in out and "  + News — News episode 3" in out


def test_the_user_agent_is_the_name_and_version_only(podsync, server, make_podcast) -> None:
    podsync("subscribe", make_podcast("news", "News", 1).url)
    podsync("fetch")
    agents = {headers.get("User-Agent") for _path, headers in server.log}
    assert agents == {f"podsync/{__version__}"}


def test_a_failed_copy_names_the_file_not_the_hidden_part(tmp_path: Path) -> None:
    final = tmp_path / "Pod" / "2026-11-24 Episode.mp3"
    final.parent.mkdir()
    tmp = final.with_name(".podsync-key.part")

    def fill(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError(errno.EIO, "Input/output error", str(path))

    with pytest.raises(OSError) as caught:
        write_then_rename(fill, tmp, final, Transfer())
    assert caught.value.filename == str(final)
    assert not tmp.exists()


def test_the_licence_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "GPL-3.0-or-later"
    assert not any(c.startswith("License ::") for c in project["project"].get("classifiers", []))
    # setuptools reads an SPDX string from 77 on (older ones warn or fail).
    assert "setuptools>=77" in project["build-system"]["requires"]
