"""Hostile input on this computer's side: settings out of range, bad arguments, player folders
that leave the player, an export onto a link or a device, gPodder paths that leave its folder,
and feed titles built to attack the terminal or to bloat tags and manifests."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from podsync.cli.demo_server import rss, silent_mp3

from .support import write_config

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal or a file from a feed (tab and newline are podsync's own)."""


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("podsync: error: ") and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("table", "key", "allowed"),
    [
        ("fetch", "timeout", "at least 1 and at most 3600"),
        ("fetch", "connect_timeout", "at least 1 and at most 600"),
        ("watch", "debounce", "at least 0 and at most 86400"),
        ("devices.clip.filters", "keep", "at least 1 and at most 10000"),
    ],
)
def test_a_setting_out_of_range_is_refused_at_load(
    podsync, make_podcast, home: Path, table: str, key: str, allowed: str
) -> None:
    podcast = make_podcast("pod", "Pod", 1)
    podsync("subscribe", podcast.url)
    write_config(home, f"[{table}]\n{key} = {10**12}\n")
    err = one_line_error(podsync("fetch", check=2).stderr)
    assert err == (
        f"podsync: error: {home / 'config' / 'config.toml'}, line 2: "
        f"{table}.{key} must be {allowed}, not 1000000000000"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("fetch.cache_reserve", "9" * 400 + " TB", "is more than 1 PB, the largest size"),
        ("push.reserve", "2 EB", "is not a size"),
        ("filters.budget", "100% free", "a share of 100% or more would keep the whole player"),
    ],
)
def test_a_size_out_of_range_is_refused_at_load(
    podsync, home: Path, key: str, value: str, message: str
) -> None:
    section, name = key.split(".")
    write_config(home, f'[{section}]\n{name} = "{value}"\n')
    err = one_line_error(podsync("status", check=2).stderr)
    assert f"config.toml, line 2: {key}: " in err and message in err
    assert len(err) < 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["subscribe", "http://[::1"], "not a feed URL: 'http://[::1'"),
        (["device", "add", "", "--name", "here"], "MOUNTPOINT is empty"),
        (["push", ""], "NAME|MOUNTPOINT is empty"),
        (["export", ""], "FILE is empty"),
        (["import", ""], "FILE.opml is empty"),
        (["udev", "install", "--root", ""], "--root is empty"),
        (["demo", "--dir", ""], "--dir is empty"),
        (["device", "add", b"/tmp/\xff", "--name", "x"], "b'/tmp/\\xff' is not UTF-8 text"),
        (["device", "add", ".", "--name", "\x1b[31mred"], "invalid device name '\\x1b[31mred'"),
    ],
    ids=[
        "ipv6",
        "add-empty",
        "push-empty",
        "export-empty",
        "import-empty",
        "udev-root-empty",
        "demo-dir-empty",
        "not-utf8",
        "escape",
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    podsync, player: Path, home: Path, args: list, message: str
) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    before = sorted(p.name for p in player.iterdir())
    # Run from inside the player: an empty path would mean it.
    argv = [os.fsdecode(a) if isinstance(a, bytes) else a for a in args]
    err = one_line_error(podsync(*argv, check=2, cwd=player).stderr)
    assert message in err
    assert sorted(p.name for p in player.iterdir()) == before
    assert "stick" in podsync("device", "list").stdout
    assert "here" not in podsync("device", "list").stdout


LEAVING = ["../x", "a/../../x", ".podsync", ".PodSync/x", "/tmp/x", ""]


@pytest.mark.parametrize("folder", LEAVING)
def test_a_player_folder_that_leaves_the_player_is_refused(
    podsync, player: Path, home: Path, folder: str
) -> None:
    err = one_line_error(
        podsync("device", "add", str(player), "--name", "p", "--folder", folder, check=2).stderr
    )
    assert err.startswith(f"podsync: error: --folder {folder!r} ")
    assert "No devices registered" in podsync("device", "list").stdout
    assert list(player.iterdir()) == []

    write_config(home, f"[push]\nfolder = {json.dumps(folder)}\n")
    err = one_line_error(podsync("device", "add", str(player), "--name", "p", check=2).stderr)
    assert f"config.toml, line 2: push.folder: {folder!r} " in err
    assert list(player.iterdir()) == []


def test_a_player_registered_with_a_folder_that_leaves_it_is_not_pushed(
    podsync, make_podcast, tmp_path: Path, home: Path, player: Path
) -> None:
    """A database from an older podsync, which took ``--folder ../outside``."""
    podcast = make_podcast("pod", "Pod", 2)
    podsync("subscribe", podcast.url)
    podsync("fetch")
    podsync("device", "add", str(player), "--name", "p")
    db = sqlite3.connect(home / "state" / "state.db")
    db.execute("UPDATE devices SET folder = '../outside'")
    db.commit()
    db.close()
    err = one_line_error(podsync("push", "p", check=1).stderr)
    assert "p: its folder '../outside' leads out of the player (..)" in err
    assert not (tmp_path / "outside").exists()


def test_export_never_writes_through_a_link_or_into_a_device(podsync, tmp_path: Path) -> None:
    podsync("import", "/dev/null", check=2)  # not OPML: nothing subscribed, a state exists
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's words\n")
    link = tmp_path / "feeds.opml"
    link.symlink_to(precious)
    err = one_line_error(podsync("export", str(link), check=2).stderr)
    assert f"{link} is a symbolic link; podsync does not write through links" in err
    assert link.is_symlink() and precious.read_text() == "the user's words\n"

    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (node, fifo, tmp_path):
        err = one_line_error(podsync("export", str(special), check=2).stderr)
        assert f"{special} is not a regular file" in err
    assert stat.S_ISCHR(node.lstat().st_mode) and stat.S_ISFIFO(fifo.lstat().st_mode)

    mine = tmp_path / "mine.opml"
    mine.write_text("old")
    mine.chmod(0o600)
    podsync("export", str(mine))
    assert mine.read_text().startswith("<?xml") and stat.S_IMODE(mine.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["precious.txt", "feeds.opml", "null", "fifo", "mine.opml", "home"]
    )


def gpodder_database(path: Path, rows: list[tuple[str, str]]) -> None:
    """A gPodder ``Database`` with one podcast per (download_folder, download_filename)."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE podcast (id INTEGER PRIMARY KEY, url TEXT, title TEXT,"
        " download_folder TEXT);"
        "CREATE TABLE episode (id INTEGER PRIMARY KEY, podcast_id INTEGER, guid TEXT,"
        " title TEXT, url TEXT, mime_type TEXT, file_size INTEGER, published INTEGER,"
        " state INTEGER, is_new INTEGER, download_filename TEXT, last_playback INTEGER);"
    )
    for n, (folder, filename) in enumerate(rows, start=1):
        db.execute(
            "INSERT INTO podcast VALUES (?, ?, ?, ?)", (n, f"http://127.0.0.1/{n}", f"P{n}", folder)
        )
        db.execute(
            "INSERT INTO episode VALUES (?, ?, ?, ?, ?, 'audio/mpeg', 10, 0, 1, 0, ?, 0)",
            (n, n, f"g{n}", f"E{n}", f"http://127.0.0.1/{n}.mp3", filename),
        )
    db.commit()
    db.close()


def test_gpodder_import_never_follows_paths_out_of_its_download_folder(
    podsync, tmp_path: Path, home: Path
) -> None:
    gp = tmp_path / "gPodder"
    downloads = gp / "Downloads"
    (downloads / "Good").mkdir(parents=True)
    (downloads / "Good" / "ok.mp3").write_bytes(b"gPodder's own file")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.mp3").write_bytes(b"not gPodder's")
    (downloads / "Linked").symlink_to(secret)
    gpodder_database(
        gp / "Database",
        [
            ("Good", "ok.mp3"),
            ("../../secret", "key.mp3"),
            ("Good", "../../../secret/key.mp3"),
            ("Good", str(secret / "key.mp3")),
            (str(secret), "key.mp3"),
            ("Linked", "key.mp3"),
        ],
    )
    result = podsync("import", "--gpodder", str(gp))
    assert "6 podcasts (0 already subscribed), 6 episodes, 1 files" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 5 and all("outside its download folder" in w for w in warnings)
    cached = [p for p in (home / "cache" / "episodes").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in cached] == [b"gPodder's own file"]


HOSTILE_TITLE = (
    "Pod\x1b]52;c;cm0gLXJmIH4K\x07cast\x1b[2J\x9b31m \u202egnp.exe\nFake line\r\x85"
    "#EXTINF:1,x\n/etc/passwd"
)


def test_titles_from_feeds_cannot_reach_the_terminal_or_bloat_files(
    podsync, server, home: Path, player: Path
) -> None:
    from mutagen.easyid3 import EasyID3

    from podsync.cli.demo_server import SampleEpisode

    body = silent_mp3(2)
    server.add("evil/1.mp3", body, "audio/mpeg")
    server.add("evil/2.mp3", body, "audio/mpeg")
    episodes = [
        SampleEpisode("e1", HOSTILE_TITLE, time.time() - 60, "evil/1.mp3", len(body)),
        SampleEpisode("e2", "Long " + "x" * 10**7, time.time() - 120, "evil/2.mp3", len(body)),
    ]
    feed = rss(HOSTILE_TITLE, episodes, server.base_url, author="Ev\x1b[5mil")
    url = server.add("evil/feed.xml", feed, "application/rss+xml")
    outputs = [podsync("subscribe", url), podsync("fetch"), podsync("list")]
    outputs += [podsync("device", "add", str(player), "--name", "p"), podsync("push")]
    outputs += [podsync("status"), podsync("device", "list"), podsync("list", "--json")]
    for result in outputs:
        assert not CONTROL.search(result.stdout + result.stderr), result.args
    listed = outputs[2].stdout  # (feedparser reads the C1 bytes as Windows-1252: › …)
    assert "Pod]52;c;cm0gLXJmIH4Kcast[2J›31m gnp.exe Fake line …#EXTINF:1,x /etc/passwd" in listed

    manifest = player / ".podsync" / "manifest.json"
    assert manifest.stat().st_size < 20_000
    assert not CONTROL.search(manifest.read_text(encoding="utf-8"))
    for playlist in player.rglob("*.m3u8"):
        lines = [x for x in playlist.read_text().splitlines() if x and not x.startswith("#")]
        assert all((playlist.parent / x).is_file() for x in lines), playlist
        assert not CONTROL.search(playlist.read_text())
    for path in player.rglob("*.mp3"):
        tags = EasyID3(path)
        assert path.stat().st_size < len(body) + 10_000
        for field in ("title", "album", "artist"):
            value = " ".join(tags.get(field, []))
            assert len(value) <= 500 and not CONTROL.search(value), (field, value[:80])


def test_a_huge_author_neither_hangs_the_feed_nor_bloats_the_tags(
    podsync, server, home: Path, player: Path
) -> None:
    """feedparser's e-mail search is quadratic on a long author: 1 MB took hours."""
    from mutagen.easyid3 import EasyID3

    body = silent_mp3(2)
    episode = server.add("long/1.mp3", body, "audio/mpeg")
    feed = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Long</title>'
        f"<itunes:author><![CDATA[{'z' * 10**6}]]></itunes:author>"
        f"<item><title>One</title><guid>one</guid><author>{'q.' * 10**6}</author>"
        f'<enclosure url="{episode}" length="{len(body)}" type="audio/mpeg"/></item>'
        "</channel></rss>"
    ).encode()
    url = server.add("long/feed.xml", feed, "application/rss+xml")
    podsync("subscribe", url, timeout=120)  # a hang guard, not a speed check
    podsync("fetch", timeout=120)
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    [copy] = player.rglob("*.mp3")
    artist = EasyID3(copy)["artist"][0]
    assert artist.startswith("q.q.q.") and len(artist) <= 200
