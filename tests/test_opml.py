"""OPML import and export through the real command: round trips, hostile files."""

from __future__ import annotations

from pathlib import Path

from podsync.feeds.opml import Outline, parse_opml

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News &amp; &lt;Views&gt;" type="rss" xmlUrl="http://a.example/feed?x=1&amp;y=2"/>
    <outline text="Folder">
      <outline title="Café ☕ Talk" text="ignored when title is set" xmlurl="https://b.example/rss"/>
      <outline text="Nested twice" type="rss" xmlUrl="http://a.example/feed?x=1&amp;y=2"/>
    </outline>
    <outline text="A web page, not a feed" htmlUrl="http://c.example/"/>
    <outline text="" xmlUrl="http://d.example/untitled.xml"/>
  </body>
</opml>
"""

EXPECTED = [
    Outline("http://a.example/feed?x=1&y=2", "News & <Views>"),
    Outline("https://b.example/rss", "Café ☕ Talk"),
    Outline("http://d.example/untitled.xml", ""),
]


def test_import_then_export_round_trips_urls_and_titles(
    podsync, tmp_path: Path, home: Path
) -> None:
    source = tmp_path / "in.opml"
    source.write_text(OPML, encoding="utf-8")
    out = podsync("import", str(source)).stdout
    assert "Subscribed to 3 of 3 feeds" in out

    exported = podsync("export").stdout.encode()
    assert [(o.url, o.title) for o in parse_opml(exported)] == [
        (o.url, o.title or o.url) for o in EXPECTED
    ]
    listing = podsync("list").stdout
    assert "News & <Views>" in listing and "Café ☕ Talk" in listing

    # Into a second home and out again: the same document body, byte for byte.
    target = tmp_path / "out.opml"
    podsync("export", str(target))
    again = podsync.__class__(tmp_path / "other-home")
    assert "Subscribed to 3 of 3 feeds" in again("import", str(target)).stdout
    second = again("export").stdout
    assert _body(second) == _body(target.read_text(encoding="utf-8"))

    # Importing the same file again subscribes to nothing twice.
    assert "Subscribed to 0 of 3 feeds from" in podsync("import", str(source)).stdout
    assert "(3 already subscribed)" in podsync("import", str(target)).stdout


def _body(document: str) -> str:
    return document[document.index("<body>") :]


def test_hostile_and_broken_opml_files_are_refused(podsync, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<opml version="2.0"><body><outline text="&c;" xmlUrl="http://x/&c;"/></body></opml>'
    )
    external = tmp_path / "external.opml"
    external.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<opml version="2.0"><body><outline text="&e;" xmlUrl="http://x/"/></body></opml>'
    )
    broken = tmp_path / "broken.opml"
    broken.write_text('<opml version="2.0"><body><outline xmlUrl="http://x/"></body>')
    html = tmp_path / "page.opml"
    html.write_text("<html><body>not opml</body></html>")
    cases = {
        bomb: "refused: the OPML file uses XML entities",
        external: "refused: the OPML file uses",
        broken: "not a valid OPML file: mismatched tag",
        html: "not an OPML file: no <opml> with a <body>",
        tmp_path / "missing.opml": "cannot read",
    }
    for path, message in cases.items():
        result = podsync("import", str(path), check=2)
        assert result.stderr.startswith(f"podsync: error: {message}"), result.stderr
        assert "Traceback" not in result.stderr
    assert "No subscriptions yet" in podsync("list").stdout


def test_import_needs_exactly_one_source(podsync, tmp_path: Path) -> None:
    err = podsync("import", check=2).stderr
    assert "give either an OPML file or --gpodder" in err
    err = podsync("import", str(tmp_path / "x.opml"), "--gpodder", str(tmp_path), check=2).stderr
    assert "give either an OPML file or --gpodder" in err


def test_non_http_urls_are_skipped_with_a_warning(podsync, tmp_path: Path) -> None:
    source = tmp_path / "mixed.opml"
    source.write_text(
        '<opml version="2.0"><body><outline text="ok" xmlUrl="https://ok.example/feed"/>'
        '<outline text="local" xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    result = podsync("import", str(source), check=1)
    assert "Subscribed to 1 of 2 feeds" in result.stdout
    assert "skipped 'file:///etc/passwd': not an http(s) URL" in result.stderr
