"""Scripting: JSON answers even when nothing can be done, RFC 3339 times, dry runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def test_push_json_without_a_player_answers_with_the_reason(
    podsync, make_podcast, player: Path
) -> None:
    none = podsync("push", "--json", check=2)
    answer = json.loads(none.stdout)
    assert answer["ok"] is False and answer["pushes"] == []
    assert answer["error"].startswith("no device registered")
    assert none.stderr.startswith("podsync: error: no device registered")

    podsync("device", "add", str(player), "--name", "clip")
    (player / ".podsync" / "device.json").rename(player / "unplugged.json")
    answer = json.loads(podsync("push", "--json", check=1).stdout)
    assert answer == {
        "ok": False,
        "error": "none of the registered devices is connected",
        "pushes": [],
    }
    answer = json.loads(podsync("push", "nosuch", "--json", check=2).stdout)
    assert "no device named 'nosuch'" in answer["error"]


def test_times_are_rfc_3339(podsync, make_podcast, player: Path) -> None:
    podsync("subscribe", make_podcast("news", "News", 1).url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    [device] = json.loads(podsync("device", "list", "--json").stdout)["devices"]
    assert RFC3339.match(device["last_sync"]["at"]), device["last_sync"]
    status = json.loads(podsync("status", "--json").stdout)
    assert RFC3339.match(status["devices"][0]["last_sync"]["at"])


def test_fetch_dry_run_refreshes_and_says_what_it_would_download(
    podsync, server, make_podcast, home: Path
) -> None:
    podcast = make_podcast("news", "News", 2)
    podsync("subscribe", podcast.url)
    podcast.add_episode("Brand new", time.time())
    out = podsync("fetch", "--dry-run").stdout
    assert "Refreshed 1 feed: 1 new episode." in out
    assert "Would download 3 episodes" in out and "  + News — Brand new" in out
    assert not list(home.rglob("*.mp3"))
    answer = json.loads(podsync("fetch", "-n", "--json").stdout)
    assert answer["dry_run"] is True and answer["downloads"]["result"] is None
    assert answer["downloads"]["planned"][0]["title"] == "Brand new"
    assert [p for p, _ in server.log if p.endswith(".mp3")] == []  # nothing downloaded

    answer = json.loads(podsync("fetch", "--json").stdout)
    assert answer["dry_run"] is False and answer["downloads"]["result"]["copied"] == 3


def test_mark_played_dry_run_previews_and_changes_nothing(podsync, make_podcast) -> None:
    podsync("subscribe", make_podcast("news", "Daily News", 2).url)
    podsync("subscribe", make_podcast("talk", "Tech Talk", 1).url)
    out = podsync("mark-played", "news", "--dry-run").stdout
    assert out.splitlines() == [
        "Would mark 2 episodes of 1 podcast as played:",
        "  Daily News — Daily News episode 2",
        "  Daily News — Daily News episode 1",
    ]
    assert json.loads(podsync("list", "--json").stdout)["podcasts"][0]["played"] == 0
    answer = json.loads(podsync("mark-played", "*", "EPISODE 1", "--json").stdout)
    assert answer["dry_run"] is False and answer["played"] is True
    assert sorted(e["title"] for e in answer["episodes"]) == [
        "Daily News episode 1",
        "Tech Talk episode 1",
    ]
    assert podsync("log").stdout.count("ok: marked by hand") == 2
    nothing = podsync("mark-played", "no such show", "--json", check=1)
    assert json.loads(nothing.stdout)["episodes"] == []
    assert nothing.stderr == "podsync: error: no episode matches 'no such show'\n"
