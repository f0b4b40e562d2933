"""``podsync status`` and ``--json``: what the user sees, and the documented JSON shapes."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).parent.parent / "docs" / "usage.md"


def documented_shapes() -> dict[str, Any]:
    """The JSON examples in docs/usage.md, each after a ``<!-- json: COMMAND -->`` line."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.findall(r"<!-- json: ([a-z -]+) -->\s*```json\n(.*?)```", text, re.S)
    return {command: json.loads(body) for command, body in found}


NAME_MAPS = ("on_devices",)
"""Maps keyed by the user's own names: their keys are not part of the shape."""


def same_shape(real: Any, documented: Any, where: str = "") -> None:
    if isinstance(documented, dict) and isinstance(real, dict):
        if where.endswith(NAME_MAPS):
            return
        assert set(real) == set(documented), f"{where}: {sorted(real)} != {sorted(documented)}"
        for key in documented:
            if real[key] is not None and documented[key] is not None:
                same_shape(real[key], documented[key], f"{where}.{key}")
    elif isinstance(documented, list) and isinstance(real, list) and real and documented:
        for item in real:
            same_shape(item, documented[0], f"{where}[]")


@pytest.fixture
def two_players(podsync, make_podcast, player: Path, tmp_path: Path):
    """Two registered players, ``clip`` connected, ``stick`` not; the next push to clip
    copies one new episode and deletes one played episode."""
    podcast = make_podcast("news", "Daily News", 3)
    podsync("subscribe", podcast.url, make_podcast("talk", "Quiet Talk", 1).url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "clip")
    stick = tmp_path / "stick"
    stick.mkdir()
    podsync("device", "add", str(stick), "--name", "stick")
    podsync("push")
    (stick / ".podsync" / "device.json").unlink()  # unplugged
    podsync("mark-played", "Daily News", "episode 1")
    podcast.add_episode("Daily News episode 4", time.time())
    podsync("fetch")
    return player


def test_status_shows_what_the_next_push_will_do(podsync, two_players: Path) -> None:
    status = json.loads(podsync("status", "--json").stdout)
    clip, stick = status["devices"]
    assert (clip["name"], clip["connected"], stick["connected"]) == ("clip", True, False)
    assert clip["next_push"]["copy"] == 1 and clip["next_push"]["delete"] == 1
    assert stick["next_push"] is None and stick["space"] is None
    space = clip["space"]
    assert space["podsync"] > 0 and space["free"] > 0
    assert space["podsync"] + space["other"] + space["free"] == space["total"]

    plan = json.loads(podsync("push", "clip", "--dry-run", "--json").stdout)["pushes"][0]
    assert plan["dry_run"] is True and plan["result"] is None
    assert [c["title"] for c in plan["plan"]["copy"]] == ["Daily News episode 4"]
    assert len(plan["plan"]["delete"]) == clip["next_push"]["delete"]
    assert plan["plan"]["copy_bytes"] == clip["next_push"]["copy_bytes"]

    news = next(p for p in status["podcasts"] if p["title"] == "Daily News")
    # The played episode left the cache with the fetch's clean; the next push drops it too.
    assert (news["episodes"], news["cached"], news["played"]) == (4, 3, 1)
    assert news["on_devices"] == {"clip": 3, "stick": 3}

    text = podsync("status").stdout
    assert re.search(
        r"clip\s+\S+player\s+\d{4}-\d\d-\d\d \d\d:\d\d, ok\s+copy 1 \(.*\), delete 1", text
    )
    assert re.search(r"stick\s+not connected", text)
    assert re.search(r"Daily News\s+4\s+3\s+1\s+3\s+3", text)
    assert "[" in text and "podsync," in text and "free of" in text


def test_status_fits_an_80_column_terminal(podsync, two_players: Path) -> None:
    from podsync.app import App
    from podsync.cli.status import gather, render

    with App.open({"PODSYNC_HOME": str(podsync.home)}) as app:
        status = gather(app)
    for fancy in (True, False):
        lines = render(status, 80, fancy).splitlines()
        assert max(len(line) for line in lines) <= 80, "\n".join(lines)


def test_every_json_output_has_the_documented_shape(podsync, two_players: Path) -> None:
    shapes = documented_shapes()
    assert set(shapes) == {
        "status",
        "list",
        "list podcast",
        "device list",
        "push",
        "fetch",
        "mark-played",
        "log",
    }
    outputs = {
        "status": podsync("status", "--json").stdout,
        "list": podsync("list", "--json").stdout,
        "list podcast": podsync("list", "Daily*", "--json").stdout,
        "device list": podsync("device", "list", "--json").stdout,
        "push": podsync("push", "clip", "--json").stdout,
        "fetch": podsync("fetch", "--json").stdout,
        "mark-played": podsync("mark-played", "news", "episode 4", "--json").stdout,
        "log": podsync("log", "--json").stdout,
    }
    for command, out in outputs.items():
        same_shape(json.loads(out), shapes[command], command)
    pushed = json.loads(outputs["push"])["pushes"][0]
    assert pushed["result"]["copied"] == 1 and pushed["result"]["deleted"] == 1


def test_quiet_prints_nothing_but_errors_and_verbose_is_accepted_everywhere(
    podsync, make_podcast, player: Path
) -> None:
    podsync("subscribe", make_podcast("news", "News", 2).url, "-q")
    assert podsync("fetch", "-q").stdout == ""
    podsync("device", "add", str(player), "--name", "clip", "-q")
    result = podsync("push", "-q")
    assert result.stdout == "" and result.stderr == ""
    assert "up to date" in podsync("push", "-v").stdout
    assert podsync("push", "nosuch", "-q", check=2).stderr.startswith("podsync: error:")
    # Data commands print their data whatever -q says.
    assert "News" in podsync("list", "-q").stdout
