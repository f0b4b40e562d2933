"""``podsync config`` and docs/config.md: every setting documented, the example valid."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import COMMAND
from podsync.cli.config_command import toml_value
from podsync.settings import SETTINGS
from terminal import run_in_terminal

DOC = Path(__file__).parent.parent / "docs" / "config.md"


def example() -> str:
    text = DOC.read_text(encoding="utf-8")
    return re.search(r"## An example.*?```toml\n(.*?)```", text, re.S).group(1)


def test_every_setting_is_documented_with_its_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    for section, settings in SETTINGS.items():
        table = text.split(f"### `[{section}]`", 1)[1].split("###", 1)[0]
        for key, setting in settings.items():
            row = f"| `{key}` | `{toml_value(setting.default)}` |"
            assert row in table, f"docs/config.md lacks {section}.{key}: {row}"
            line = table.split(row, 1)[1].split("\n", 1)[0]
            if setting.range_text:
                assert line.endswith(f"({setting.range_text}) |"), (
                    f"docs/config.md: {section}.{key} must say its range ({setting.range_text})"
                )
    documented = set(re.findall(r"^### `\[(\w+)\]`", text, re.M))
    assert documented == set(SETTINGS), "docs/config.md documents a section the code lacks"


def test_every_number_has_a_range() -> None:
    for section, settings in SETTINGS.items():
        for key, setting in settings.items():
            if setting.type is int:
                assert setting.range_text, f"{section}.{key} has no range"


def test_the_documented_example_loads_and_config_shows_it(podsync) -> None:
    config = podsync.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(example())
    out = podsync("config").stdout
    assert f"# config file: {config}\n" in out
    assert "keep = 3  # default: 5" in out
    assert "# newest episodes kept per podcast" in out
    assert '[devices.clip.filters]\nkeep = 2\ninclude = ["Silent*"]' in out
    assert '[podcasts."The Daily*"]\nkeep = 1\nmax_age_days = 2' in out
    assert podsync("config", "--path").stdout.strip() == str(config)


def test_edit_creates_the_file_and_checks_it(podsync, tmp_path: Path) -> None:
    config = podsync.home / "config" / "config.toml"
    ok = podsync("config", "--edit", env={**os.environ, "EDITOR": "true"})
    assert ok.stdout.strip() == f"{config}: saved"
    assert "# keep = 5" in config.read_text()  # every setting, commented out
    again = podsync("config", "--edit", env={**os.environ, "EDITOR": "true"})
    assert again.stdout.strip() == f"{config}: not changed"


def test_a_broken_edit_reopens_the_editor_and_keeps_the_old_file(podsync, tmp_path: Path) -> None:
    """Like visudo: the error, then the editor again; the old file stays until one is valid."""
    config = podsync.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[filters]\nkeep = 3\n")
    editor = tmp_path / "editor"
    # The first edit breaks the file; the second (after the error) fixes it.
    editor.write_text(
        "#!/bin/sh\n"
        f'if [ -e {tmp_path}/once ]; then sed -i "s/keep = 0/keep = 4/" "$1"\n'
        f'else touch {tmp_path}/once; sed -i "s/keep = 3/keep = 0/" "$1"; fi\n'
    )
    editor.chmod(0o755)
    env = {**os.environ, "PODSYNC_HOME": str(podsync.home), "EDITOR": str(editor)}
    screen = run_in_terminal([*COMMAND, "config", "--edit"], env, typed=b"y\n")
    assert screen.returncode == 0, screen.text
    assert "filters.keep must be at least 1" in screen.text
    assert "Edit again? [Y/n]" in screen.text
    assert f"{config}: saved" in screen.text
    assert config.read_text() == "[filters]\nkeep = 4\n"

    # Declining keeps the old file, and the broken edit beside it.
    (tmp_path / "once").unlink()
    config.write_text("[filters]\nkeep = 3\n")
    screen = run_in_terminal([*COMMAND, "config", "--edit"], env, typed=b"n\n")
    assert screen.returncode == 2
    assert f"{config} was not changed; your edit is kept in {config}.edit" in screen.text
    assert config.read_text() == "[filters]\nkeep = 3\n"
    assert podsync("config").returncode == 0  # every command still works
    # Without a terminal to ask on, the same: nothing changes.
    (tmp_path / "once").unlink()
    podsync("config", "--edit", env={**os.environ, "EDITOR": str(editor)}, check=2)
    assert config.read_text() == "[filters]\nkeep = 3\n"


def test_a_players_folder_cannot_be_overridden_in_the_file(podsync) -> None:
    config = podsync.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[devices.clip.push]\nfolder = "Other"\n')
    err = podsync("config", check=2).stderr
    assert (
        "line 2: devices.clip.push.folder: a player's folder is chosen when it is registered" in err
    )


def test_every_per_podcast_setting_is_documented(tmp_path: Path) -> None:
    from podsync.config import Config
    from podsync.settings import PODCAST_SETTINGS

    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Per-podcast settings", 1)[1].split("##", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert documented == set(PODCAST_SETTINGS)
    for key, setting in PODCAST_SETTINGS.items():
        own = f"`{toml_value(setting.default)}`"
        default = f"`filters.{key}`" if key in SETTINGS["filters"] else own
        assert f"| `{key}` | {default} |" in table
    # The example's podcast tables are what for_podcast() reads.
    path = tmp_path / "config.toml"
    path.write_text(example())
    config = Config.load(path)
    daily = config.for_podcast("the daily show")
    assert daily.get("filters", "keep") == 1 and daily.get("filters", "max_age_days") == 2
    assert daily.get("podcast", "sync") and daily.get("podcast", "fetch")
    old = config.for_podcast("Old Radio")
    assert not old.get("podcast", "sync") and not old.get("podcast", "fetch")
    assert old.get("filters", "keep") == 3  # the global one from the example
