"""The page is its user's only: loopback, the Host check, the secret, Origin, no CORS,
bounded uploads and escaped feed text — over HTTP and in a real browser."""

from __future__ import annotations

import json
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import Podcast
from podsync.ui.security import LOGIN_TTL, login_token

from .conftest import CHROMIUM, CHROMIUM_ARGS

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<opml version="2.0"><body><outline text="&d;" xmlUrl="http://127.0.0.1:9/&d;"/></body></opml>
"""


def subscriptions(podsync) -> list[str]:
    return [p["url"] for p in json.loads(podsync("list", "--json").stdout)["podcasts"]]


def test_the_host_must_be_this_server(ui) -> None:
    served = ui()
    assert served.request("GET", "/").status == 200
    assert served.request("GET", "/", host=f"localhost:{served.port}").status == 200
    for host in (f"rebind.example:{served.port}", "127.0.0.1", f"127.0.0.1:{served.port + 1}"):
        answer = served.request("GET", "/part/podcasts", host=host)
        assert answer.status == 403, host
        assert "refused: this page answers only at http://127.0.0.1:" in answer.body
    assert served.request("GET", "/events", host="rebind.example").status == 403


def test_changes_need_the_secret_and_this_origin(ui, podsync, make_podcast) -> None:
    cast = make_podcast("cast", "Cast", 1)
    served = ui()
    body = json.dumps({"url": cast.url})
    origin = f"http://127.0.0.1:{served.port}"
    refused = {
        "no secret": {"X-Podsync-Secret": None},
        "wrong secret": {"X-Podsync-Secret": "guess"},
        "no origin": {"Origin": None},
        "another origin": {"Origin": "http://evil.example"},
        "another port": {"Origin": f"http://127.0.0.1:{served.port + 1}"},
        "origin null": {"Origin": "null"},
    }
    for why, headers in refused.items():
        answer = served.request("POST", "/api/subscribe", body, headers)
        assert answer.status == 403, why
        assert answer.body.startswith("refused: "), why
    assert subscriptions(podsync) == []
    answer = served.request("POST", "/api/subscribe", body, {"Origin": origin})
    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["message"] == "Subscribed to Cast (1 episode)"
    assert subscriptions(podsync) == [cast.url]


def test_no_cross_origin_reads(ui) -> None:
    served = ui()
    evil = {"Origin": "http://evil.example"}
    for method, path in (("GET", "/"), ("GET", "/api/ping"), ("OPTIONS", "/api/fetch")):
        answer = served.request(method, path, headers=evil)
        assert not [h for h in answer.headers if h.startswith("access-control-")], path
    page = served.request("GET", "/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert '<meta name="podsync-secret" content="">' in page.body  # no cookie: no secret


def test_the_secret_is_kept_private_and_login_needs_a_fresh_token(ui, home: Path) -> None:
    served = ui()
    mode = (home / "state" / "ui-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    token = login_token(served.secret)
    refused = {
        "a guess": "guess",
        "another install's": login_token("another secret"),
        "a stale one": login_token(served.secret, now=time.time() - LOGIN_TTL - 5),
        "a tampered expiry": f"{int(time.time()) + 60}.{token.split('.', 1)[1]}",
    }
    for why, bad in refused.items():
        answer = served.request("GET", f"/login?token={bad}")
        assert answer.status == 403, why
        assert "set-cookie" not in answer.headers, why
    # the secret itself in the address no longer logs in: addresses end up in histories
    assert served.request("GET", f"/login?secret={served.secret}").status == 403
    answer = served.request("GET", f"/login?token={token}")
    assert answer.status == 303
    assert answer.headers["location"] == "/"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = served.request("GET", "/", headers={"Cookie": cookie.split(";")[0]})
    assert f'<meta name="podsync-secret" content="{served.secret}">' in page.body
    again = served.request("GET", f"/login?token={token}")  # a link works once
    assert again.status == 403 and "used already" in again.body
    assert "set-cookie" not in again.headers


def test_the_browser_keeps_no_secret_in_its_history(ui, chromium, tmp_path: Path) -> None:
    """A real Chromium profile on disk: what its history database and session files hold
    after a login is a spent token, never the secret; the tab's own history has no login."""
    served = ui()
    profile = tmp_path / "profile"
    context = chromium.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        tab = context.pages[0] if context.pages else context.new_page()
        requests = []
        context.on("request", lambda request: requests.append(request))
        login = served.login_url
        tab.goto(login)
        expect(tab).to_have_url(served.url)
        expect(tab.locator("#live-state")).to_have_text("live")
        expect(tab.locator(".banner")).to_have_count(0)  # logged in
        assert tab.evaluate("location.href") == served.url
        assert tab.evaluate("history.length") == 2  # the blank tab, then the page
        tab.go_back()
        assert tab.url == "about:blank"  # not the login address
        tab.go_forward()
        expect(tab).to_have_url(served.url)
        tab.locator('button[data-action="fetch"]').first.click()  # later requests
        expect(tab.locator("#activity details.report").first).to_contain_text("No subscriptions")
        sent = [r for r in requests if r.url.startswith(served.url)]
        assert len(sent) > 4  # the page, its script and style, its parts, the fetch
        assert [r.url for r in sent if r.header_value("referer")] == []
    finally:
        context.close()
    history = sqlite3.connect(profile / "Default" / "History")
    try:
        urls = [url for (url,) in history.execute("SELECT url FROM urls")]
    finally:
        history.close()
    assert login in urls  # Chromium keeps a redirect's source...
    replay = served.request("GET", login.removeprefix(served.url.rstrip("/")))
    assert replay.status == 403  # ...but that token is spent
    secret = served.secret.encode()
    kept = [p for p in profile.rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert not kept, f"the secret is kept in {kept}"


def test_uploads_are_bounded_and_an_opml_bomb_is_refused(ui, podsync) -> None:
    served = ui()
    answer = served.request("POST", "/api/import", BOMB, {"Content-Type": "text/x-opml"})
    assert answer.status == 400
    assert json.loads(answer.body)["message"].startswith("refused: the OPML file uses XML entities")
    huge = b"<opml><body>" + b" " * (3 * 1024 * 1024) + b"</body></opml>"
    answer = served.request("POST", "/api/import", huge, {"Content-Type": "text/x-opml"})
    assert answer.status == 413
    assert "over 2.1 MB" in json.loads(answer.body)["message"]
    big_json = json.dumps({"url": "x" * 100_000})
    assert served.request("POST", "/api/subscribe", big_json).status == 413
    assert subscriptions(podsync) == []
    opml = b'<opml version="2.0"><body><outline text="A" xmlUrl="http://127.0.0.1:9/a.xml"/></body></opml>'
    answer = served.request("POST", "/api/import", opml, {"Content-Type": "text/x-opml"})
    assert answer.status == 200
    assert subscriptions(podsync) == ["http://127.0.0.1:9/a.xml"]


def test_it_listens_on_loopback_only(ui) -> None:
    served = ui()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", served.port), timeout=5).close()
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == served.port
    ]
    assert listening == [f"0100007F:{served.port:04X}"]


def test_command_line_start_up_does_not_load_the_web_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "podsync", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert "podsync" in loaded
    assert not loaded & {"starlette", "uvicorn", "jinja2", "anyio"}


def test_bad_ports_are_refused(podsync, home: Path) -> None:
    result = podsync("ui", "--no-browser", "--port", "0", check=2)
    assert "not a port (1 to 65535): '0'" in result.stderr
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[watch]\nui_port = 70000\n")
    result = podsync("ui", "--no-browser", check=2)
    assert "line 2: watch.ui_port must be at least 0 and at most 65535, not 70000" in result.stderr


def test_a_port_another_program_holds_is_refused(podsync) -> None:
    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        port = str(other.server_address[1])
        result = podsync("ui", "--no-browser", "--port", port, check=2)
        assert f"port {port} on 127.0.0.1 is taken by another program" in result.stderr
    finally:
        other.shutdown()
        other.server_close()


def test_feed_text_is_escaped_in_the_browser(podsync, server, ui, page) -> None:
    cast = Podcast(server, "evil", "<img src=x onerror=\"document.title='pwned'\">Evil & Co")
    cast.add_episode("<script>window.pwned = 1</script>Episode <b>one</b>", 1.7e9)
    podsync("subscribe", cast.url)
    served = ui()
    page.goto(served.login_url)
    page.click('#podcasts button[data-action="episodes"]')
    expect(page.locator("#episodes td.title")).to_have_text(
        "<script>window.pwned = 1</script>Episode <b>one</b>"
    )
    expect(page.locator("#podcasts .title")).to_have_text(
        "<img src=x onerror=\"document.title='pwned'\">Evil & Co"
    )
    assert page.locator("main img, main b, main script").count() == 0
    assert page.evaluate("window.pwned === undefined")
    assert page.title() == "podsync"


def test_another_site_cannot_post_to_the_page(podsync, server, make_podcast, ui, page) -> None:
    cast = make_podcast("cast", "Cast", 1)
    served = ui()
    page.goto(served.login_url)  # the user is logged in: the cookie is in this browser
    target = f"http://127.0.0.1:{served.port}"
    server.add(
        "evil.html",
        f"""<!doctype html><title>evil</title>
<form id="f" method="POST" action="{target}/api/subscribe" enctype="text/plain">
<input name='{{"url": "{cast.url}", "x": "' value='"}}'></form>
<script>
fetch("{target}/api/fetch", {{method: "POST", mode: "no-cors", body: "{{}}"}});
document.getElementById("f").submit();
</script>""".encode(),
        "text/html",
    )
    page.goto(server.url("evil.html"))
    expect(page.locator("body")).to_contain_text(
        "refused: a change must come from podsync's own page"
    )
    assert subscriptions(podsync) == []
    assert "Nothing run from this page yet" in served.request("GET", "/part/activity").body


def test_a_rebound_name_gets_nothing_from_a_real_browser(
    podsync, make_podcast, ui, chromium
) -> None:
    """DNS rebinding for real: this Chromium resolves rebind.test to 127.0.0.1, as an
    attacker's DNS would once its page has loaded; the server refuses the name."""
    podsync("subscribe", make_podcast("cast", "Secret Cast", 1).url)
    served = ui()
    rules = "--host-resolver-rules=MAP rebind.test 127.0.0.1"
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, rules]
    )
    try:
        tab = browser.new_page()
        answer = tab.goto(f"http://rebind.test:{served.port}/")
        assert answer is not None and answer.status == 403
        expect(tab.locator("body")).to_contain_text("refused: this page answers only at")
        assert "Secret Cast" not in tab.content()
        tab.goto(f"http://127.0.0.1:{served.port}/")  # the real name still works
        expect(tab.locator("#podcasts")).to_contain_text("Secret Cast")
    finally:
        browser.close()
