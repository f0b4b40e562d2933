"""-q silences only stdout (errors and warnings stay on stderr); -v tells what is done and why."""

from __future__ import annotations

import time
from pathlib import Path

from http_faults import status


def test_quiet_fetch_in_cron_still_says_what_failed(podsync, server, make_podcast) -> None:
    good = make_podcast("good", "Good", 1)
    bad = make_podcast("bad", "Bad", 1)
    podsync("subscribe", good.url, bad.url)
    server.faults["/bad/feed.xml"] = status(500)
    result = podsync("fetch", "-q", check=1)
    assert result.stdout == ""
    assert result.stderr.startswith("podsync: error: feed Bad: ")
    assert "500" in result.stderr


def test_quiet_export_writes_the_opml_without_a_traceback(podsync, make_podcast, tmp_path) -> None:
    podsync("subscribe", make_podcast("news", "News", 1).url)
    result = podsync("export", "-q")
    assert "<opml" in result.stdout and result.stderr == ""
    podsync("-q", "export", str(tmp_path / "subs.opml"))
    assert "News" in (tmp_path / "subs.opml").read_text()


def test_global_options_before_the_command(podsync, make_podcast) -> None:
    podsync("subscribe", make_podcast("news", "News", 1).url)
    assert "News" in podsync("-v", "list").stdout
    assert podsync("-q", "fetch").stdout == ""
    deeper = podsync("-v", "fetch", "-v").stderr  # -vv, half before the command
    assert deeper.count("feed: GET") == 1
    assert "Starting new HTTP connection" in deeper  # each connection too


def test_verbose_tells_each_request_decision_and_copy_path(
    podsync, make_podcast, player: Path
) -> None:
    podcast = make_podcast("news", "News", 3)
    podsync("subscribe", podcast.url)
    podcast.add_episode("News episode 4", time.time())
    (podsync.home / "config" / "config.toml").write_text("[filters]\nkeep = 2\n")
    fetched = podsync("fetch", "-v")
    log = fetched.stderr
    assert f"feed: GET {podcast.url} (If-None-Match: " in log
    assert f"feed: {podcast.url} answered 200 OK" in log
    assert "4 episodes listed" in log
    assert "plan: copy News — News episode 4 to cache: wanted by the filters" in log
    cache = podsync.home / "cache" / "episodes" / "News"
    assert f"download: News — News episode 4 to {cache}/" in log
    assert "plan: not wanted" not in log  # that much is -vv
    assert "feed: GET" not in fetched.stdout  # the log is on stderr only

    podsync("device", "add", str(player), "--name", "clip")
    log = podsync("push", "-v").stderr
    assert "plan: copy News — News episode 4 to clip: wanted by the filters" in log
    assert f"copy: News — News episode 4 to {player}/Podcasts/News/" in log
    podsync("mark-played", "news", "episode 3")
    deeper = podsync("push", "-vv", "--dry-run").stderr
    assert "plan: not wanted: News — News episode 3 (filtered out by NotPlayed())" in deeper
    log = podsync("push", "-v").stderr
    assert "plan: delete Podcasts/News/" in log and "News episode 3.mp3 from clip: played" in log
    assert "plan: 1 episode already in clip, kept" in log
