"""Fixtures for the web page: ``podsync ui`` running for the test's home, and a real
headless Chromium (Debian's, driven by Playwright) to look at it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support import UiProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""The machine's network is closed: without these, Chromium keeps trying to reach Google."""


@pytest.fixture
def ui(home: Path, tmp_path: Path) -> Iterator[Callable[..., UiProcess]]:
    started: list[UiProcess] = []

    def start(port: int | None = None, env: dict[str, str] | None = None) -> UiProcess:
        started.append(UiProcess(home, tmp_path / f"ui{len(started)}.log", port, env))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium (scripts/setup --test installs it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=45_000)  # a hang guard on a busy machine, not a speed check

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser profile's tab, laptop-sized."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(45_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[..., Path]:
    """Save a screenshot of a page; with ``PODSYNC_SCREENSHOTS=DIR`` also into DIR (the docs)."""

    def take(page, name: str, full_page: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if folder := os.environ.get("PODSYNC_SCREENSHOTS"):
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(folder) / path.name)
        return path

    return take
