"""The history: every copy, delete, played mark and fetch, kept bounded; ``podsync log``."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from conftest import database_at
from http_faults import status
from podsync.errors import UsageError
from podsync.history import Event, events, parse_since, record
from podsync.state import State

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def test_log_answers_what_was_deleted_from_my_player_and_why(
    podsync, server, make_podcast, player: Path
) -> None:
    podcast = make_podcast("news", "News", 2)
    broken = make_podcast("gone", "Broken", 1)
    podsync("subscribe", podcast.url, broken.url)
    server.faults["/gone/feed.xml"] = status(500)
    podsync("fetch", check=1)
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    podsync("mark-played", "news", "episode 1")
    podsync("push")

    text = podsync("log", "--device", "clip").stdout
    delete = next(line for line in text.splitlines() if " delete " in line)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d  delete\s+clip\s+News — News episode 1", delete)
    assert "(played)" in delete

    everything = json.loads(podsync("log", "--json").stdout)["events"]
    assert all(RFC3339.match(e["at"]) for e in everything)
    actions = [(e["action"], e["podcast"], e["episode"], e["outcome"]) for e in everything]
    assert ("refresh", "Broken", "", "failed") in actions
    assert ("refresh", "News", "", "ok") in actions
    assert ("download", "News", "News episode 2", "ok") in actions
    assert ("copy", "News", "News episode 1", "ok") in actions
    assert ("played", "News", "News episode 1", "ok") in actions
    assert ("delete", "News", "News episode 1", "ok") in actions
    assert [e["action"] for e in everything].count("push") == 2
    # Filters: only the player's, only from a moment on.
    clip = json.loads(podsync("log", "--device", "clip", "--json").stdout)["events"]
    assert {e["device"] for e in clip} == {"clip"}
    later = json.loads(podsync("log", "--since", "2999-01-01", "--json").stdout)["events"]
    assert later == []
    assert podsync("log", "--since", "2999-01-01").stdout == "Nothing since then.\n"
    assert "no device named 'nope'" in podsync("log", "--device", "nope", check=2).stderr
    assert "--since 'Tuesday'" in podsync("log", "--since", "Tuesday", check=2).stderr
    # A renamed player keeps its history under its new name.
    podsync("device", "rename", "clip", "sansa")
    renamed = json.loads(podsync("log", "--device", "sansa", "--json").stdout)["events"]
    assert len(renamed) == len(clip)


def test_the_history_is_bounded(tmp_path: Path) -> None:
    with State(tmp_path / "s.db") as state:
        record(state, [Event("copy", "P", f"E{n}", "clip", at=n) for n in range(150)], keep=100)
        record(state, [Event("delete", "P", "E0", "clip", at=200)], keep=100)
        kept = events(state)
        assert len(kept) == 100
        assert kept[0].episode == "E51" and kept[-1].action == "delete"
        assert [e.episode for e in events(state, since=149)] == ["E149", "E0"]
        assert events(state, device="other") == []


def test_a_database_of_the_previous_version_gains_the_history(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = database_at(path, 7)  # before the history (8)
    db.execute("INSERT INTO podcasts (url, title, added_at) VALUES ('http://h/f', 'Pod', 0)")
    db.commit()
    db.close()
    with State(path) as state:
        assert [p.title for p in state.podcasts()] == ["Pod"]
        record(state, [Event("refresh", "Pod", detail="not modified")])
        assert [(e.action, e.podcast) for e in events(state)] == [("refresh", "Pod")]


def test_since_takes_dates_times_and_ages() -> None:
    now = 1_800_000_000.0
    assert parse_since("3d", now) == now - 3 * 86400
    assert parse_since("12h", now) == now - 12 * 3600
    assert parse_since("2026-11-24T18:00:00+00:00") == 1795543200.0
    local = time.mktime((2026, 11, 24, 0, 0, 0, 0, 0, -1))
    assert parse_since("2026-11-24") == local
    with pytest.raises(UsageError):
        parse_since("last Tuesday")
