"""Shell completion: the generated scripts load, and bash completes names from the state."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import COMMAND


def complete(podsync, script: Path, *words: str) -> list[str]:
    """What bash offers for ``podsync WORDS...`` (the last word is the one being typed)."""
    line = " ".join(f"'{w}'" for w in words)
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"source {script}; COMP_WORDS=(podsync {line}); COMP_CWORD={len(words)}; _podsync; "
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ],
        env={
            **os.environ,
            "PODSYNC_HOME": str(podsync.home),
            "PATH": f"{Path(COMMAND[0]).parent}:{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands_options_devices_and_podcasts(
    podsync, make_podcast, player: Path, tmp_path: Path
) -> None:
    podsync("subscribe", make_podcast("talk", "Quiet Talk", 1).url)
    podsync("device", "add", str(player), "--name", "my clip")
    script = tmp_path / "podsync.bash"
    script.write_text(podsync("completion", "bash").stdout)

    assert complete(podsync, script, "de") == ["device", "demo"]
    assert complete(podsync, script, "push", "") == ["my\\ clip"]
    assert complete(podsync, script, "push", "--dr") == ["--dry-run"]
    assert complete(podsync, script, "device", "remove", "my") == ["my\\ clip"]
    assert complete(podsync, script, "device", "") == ["add", "list", "remove"]
    assert complete(podsync, script, "mark-played", "Qu") == ["Quiet\\ Talk"]
    assert complete(podsync, script, "completion", "") == ["bash", "zsh", "fish"]
    # An option's value is not taken for a command: `--name x` then the folder.
    assert str(tmp_path / "player") in complete(
        podsync, script, "device", "add", "--name", "x", str(tmp_path / "pl")
    )


@pytest.mark.parametrize(("shell", "check"), [("zsh", ["zsh", "-n"]), ("fish", ["fish", "-n"])])
def test_zsh_and_fish_scripts_parse(podsync, tmp_path: Path, shell: str, check: list[str]) -> None:
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed (scripts/setup --test installs it)")
    script = tmp_path / f"podsync.{shell}"
    script.write_text(podsync("completion", shell).stdout)
    result = subprocess.run([*check, str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "__names devices" in script.read_text()
