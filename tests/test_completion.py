"""Shell completion: argcomplete's scripts load, and bash completes from the parser and state."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import COMMAND


def complete(podsync, script: Path, line: str) -> list[str]:
    """What bash offers when the command line is ``line`` with the cursor at its end."""
    result = subprocess.run(
        [
            "bash",
            "-c",
            f'source {script}; COMP_LINE="$LINE"; COMP_POINT=${{#LINE}}; '
            '_python_argcomplete podsync; printf "%s\\n" "${COMPREPLY[@]}"',
        ],
        env={
            **os.environ,
            "LINE": line,
            "PODSYNC_HOME": str(podsync.home),
            "PATH": f"{Path(COMMAND[0]).parent}:{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return sorted(line.rstrip() for line in result.stdout.splitlines() if line)


def test_bash_completes_commands_options_devices_podcasts_and_paths(
    podsync, make_podcast, player: Path, tmp_path: Path
) -> None:
    podsync("subscribe", make_podcast("talk", "The Changelog", 1).url)
    podsync("device", "add", str(player), "--name", "my clip")
    script = tmp_path / "podsync.bash"
    script.write_text(podsync("completion", "bash").stdout)

    assert complete(podsync, script, "podsync de") == ["demo", "device"]
    assert complete(podsync, script, "podsync push --dr") == ["--dry-run"]
    assert "my\\ clip" in complete(podsync, script, "podsync push ")
    assert complete(podsync, script, "podsync device remove my") == ["my\\ clip"]
    assert complete(podsync, script, "podsync device ") == [
        "add",
        "list",
        "remove",
        "rename",
        "repair",
    ]
    assert complete(podsync, script, "podsync device rename my") == ["my\\ clip"]
    assert complete(podsync, script, "podsync unsubscribe 'The C") == ["The Changelog"]
    assert complete(podsync, script, "podsync list 'The C") == ["The Changelog"]
    assert complete(podsync, script, "podsync completion ") == ["bash", "fish", "zsh"]
    # Inside an open quote the name comes unescaped (bash keeps the quote), so it matches.
    assert complete(podsync, script, "podsync mark-played 'The C") == ["The Changelog"]
    assert complete(podsync, script, "podsync mark-played The\\ C") == ["The\\ Changelog"]
    # Files and folders where the argument takes them.
    (tmp_path / "feeds.opml").write_text("<opml/>")
    assert complete(podsync, script, f"podsync import {tmp_path}/fee") == [f"{tmp_path}/feeds.opml"]
    assert f"{tmp_path}/player/" in complete(podsync, script, f"podsync device add {tmp_path}/pl")
    assert f"{tmp_path}/player/" in complete(podsync, script, f"podsync push {tmp_path}/pl")
    assert complete(podsync, script, f"podsync export {tmp_path}/fee") == [f"{tmp_path}/feeds.opml"]
    assert f"{tmp_path}/player/" in complete(podsync, script, f"podsync demo --dir {tmp_path}/pl")
    root = f"podsync udev install --root {tmp_path}/pl"
    assert f"{tmp_path}/player/" in complete(podsync, script, root)
    assert complete(podsync, script, "podsync log --device my") == ["my\\ clip"]


@pytest.mark.parametrize(("shell", "check"), [("zsh", ["zsh", "-n"]), ("fish", ["fish", "-n"])])
def test_zsh_and_fish_scripts_parse(podsync, tmp_path: Path, shell: str, check: list[str]) -> None:
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed (scripts/setup --test installs it)")
    script = tmp_path / f"podsync.{shell}"
    script.write_text(podsync("completion", shell).stdout)
    result = subprocess.run([*check, str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "_ARGCOMPLETE" in script.read_text()
