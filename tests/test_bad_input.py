"""Bad input: a one-line message, a non-zero exit, and nothing else lost."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from conftest import media_files
from http_faults import endless, redirect, stall

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
    b'<enclosure url="http://127.0.0.1/x.mp3" type="audio/mpeg"/></item></channel></rss>'
)
"""Nine levels of ten: a billion "lol"s, some 3 GB, if a parser expanded them."""

BREAKAGES = {
    "html": "not a podcast feed: the server sent a web page",
    "404": "server answered 404 Not Found",
    "500": "server answered 500 Internal Server Error",
    "garbage": "not a valid feed",
    "unreachable": "127.0.0.1 closed the connection without answering",
    "stall": "127.0.0.1 stopped sending for 1 s",
    "endless": "feed is larger than 1 MiB (fetch.max_feed_mb); stopped reading",
    "redirect-loop": "more than 10 redirects (a redirect loop?)",
    "billion-laughs": "refused: the feed declares XML entities",
}


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("podsync: error: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unknown_device_name(podsync, player: Path) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    err = one_line_error(podsync("push", "nosuch", check=2).stderr)
    assert "no device named 'nosuch' (registered: stick)" in err


def test_folder_that_is_not_a_registered_device(podsync, player: Path, tmp_path: Path) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    other = tmp_path / "other"
    other.mkdir()
    err = one_line_error(podsync("push", str(other), check=2).stderr)
    assert "is not a registered device" in err and "podsync device add" in err


def test_registered_device_not_connected(podsync, player: Path) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    (player / ".podsync" / "device.json").unlink()  # as if another stick were mounted there
    err = one_line_error(podsync("push", "stick", check=1).stderr)
    assert "device 'stick' is not connected" in err


def test_push_with_no_device_registered(podsync) -> None:
    err = one_line_error(podsync("push", check=2).stderr)
    assert "no device registered" in err


def test_device_add_on_a_missing_folder(podsync, tmp_path: Path) -> None:
    err = one_line_error(
        podsync("device", "add", str(tmp_path / "nope"), "--name", "x", check=2).stderr
    )
    assert "is not a folder" in err


def test_device_add_twice(podsync, player: Path) -> None:
    podsync("device", "add", str(player), "--name", "stick")
    err = one_line_error(podsync("device", "add", str(player), "--name", "other", check=2).stderr)
    assert "already registered as 'stick'" in err


def test_unreachable_feed(podsync, home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/feed.xml"
    err = one_line_error(podsync("subscribe", url, check=1).stderr)
    assert f"cannot subscribe to {url}: cannot reach 127.0.0.1: connection refused" in err
    assert "No subscriptions yet" in podsync("list").stdout


def test_html_instead_of_a_feed(podsync, server) -> None:
    url = server.add(
        "page.html", b"<!DOCTYPE html><html><body>Hello</body></html>", "text/html; charset=utf-8"
    )
    err = one_line_error(podsync("subscribe", url, check=1).stderr)
    assert "not a podcast feed: the server sent a web page" in err


def test_feed_without_audio(podsync, server) -> None:
    url = server.add(
        "blog.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<title>Blog</title><item><title>Post</title><link>http://x/1</link>"
        b"</item></channel></rss>",
        "application/rss+xml",
    )
    err = one_line_error(podsync("subscribe", url, check=1).stderr)
    assert "no audio episodes in this feed" in err


def test_not_a_url(podsync) -> None:
    err = one_line_error(podsync("subscribe", "ftp:/nonsense", check=2).stderr)
    assert "not a feed URL" in err


def test_one_bad_url_does_not_stop_the_others(podsync, make_podcast) -> None:
    good = make_podcast("good", "Good", 2)
    result = podsync("subscribe", f"http://127.0.0.1:{free_port()}/x", good.url, check=1)
    assert "Subscribed to Good (2 episodes)" in result.stdout
    one_line_error(result.stderr)


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_broken_feed_does_not_stop_the_others(
    podsync, make_podcast, server, home: Path, player: Path, breakage: str
) -> None:
    good = make_podcast("good", "Good", 2)
    bad = make_podcast("bad", "Bad", 2)
    podsync("subscribe", good.url, bad.url)
    (home / "config" / "config.toml").write_text("[fetch]\ntimeout = 1\nmax_feed_mb = 1\n")
    path = "/bad/feed.xml"
    if breakage == "html":
        server.add(path, b"<html><body>We moved!</body></html>", "text/html")
    elif breakage == "404":
        del server.resources[path]
    elif breakage == "500":
        server.faults[path] = lambda handler: handler.send_error(500)
    elif breakage == "garbage":
        server.add(path, b"\x00\x01 definitely <not xml", "application/xml")
    elif breakage == "unreachable":
        server.faults[path] = lambda handler: handler.close_connection or handler.wfile.close()
    elif breakage == "stall":
        server.faults[path] = stall(10)
    elif breakage == "endless":
        server.faults[path] = endless()
    elif breakage == "redirect-loop":
        server.faults[path] = redirect(server.url("/bad/loop.xml"), 302)
        server.faults["/bad/loop.xml"] = redirect(server.url(path), 302)
    else:
        server.add(path, BILLION_LAUGHS, "application/rss+xml")
    good.add_episode("Good episode 3", 2e9)

    result = podsync("fetch", check=1)
    assert f"podsync: error: feed Bad: {BREAKAGES[breakage]}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Downloaded 5 episodes" in result.stdout  # both of Good's and Bad's known episodes
    listing = podsync("list").stdout
    assert "error" in listing.splitlines()[2] or "error" in listing
    # The good feed's new episode made it; the state database is intact.
    with sqlite3.connect(home / "state" / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {r[0] for r in db.execute("SELECT title FROM episodes")}
    assert "Good episode 3" in titles
    podsync("device", "add", str(player), "--name", "p")
    podsync("push")
    assert len(media_files(player)) == 5


def test_bad_config_file(podsync, home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[fetch]\ntimeout = 30\n\n[filters]\nkep = 3\n")
    err = one_line_error(podsync("list", check=2).stderr)
    assert "config.toml, line 5: unknown setting filters.kep" in err
    (home / "config" / "config.toml").write_text("[filters]\nkeep = 'many'\n")
    err = one_line_error(podsync("list", check=2).stderr)
    assert "line 2: filters.keep must be a whole number" in err
    (home / "config" / "config.toml").write_text("[filters\nkeep = 3\n")
    err = one_line_error(podsync("list", check=2).stderr)
    assert "config.toml: " in err and "line 1" in err


def test_state_database_from_a_newer_version_is_refused_untouched(podsync, home: Path) -> None:
    podsync("list")
    db_path = home / "state" / "state.db"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA user_version = 99")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = db_path.read_bytes()
    err = one_line_error(podsync("list", check=1).stderr)
    assert "written by a newer podsync (schema 99" in err
    assert db_path.read_bytes() == before


def test_a_damaged_state_database_is_reported_without_a_traceback(
    podsync, make_podcast, home: Path
) -> None:
    podsync("subscribe", make_podcast("news", "News", 40).url)
    database = home / "state" / "state.db"
    size = database.stat().st_size
    with open(database, "r+b") as f:  # the header is fine; the tables' pages are not
        f.seek(4096 * 2)
        f.write(b"\xff" * (size - 4096 * 2))
    err = one_line_error(podsync("list", check=1).stderr)
    assert f"state database {database}: database disk image is malformed" in err
