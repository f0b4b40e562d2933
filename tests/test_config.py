"""Settings: defaults, the TOML file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from podsync.config import Config
from podsync.errors import ConfigError
from podsync.home import Home
from podsync.settings import SETTINGS


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    config = Config.load(tmp_path / "none.toml")
    assert config.get("filters", "keep") == 5
    assert config.get("push", "folder") == "Podcasts"
    assert config.values == Config.defaults().values


def test_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[push]\nfolder = "PODCASTS"\ncopy_workers = 2\n')
    config = Config.load(path)
    assert config.get("push", "folder") == "PODCASTS"
    assert config.get("push", "copy_workers") == 2
    assert config.get("fetch", "download_workers") == SETTINGS["fetch"]["download_workers"].default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nope]\n", "line 1: unknown section [nope]"),
        ("[fetch]\n\ntimeout = 0\n", "line 3: fetch.timeout must be at least 1"),
        ("[fetch]\ntimeout = true\n", "line 2: fetch.timeout must be a whole number"),
        ("[push]\nfolder = 3\n", "line 2: push.folder must be a str"),
        ("fetch = 3\n", "line 1: fetch must be a [table]"),
        ("[fetch\n", "Expected ']'"),
    ],
)
def test_invalid_settings_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Config.load(path)


def test_podsync_home_puts_everything_under_one_folder(tmp_path: Path) -> None:
    home = Home.from_env({"PODSYNC_HOME": str(tmp_path)})
    assert home.config_file == tmp_path / "config" / "config.toml"
    assert home.database == tmp_path / "state" / "state.db"
    assert home.episodes_dir == tmp_path / "cache" / "episodes"


def test_xdg_directories_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ca"))
    home = Home.from_env({})
    assert home.config_dir == tmp_path / "cfg" / "podsync"
    assert home.state_dir == tmp_path / "st" / "podsync"
    assert home.cache_dir == tmp_path / "ca" / "podsync"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"[filters]\nkeep = 3\ninclude = ['\xff']\n",
            "line 3: not UTF-8 text (invalid start byte)",
        ),
        (b"[filters]\n\nkeep = 3\x00\n", "at line 3"),
        (b"\x00\x01\x02garbage", "at line 1"),
    ],
)
def test_corrupt_file_names_the_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config.load(path)
