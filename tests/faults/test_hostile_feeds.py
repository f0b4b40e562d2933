"""Hostile feeds through ``podsync subscribe``/``fetch``: entity expansion, external entities,
deep nesting, invalid UTF-8, endless bodies, and names built to escape the cache or the player."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from podsync.cli.demo_server import silent_mp3


def item(url: str, title: str = "Episode", guid: str = "g1") -> str:
    return (
        f"<item><title>{title}</title><guid>{guid}</guid><pubDate>Tue, 24 Nov 2026 10:00:00 GMT"
        f'</pubDate><enclosure url="{url}" length="100" type="audio/mpeg"/></item>'
    )


def laughs(url: str) -> bytes:
    """A billion laughs: ten entities, each ten of the one before."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        f"<title>Laughs &lol9;</title>{item(url, 'Ep &lol9;')}</channel></rss>"
    ).encode()


def external(url: str) -> bytes:
    return (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<rss version="2.0"><channel><title>External &xxe;</title>{item(url, "Ep &xxe;")}'
        "</channel></rss>"
    ).encode()


def deep(url: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Deep</title>{item(url)}'
        + "<x>" * 50_000
        + "</x>" * 50_000
        + "</channel></rss>"
    ).encode()


def bad_utf8(url: str) -> bytes:
    return (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        b"<title>Broken \xff\xfe bytes</title>"
        + item(url, "Ep").encode().replace(b"Ep", b"Ep \xc3\x28 \xed\xa0\x80")
        + b"</channel></rss>"
    )


def titles(home: Path) -> list[str]:
    with sqlite3.connect(home / "state" / "state.db") as db:
        return [
            r[0]
            for r in db.execute("SELECT title FROM podcasts UNION ALL SELECT title FROM episodes")
        ]


@pytest.mark.parametrize("feed", [laughs, external, deep, bad_utf8])
def test_hostile_feed_is_read_safely(podsync, server, home: Path, feed) -> None:
    audio = server.add("ep.mp3", silent_mp3(0.5), "audio/mpeg")
    url = server.add("feed.xml", feed(audio), "application/rss+xml")
    result = podsync("subscribe", url, check=None)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    for title in titles(home):
        assert "lollol" not in title and "root:" not in title  # nothing expanded or read in
        assert len(title) < 200
    if result.returncode == 0:
        assert "Downloaded 1 episode" in podsync("fetch").stdout


def test_endless_feed_is_cut_off(podsync, server) -> None:
    def endless(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.end_headers()  # no length: it just keeps coming
        try:
            handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')
            while True:
                handler.wfile.write(b"x" * 65536)
        except OSError:
            pass

    server.faults["/endless.xml"] = endless
    result = podsync("subscribe", server.url("endless.xml"), check=1)
    assert "feed is larger than 32 MiB (fetch.max_feed_mb); stopped reading" in result.stderr


HOSTILE_TITLES = [
    "../../../../escaped",
    "/etc/passwd",
    "..",
    "CON",
    "nul.mp3",
    "AUX",
    "a&#0;b",
    "back\\slash\\..\\..\\x",
    "&#x2e;&#x2e;/&#x2e;&#x2e;/dots",
]


def test_names_built_to_escape_stay_inside_the_cache_and_the_player(
    podsync, server, tmp_path: Path, home: Path
) -> None:
    audio = silent_mp3(0.5)
    items = []
    for n, title in enumerate(HOSTILE_TITLES):
        server.add(f"{n}.mp3", audio, "audio/mpeg")
        items.append(item(server.url(f"../../{n}.mp3?x=/../../y"), title, f"../../guid{n}"))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>../../..</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    url = server.add("feed.xml", feed, "application/rss+xml")
    player = tmp_path / "player"
    player.mkdir()
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[filters]\nkeep = 20\n[names]\ntemplate = "{podcast}/{title}.{ext}"\n'
    )
    podsync("subscribe", url)
    assert f"Downloaded {len(HOSTILE_TITLES)} episodes" in podsync("fetch").stdout
    podsync("device", "add", str(player), "--name", "p")
    assert f"copied {len(HOSTILE_TITLES)}" in podsync("push").stdout

    cache = home / "cache" / "episodes"
    allowed = (home / "config", home / "state", cache, player)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    for path in written:  # nothing landed anywhere else
        assert any(path.is_relative_to(root) for root in allowed), path
    on_player = [p.relative_to(player) for p in written if p.is_relative_to(player)]
    episodes = [p for p in on_player if p.suffix == ".mp3"]
    assert len(episodes) == len(HOSTILE_TITLES)
    for path in episodes:
        assert len(path.parts) == 3 and path.parts[0] == "Podcasts"  # one folder per podcast
        assert path.parts[1] not in (".", "..")
        assert path.stem.split(".")[0].upper() not in {"CON", "NUL", "AUX"}
        assert "\x00" not in str(path) and "\\" not in str(path)
