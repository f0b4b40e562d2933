"""A newcomer follows docs/usage.md line by line in a fresh home: no command fails.

Every command of the walkthrough (the ``sh`` blocks and the ``$`` lines of the captured
runs) is run in order, in a new HOME with no podsync data, against the demo's sample
podcasts on loopback and a folder as the player.  The few lines that cannot run here are
listed below with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

from conftest import COMMAND
from podsync.cli.demo import publish_samples

DOC = Path(__file__).parent.parent / "docs" / "usage.md"
NOT_HERE = {
    "scripts/setup": "installs system packages; the suite runs in its result",
    "python3 -m venv": "a second installation (needs the network for its dependencies)",
    "podsync-venv/bin/pip install": "the same",
    "import --gpodder": "for gPodder users only (docs/feeds.md shows it with a gPodder home)",
    "--folder PODCASTS": "an alternative to the line before it, for the same player",
    "--profile mp3-player": "another alternative for the same player",
    "podsync udev install": "writes to /etc and enables a service (tests/test_udev.py)",
    "podsync watch": "runs until stopped (tests/test_watch.py)",
}


def walkthrough() -> list[tuple[str, bool]]:
    """The commands in order; True for a ``$`` line (a run shown with its output)."""
    found = []
    for match in re.finditer(r"```(\w*)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        lang, body = match.groups()
        for line in body.splitlines():
            if lang == "sh" and line.strip() and not line.startswith("#"):
                found.append((line, False))
            elif lang == "" and line.startswith("$ "):
                found.append((line[2:], True))
    return found


def test_a_newcomer_following_usage_md_hits_no_failing_command(server, tmp_path: Path) -> None:
    feeds = publish_samples(server, time.time())
    home = tmp_path / "newcomer"
    home.mkdir()
    player = tmp_path / "media" / "CLIP"
    player.mkdir(parents=True)
    bin_dir = tmp_path / "bin"  # `podsync` on the PATH, as the install section says
    bin_dir.mkdir()
    (bin_dir / "podsync").write_text(f'#!/bin/sh\nexec {shlex.join(COMMAND)} "$@"\n')
    (bin_dir / "podsync").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODSYNC_", "XDG_", "GPODDER"))}
    env |= {
        "HOME": str(home),
        "PATH": f"{bin_dir}:{env['PATH']}",
        "EDITOR": "true",
        "TMPDIR": str(tmp_path),
    }

    def adapt(command: str) -> str:
        command = command.replace("https://example.org/feed.xml [MORE_URLS ...]", " ".join(feeds))
        command = command.replace("https://example.org/feed.xml", feeds[0])
        command = re.sub(r"http://127\.0\.0\.1:\d+", server.base_url, command)
        command = command.replace(".venv/bin/podsync", "podsync")
        for shown in ("/media/me/CLIP", "/tmp/media/CLIP"):
            command = command.replace(shown, str(player))
        return command

    ran: list[str] = []
    failed = []
    for line, shown_with_output in walkthrough():
        if any(marker in line for marker in NOT_HERE):
            continue
        command = adapt(line)
        if shown_with_output and ran and command == ran[-1]:
            continue  # the line just above, shown again with its output
        ran.append(command)
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            failed.append(f"$ {command}\n{result.stdout}{result.stderr}")
    assert not failed, "\n".join(failed)
    assert len(ran) > 35
    assert (home / ".local/share/bash-completion/completions/podsync").stat().st_size
    assert (home / ".config/fish/completions/podsync.fish").stat().st_size
    assert any((player / "Podcasts").rglob("*.mp3"))
