"""The library on a real FAT player, through the real command: unsubscribe, rename,
device rename, per-podcast settings, list PODCAST, fetch PODCAST, clean and --explain."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FatPlayers, media_files


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[tags]\nenabled = false\n" + text)
    return path


def cached(home: Path) -> list[str]:
    root = home / "cache" / "episodes"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.mp3"))


def test_unsubscribe_forgets_the_podcast_and_its_episodes_leave_the_player(
    podsync, server, make_podcast, fat_player: FatPlayers, home: Path
) -> None:
    news, talk = make_podcast("news", "News", 3), make_podcast("talk", "Talk", 2)
    podsync("subscribe", news.url, talk.url)
    podsync("fetch")
    player = fat_player()
    podsync("device", "add", str(player), "--name", "stick")
    podsync("push")
    mine = player / "Podcasts" / "News" / "mine.mp3"
    mine.write_bytes(b"the user's own file")

    out = podsync("unsubscribe", news.url).stdout
    assert "Unsubscribed from News" in out and "Deleted 3 cached episodes" in out
    assert not any(p.startswith("News/") for p in cached(home))
    assert "News" not in podsync("list").stdout

    plan = podsync("push", "--dry-run").stdout
    assert plan.count("(unsubscribed)") == 3
    assert "deleted 3" in podsync("push").stdout
    assert media_files(player) == ["Podcasts/News/mine.mp3"] + [
        f for f in media_files(player) if f.startswith("Podcasts/Talk/")
    ]
    assert len(media_files(player)) == 3 and mine.read_bytes() == b"the user's own file"

    requests = server.requests["/news/feed.xml"]
    podsync("fetch")
    assert server.requests["/news/feed.xml"] == requests, "an unsubscribed feed is not read"

    bad = podsync("unsubscribe", "Nothing*", check=2)
    assert bad.stderr == "podsync: error: no podcast matches 'Nothing*' (see: podsync list)\n"

    # Subscribing again (or importing it from OPML) brings it back.
    opml = home.parent / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><body><outline xmlUrl="{news.url}"/></body></opml>')
    assert "Subscribed to 1 of 1 feeds" in podsync("import", str(opml)).stdout
    assert "already subscribed" in podsync("subscribe", news.url, check=2).stderr
    podsync("fetch")
    assert "copied 3" in podsync("push").stdout


def test_rename_a_podcast_and_a_player(
    podsync, make_podcast, fat_player: FatPlayers, home: Path
) -> None:
    news, talk = make_podcast("news", "News", 2), make_podcast("talk", "Talk", 1)
    podsync("subscribe", news.url, talk.url)
    podsync("fetch")
    player = fat_player()
    podsync("device", "add", str(player), "--name", "stick")
    podsync("push")

    assert "Renamed 'News' to 'Morning News'" in podsync("rename", "news", "Morning News").stdout
    podsync("fetch")  # the feed still says "News": the chosen title stays
    titles = [p["title"] for p in json.loads(podsync("list", "--json").stdout)["podcasts"]]
    assert titles == ["Morning News", "Talk"]
    assert podsync("rename", "Morning*", "Talk", check=2).stderr == (
        "podsync: error: another podcast is already called 'Talk'\n"
    )
    assert "matches 2 podcasts" in podsync("rename", "*", "X", check=2).stderr

    out = podsync("device", "rename", "stick", "clip").stdout
    assert "Renamed stick to clip" in out
    devices = json.loads(podsync("device", "list", "--json").stdout)["devices"]
    assert [d["name"] for d in devices] == ["clip"]
    assert devices[0]["last_sync"] is not None and devices[0]["episodes"] == 3
    assert "up to date" in podsync("push", "clip").stdout
    podsync("device", "rename", "nope", "x", check=2)


def test_per_podcast_settings_and_explain(
    podsync, server, make_podcast, fat_player: FatPlayers, home: Path
) -> None:
    news, talk, old = (
        make_podcast("news", "News", 4),
        make_podcast("talk", "Talk Show", 2),
        make_podcast("old", "Old Radio", 2),
    )
    podsync("subscribe", news.url, talk.url, old.url)
    write_config(
        home,
        '[filters]\ninclude = ["*"]\nexclude = ["Nope*"]\n'
        "[devices.stick.filters]\nkeep = 1\n"
        '[podcasts."talk*"]\nsync = false\nkeep = 1\n'
        '[podcasts."Old Radio"]\nmax_age_days = 1\nfetch = false\n'
        '[podcasts."Gone Podcast"]\nkeep = 2\n',
    )
    podsync("fetch")
    # Old Radio: fetch = false downloads nothing; Talk Show: its own keep, never pushed.
    assert [p.split("/")[0] for p in cached(home)] == ["News"] * 4 + ["Talk Show"]
    player = fat_player()
    podsync("device", "add", str(player), "--name", "stick")

    dry = podsync("push", "--dry-run", "--explain")
    assert "warning: stick" in dry.stderr and "'Nope*' matches no podcast" in dry.stderr
    assert '[podcasts."Gone Podcast"] matches no podcast' in dry.stderr
    assert "copy    News — News episode 4" in dry.stdout
    assert "skip    News — News episode 3  (keep: not among the newest 1 of News)" in dry.stdout
    assert "skip    Talk Show — Talk Show episode 2  (sync = false)" in dry.stdout
    # Episodes known from the feeds but not cached are explained too.
    old_one = "skip    Old Radio — Old Radio episode 1  (max_age: published more than 1 days ago)"
    assert old_one in dry.stdout
    assert "Would copy 1" in dry.stdout
    podsync("push")
    assert [f.split("/")[1] for f in media_files(player)] == ["News"]

    # Everything a player lacks, with the reason, in status --json too.
    status = json.loads(podsync("status", "--json").stdout)
    explain = status["devices"][0]["next_push"]["explain"]
    talk_show = {"podcast": "Talk Show", "title": "Talk Show episode 2", "action": "skip"}
    assert {**talk_show, "reason": "sync = false"} in explain

    # A filter change that takes everything off the player says so, and names the pattern.
    write_config(home, '[filters]\nexclude = ["News"]\n[devices.stick.filters]\nkeep = 1\n')
    dry = podsync("push", "--dry-run")
    assert "(exclude: matches 'News')" in dry.stdout
    assert "this push deletes all 1 episodes on the player because of the filters" in dry.stderr

    # fetch = false: the feed is not read any more.
    write_config(home, '[podcasts."Old*"]\nfetch = false\n')
    before = server.requests["/old/feed.xml"]
    podsync("fetch")
    assert server.requests["/old/feed.xml"] == before

    # Checked at load like the rest: the line, exit 2, no traceback.
    path = write_config(home, '[podcasts."News"]\nkep = 1\n')
    bad = podsync("push", "--dry-run", check=2)
    assert bad.stderr == f'podsync: error: {path}, line 4: unknown setting podcasts."News".kep\n'
    write_config(home, '[podcasts."News"]\nsync = "no"\n')
    assert "must be a bool" in podsync("fetch", check=2).stderr
    podsync("push", "--explain", check=2)


def test_list_and_fetch_one_podcast(
    podsync, server, make_podcast, fat_player: FatPlayers, home: Path
) -> None:
    news, talk = make_podcast("news", "News", 3), make_podcast("talk", "Talk", 1)
    podsync("subscribe", news.url, talk.url)
    write_config(home, "[filters]\nkeep = 2\n")
    podsync("fetch", "News")
    assert [p.split("/")[0] for p in cached(home)] == ["News", "News"]
    assert server.requests["/talk/feed.xml"] == 1  # only when subscribing
    player = fat_player()
    podsync("device", "add", str(player), "--name", "stick")
    podsync("push")
    podsync("mark-played", "News", "episode 3")

    episodes = json.loads(podsync("list", "news", "--json").stdout)["podcasts"][0]["episodes"]
    states = {e["title"]: (e["state"], e["players"]) for e in episodes}
    assert states == {
        "News episode 3": ("played", ["stick"]),
        "News episode 2": ("cached", ["stick"]),
        "News episode 1": ("new", []),
    }
    text = podsync("list", "News").stdout
    assert text.splitlines()[1].split() == ["PUBLISHED", "STATE", "ON", "EPISODE"]
    assert "played  stick  News episode 3" in text
    podsync("push")  # deletes the played episode and cleans it out of the cache
    episodes = json.loads(podsync("list", "News", "--json").stdout)["podcasts"][0]["episodes"]
    assert episodes[0]["state"] == "finished" and not episodes[0]["cached"]
    assert "no podcast matches 'Nope'" in podsync("list", "Nope", check=2).stderr
    assert "no podcast matches" in podsync("fetch", "Nope", check=2).stderr


def test_clean_by_hand_says_what_it_freed_and_keep_played_keeps(
    podsync, make_podcast, home: Path
) -> None:
    news = make_podcast("news", "News", 4)
    podsync("subscribe", news.url)
    write_config(home, "[fetch]\nkeep_played = true\n[filters]\nkeep = 3\n")
    podsync("fetch")
    podsync("mark-played", "News", "episode 4")
    assert "Deleted 0 cached episodes" in podsync("clean").stdout
    write_config(home, "[filters]\nkeep = 3\n")
    dry = podsync("clean", "--dry-run").stdout
    assert "  News — News episode 4\n" in dry and "Would delete 1 cached episode," in dry
    assert len(cached(home)) == 3
    out = podsync("clean").stdout
    assert "Deleted 1 cached episode," in out and "freed" in out
    assert len(cached(home)) == 2
    assert "Deleted 0" in podsync("clean").stdout


def test_clean_keeps_what_a_fat_player_still_holds_unplayed(
    podsync, make_podcast, fat_player: FatPlayers, home: Path
) -> None:
    news = make_podcast("news", "News", 3)
    podsync("subscribe", news.url)
    podsync("fetch")
    player = fat_player()
    podsync("device", "add", str(player), "--name", "clip")
    podsync("push")
    assert len(media_files(player)) == 3
    # Fewer wanted now, but the player keeps what it has: the cache keeps it too.
    write_config(home, "[filters]\nkeep = 1\ndelete_unwanted = false\n")
    assert "Would delete 0 cached episodes" in podsync("clean", "--dry-run").stdout
    assert len(cached(home)) == 3
    # Once listened to and gone from the player, the cache lets them go.
    podsync("mark-played", "News", "episode 1")
    podsync("mark-played", "News", "episode 2")
    podsync("push")
    assert len(media_files(player)) == 1
    assert "Deleted 0" in podsync("clean").stdout  # the push already cleaned
    assert len(cached(home)) == 1
