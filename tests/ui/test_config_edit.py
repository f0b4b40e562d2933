"""Settings changed from the page land in the config file, checked as the file is on load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podsync.config import Config
from podsync.errors import ConfigError, UsageError
from podsync.ui.config_edit import parse_value, set_in_text, update

USER_FILE = """# my podsync settings
[filters]
keep = 3  # three is plenty
include = [
  "News*",
  "Tech*",
]

[devices.clip.filters]
keep = 2
"""


def test_a_value_is_replaced_in_place_and_the_rest_kept() -> None:
    text = set_in_text(USER_FILE, "filters", "keep", 4)
    assert text.replace("keep = 4\n", "keep = 3  # three is plenty\n", 1) == USER_FILE
    text = set_in_text(USER_FILE, "filters", "include", ["A*"])
    assert 'include = ["A*"]\n\n[devices.clip.filters]' in text
    assert "Tech" not in text and "# three is plenty" in text


def test_a_missing_key_joins_its_table_and_a_missing_table_is_added() -> None:
    text = set_in_text(USER_FILE, "filters", "max_age_days", 30)
    assert '  "Tech*",\n]\nmax_age_days = 30\n\n[devices.clip.filters]' in text
    text = set_in_text(USER_FILE, "devices.clip.filters", "skip_played", False)
    assert text.endswith("[devices.clip.filters]\nkeep = 2\nskip_played = false\n")
    text = set_in_text("", "watch", "ui_port", 9000)
    assert text == "[watch]\nui_port = 9000\n"


def test_update_saves_what_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    assert update(path, "filters", "keep", " 7 ") == 7
    assert update(path, "filters", "budget", "10% free") == "10% free"
    assert update(path, "filters", "keep", "1", device="clip") == 1
    assert update(path, "playlists", "enabled", False, device="my clip") is False
    assert update(path, "player", "speed", "1.5", device="clip") == 1.5
    config = Config.load(path)
    assert config.get("filters", "keep") == 7
    assert config.for_device("clip").get("filters", "keep") == 1
    assert config.for_device("my clip").get("playlists", "enabled") is False
    assert '[devices."my clip".playlists]' in path.read_text()
    assert "# three is plenty" not in path.read_text()  # the comment went with its value


@pytest.mark.parametrize(
    ("section", "key", "value", "device", "message"),
    [
        ("filters", "keep", "0", None, "line 3: filters.keep must be at least 1"),
        ("filters", "keep", "three", None, "filters.keep must be a whole number, not 'three'"),
        ("filters", "budget", "lots", None, "filters.budget:"),
        ("names", "template", "{nope}", None, "names.template:"),
        ("watch", "ui_port", "70000", None, "watch.ui_port must be at least 0 and at most 65535"),
        ("playlists", "enabled", "yes", None, "playlists.enabled must be true or false"),
        ("player", "speed", "fast", None, "player.speed must be a number, not 'fast'"),
        ("player", "speed", "9", None, "player.speed: must be from 0.5 to 4, not 9.0"),
        ("push", "folder", "Music", "clip", "a player's folder is chosen when it is registered"),
    ],
)
def test_a_bad_value_is_refused_and_the_file_left_alone(
    tmp_path: Path, section: str, key: str, value: str, device: str | None, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    with pytest.raises(ConfigError, match=re.escape(message)):
        update(path, section, key, value, device)
    assert path.read_text() == USER_FILE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(UsageError, match=r"unknown setting filters\.nope"):
        parse_value("filters", "nope", "1")
    with pytest.raises(UsageError, match=r"unknown setting devices\.clip\.watch\.udev"):
        parse_value("watch", "udev", True, device="clip")
