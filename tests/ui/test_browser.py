"""The page in real headless Chromium, against a loopback feed server and a real FAT player.

One walk through what a user does: subscribe, watch a fetch's progress, push to
the player and see the episodes and the space bar change, mark an episode
played and see the next push remove it, change a setting.  The screenshots in
docs/ui.md come from here (``PODSYNC_SCREENSHOTS=docs/ui``).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from faults.support import Stall
from playwright.sync_api import expect

from conftest import COMMAND, DAY, Podcast, media_files

from .support import DEADLINE, free_port

EPISODE_SECONDS = 120
"""About 1.9 MB each: big enough to show on the space bar of a 32 MB player."""


def bar_width(page, kind: str) -> float:
    rect = page.locator(f'article.player[data-device="clip"] svg.bar rect.{kind}')
    return float(rect.get_attribute("width") or 0)


def test_subscribe_fetch_push_and_mark_played_through_the_page(
    home: Path, podsync, server, fat_player, ui, page, screenshot
) -> None:
    cast = Podcast(server, "owls", "Night Owls")
    now = time.time()
    episodes = [
        cast.add_episode(f"Night Owls {n}: the {word} hour", now - (4 - n) * DAY, EPISODE_SECONDS)
        for n, word in ((1, "first"), (2, "second"), (3, "third"))
    ]
    newest = episodes[-1]
    body = server.resources["/" + newest.path].body
    stall = Stall(body, len(body) // 2)
    server.faults["/" + newest.path] = stall  # the fetch hangs halfway through it
    player = fat_player(32, name="clip")
    (player / "My music.mp3").write_bytes(b"\xff" * 3_000_000)  # the user's own file
    podsync("device", "add", str(player), "--name", "clip")
    served = ui()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(served.login_url)
    expect(page).to_have_url(served.url)
    expect(page.locator("#live-state")).to_have_text("live")
    card = page.locator('article.player[data-device="clip"]')
    expect(card).to_contain_text("connected at")

    # subscribe by URL
    page.fill("#subscribe-url", cast.url)
    page.click("#subscribe button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("Subscribed to Night Owls (3 episodes)")
    expect(page.locator("#podcasts")).to_contain_text("Night Owls")

    # fetch, and watch its progress arrive as events while a download hangs
    page.click(".tools button[data-action=fetch]")
    detail = page.locator('#live .job[data-job="fetch"] .detail')
    expect(detail).to_contain_text(re.compile(r"downloading 2/3 · .*MB of .*MB · .*B/s"))
    expect(detail).to_contain_text(f"Night Owls — {newest.title}")  # the one downloading
    screenshot(page, "ui-fetching")
    stall.release.set()
    expect(page.locator('#live .job[data-job="fetch"]')).to_have_class(re.compile("done"))
    expect(page.locator("#activity details.report").first).to_contain_text("Downloaded 3 episodes")

    # push: the plan names each copy; then the episodes land and the space bar grows
    expect(card.locator(".next-push")).to_contain_text(re.compile(r"Copy 3 \(5\.\d MB\); 0 stay\."))
    expect(card.locator(".next-push")).to_contain_text(f"copy Night Owls — {newest.title}")
    assert bar_width(page, "podsync") == 0
    assert bar_width(page, "other") > 5  # the user's 3 MB, and FAT's own
    card.locator("button[data-action=push]").click()
    report = page.locator("#activity details.report").first
    expect(report).to_contain_text("clip (")
    expect(report).to_contain_text("copied 3")
    expect(card.locator(".next-push")).to_contain_text("Up to date")
    expect(card.locator(".episodes-count")).to_have_text("3")
    assert bar_width(page, "podsync") > 10
    assert len(media_files(player)) == 4  # three episodes and the user's file
    screenshot(page, "ui-pushed")

    # mark the newest played: the next push deletes it, and does
    page.click('#podcasts button[data-action="episodes"]')
    row = page.locator("#episodes tr", has_text=newest.title)
    expect(row.locator(".state")).to_contain_text("new, cached, on clip")
    row.locator("button[data-action=played]").click()
    expect(row.locator(".state")).to_contain_text("played")
    expect(card.locator(".next-push")).to_contain_text(
        f"delete Night Owls — {newest.title} (played)"
    )
    screenshot(page, "ui-played")
    card.locator("button[data-action=push]").click()
    expect(page.locator("#activity details.report").first).to_contain_text("deleted 1")
    expect(card.locator(".next-push")).to_contain_text("Up to date")
    on_player = media_files(player)
    assert len(on_player) == 3
    assert not any("third" in name for name in on_player)
    assert (player / "My music.mp3").stat().st_size == 3_000_000

    # the history (podsync log) has the mark, the copies and the delete
    page.click("details.history-box summary")
    rows = page.locator("#history tr")
    expect(rows.filter(has_text="marked by hand").filter(has_text=newest.title)).to_have_count(1)
    expect(rows.filter(has_text="delete").filter(has_text=newest.title)).to_have_count(1)
    expect(rows.filter(has_text="copy").filter(has_text="clip")).to_have_count(3)
    assert "marked by hand" in podsync("log").stdout
    page.evaluate("document.getElementById('h-history').scrollIntoView()")
    screenshot(page, "ui-history", full_page=False)

    # a setting, checked as the config file is
    page.click("#settings details.settings-box summary")
    keep = page.locator('#settings form.setting[data-section="filters"][data-key="keep"]')
    keep.locator("input").fill("0")
    keep.locator("button").click()
    expect(page.locator("#messages p").first).to_contain_text("filters.keep must be at least 1")
    keep.locator("input").fill("1")
    keep.locator("button").click()
    expect(page.locator("#messages p").first).to_contain_text("Saved filters.keep = 1")
    assert "keep = 1" in (home / "config" / "config.toml").read_text()
    expect(card.locator(".next-push")).to_contain_text("delete Night Owls — Night Owls 1")
    # no script error, nothing the content security policy had to block
    assert not [e for e in errors if "400 (Bad Request)" not in e], errors


def test_the_page_fits_a_phone(
    home: Path, podsync, make_podcast, fat_player, ui, chromium, screenshot
) -> None:
    cast = make_podcast("tea", "Tea Time", 2)
    player = fat_player(32, name="stick")
    podsync("device", "add", str(player), "--name", "stick")
    podsync("subscribe", cast.url)
    podsync("fetch")
    served = ui()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(served.login_url)
        expect(phone.locator("#live-state")).to_have_text("live")
        expect(phone.locator('article.player[data-device="stick"]')).to_contain_text("Copy 2")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a phone"
        for button in ("push", "eject", "episodes", "fetch", "unsubscribe"):
            box = phone.locator(f'button[data-action="{button}"]').last.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, button
        screenshot(phone, "ui-phone")
    finally:
        context.close()


def test_podsync_ui_hands_the_secret_to_the_browser(
    home: Path, podsync, make_podcast, page, tmp_path: Path
) -> None:
    """``podsync ui`` opens $BROWSER on the login address; that browser may then change things."""
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)
    port = free_port()
    process = subprocess.Popen(
        [*COMMAND, "ui", "--port", str(port)],
        env={**os.environ, "PODSYNC_HOME": str(home), "BROWSER": str(browser)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while not opened.exists() or not opened.read_text():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the browser was not opened"
            time.sleep(0.05)
        url = opened.read_text()
        assert url.startswith(f"http://127.0.0.1:{port}/login?token=")
        assert (home / "state" / "ui-secret").read_text().strip() not in url
        page.goto(url)
        expect(page).to_have_url(f"http://127.0.0.1:{port}/")  # the tab keeps no token
        expect(page.locator(".banner")).to_have_count(0)  # not read-only
        cast = make_podcast("tea", "Tea Time", 1)
        page.fill("#subscribe-url", cast.url)
        page.click("#subscribe button[type=submit]")
        expect(page.locator("#podcasts")).to_contain_text("Tea Time")
    finally:
        process.terminate()
        output = process.communicate(timeout=DEADLINE)[0]
    assert process.returncode == 0, output
    assert "secret" not in output  # the browser got it; the terminal did not need it


def test_a_page_without_the_secret_is_read_only(home: Path, podsync, make_podcast, ui, page):
    served = ui()
    page.goto(served.url)
    expect(page.locator(".banner")).to_contain_text("This page is read-only")
    page.fill("#subscribe-url", make_podcast("tea", "Tea Time", 1).url)
    page.click("#subscribe button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("open it with 'podsync ui'")
    assert "Tea Time" not in podsync("list").stdout


def test_one_podcasts_settings_fetch_and_unsubscribe(
    home: Path, podsync, make_podcast, fat_player, ui, page, screenshot
) -> None:
    tea = make_podcast("tea", "Tea Time", 2)
    owls = make_podcast("owls", "Night Owls", 2)
    player = fat_player(32, name="clip")
    podsync("device", "add", str(player), "--name", "clip")
    podsync("subscribe", tea.url, owls.url)
    podsync("fetch")
    served = ui()
    page.goto(served.login_url)
    card = page.locator('article.player[data-device="clip"]')
    expect(card.locator(".summary")).to_have_text("Copy 4 (31.7 kB); 0 stay.")

    # Tea Time stays off the players: its own table in the config file
    tea_row = page.locator("#podcasts tr", has_text="Tea Time")
    tea_row.locator("details.podcast-settings summary").click()
    sync = tea_row.locator('form.setting[data-key="sync"]')
    sync.locator("input").uncheck()
    sync.locator("button").click()
    expect(page.locator("#messages p").first).to_have_text('Saved podcasts."Tea Time".sync = false')
    assert '[podcasts."Tea Time"]\nsync = false\n' in (home / "config" / "config.toml").read_text()
    expect(card.locator(".summary")).to_have_text("Copy 2 (15.8 kB); 0 stay.")
    expect(tea_row.locator('form.setting[data-key="sync"] small')).to_contain_text(
        "(this podcast's own)"
    )
    screenshot(page, "ui-podcasts")

    # fetch one podcast: a new episode of Night Owls, and only its feed is read
    owls.add_episode("Night Owls episode 3", time.time())
    requests_before = dict(tea.server.requests)
    page.locator("#podcasts tr", has_text="Night Owls").locator("button[data-action=fetch]").click()
    report = page.locator("#activity details.report").first
    expect(report).to_contain_text("Fetch Night Owls: done")
    expect(report).to_contain_text("Refreshed 1 feed: 1 new episode.")
    assert tea.server.requests["/tea/feed.xml"] == requests_before.get("/tea/feed.xml")

    # unsubscribe, after saying yes
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#podcasts tr", has_text="Night Owls").locator(
        "button[data-action=unsubscribe]"
    ).click()
    expect(page.locator("#messages p").first).to_contain_text(
        "Unsubscribed from Night Owls. Deleted 3 cached episodes"
    )
    expect(page.locator("#podcasts")).not_to_contain_text("Night Owls")
    assert "Night Owls" not in podsync("list").stdout
    expect(card.locator(".next-push")).to_contain_text("Up to date (0 episodes there).")
