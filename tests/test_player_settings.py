"""The ``[player]`` settings, profiles, conversion rules, ASCII names and the convert pool."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from podsync.config import Config
from podsync.errors import ConfigError
from podsync.feeds.parse import parse_document
from podsync.model import MediaItem
from podsync.names import episode_path, transliterate
from podsync.player.manifest import Manifest
from podsync.steps.artwork import Covers
from podsync.steps.convert import Conversion, PlayerFormats
from podsync.stores.base import MediaStore, Transfer
from podsync.tasks import TaskManager, TaskState


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return Config.load(path)


def item(ext: str, title: str = "Episode", podcast: str = "Show") -> MediaItem:
    return MediaItem("k", podcast, title, 86400.0, f"Show/x.{ext}", 1000, ext)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[player]\nformats = ["mp3", "wav"]\n', "line 2: player.formats: unknown format 'wav'"),
        ('[player]\nbitrate = "fast"\n', "line 2: player.bitrate: bad bitrate 'fast'"),
        ("[player]\nspeed = 5\n", "line 2: player.speed: must be from 0.5 to 4, not 5.0"),
        ('[player]\nnormalize = "yes"\n', "line 2: player.normalize must be a bool"),
        ("[devices.clip.player]\nmono = 1\n", "line 2: devices.clip.player.mono must be a bool"),
    ],
)
def test_bad_player_settings_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load(tmp_path, text)


def test_a_whole_speed_is_a_float(tmp_path: Path) -> None:
    assert load(tmp_path, "[player]\nspeed = 2\n").get("player", "speed") == 2.0


def test_a_profile_sets_defaults_the_file_overrides(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        '[player]\nbitrate = "64k"\n[devices.clip.player]\nascii_names = false\n',
    )
    clip = cfg.for_device("clip", "mp3-player")
    assert clip.get("player", "formats") == ["mp3"]  # from the profile
    assert clip.get("player", "bitrate") == "64k"  # the file's global setting wins
    assert clip.get("player", "ascii_names") is False  # and the player's own
    rock = cfg.for_device("rock", "rockbox")
    assert rock.get("player", "artwork") is True and rock.get("player", "formats") == []
    assert cfg.for_device("plain").get("player", "artwork") is False


def test_device_add_takes_a_known_profile_only(podsync, player: Path) -> None:
    bad = podsync("device", "add", str(player), "--name", "p", "--profile", "ipod", check=2)
    assert "invalid choice: 'ipod'" in bad.stderr
    out = podsync("device", "add", str(player), "--name", "p", "--profile", "rockbox").stdout
    assert "profile rockbox" in out


def test_what_needs_converting() -> None:
    mp3_only = PlayerFormats(("mp3",), "64k")
    assert mp3_only.conversion(item("mp3")) is None
    assert mp3_only.conversion(item("opus")) == Conversion("mp3", "64k")
    assert PlayerFormats(("m4a",)).conversion(item("aac")) is None  # AAC is M4A's codec
    anything = PlayerFormats()
    assert anything.conversion(item("ogg")) is None
    faster = PlayerFormats(speed=1.5)
    assert faster.conversion(item("m4a")) == Conversion("m4a", speed=1.5)  # format kept
    assert faster.conversion(item("mp4")) == Conversion("mp3", speed=1.5)  # not written


def test_speed_filters_chain_within_atempo_range_and_sizes_follow() -> None:
    assert Conversion("mp3", speed=3).filters() == ["atempo=2", "atempo=1.5"]
    assert Conversion("mp3", speed=1).filters() == []
    assert Conversion("mp3", "64k", speed=1.5).estimate(60, 999) == 8000 * 40 * 102 // 100 + 4096
    assert Conversion("mp3").estimate(None, 999) == 999  # unknown length: the source's size
    assert Conversion("mp3").digest != Conversion("mp3", mono=True).digest
    args = Conversion("opus", "48k", mono=True).arguments(Path("in.m4a"), "out", None)
    assert args[-3:] == ["-f", "opus", "out"] and args[6:8] == ["-ac", "1"]


def test_ascii_names() -> None:
    assert transliterate("Café Straße — Ærø 日本") == "Cafe Strasse - AEro _"
    path = episode_path(item("mp3", "Über Łódź", "Ça va"), ascii_names=True)
    assert path == ("Ca va", "1970-01-02 Uber Lodz.mp3")
    assert episode_path(item("mp3", "Über"))[-1] == "1970-01-02 Über.mp3"


def test_the_feed_image_is_recorded_as_an_absolute_url() -> None:
    feed = (
        b'<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        b'<channel><title>T</title><itunes:image href="art/c.jpg"/>'
        b'<item><title>e</title><enclosure url="e.mp3" type="audio/mpeg"/></item>'
        b"</channel></rss>"
    )
    title, image, entries, _guid = parse_document(feed, "http://h/feed.xml")
    assert (title, image, len(entries)) == ("T", "http://h/art/c.jpg", 1)


def test_a_copy_never_waits_behind_a_conversion() -> None:
    copied = threading.Event()

    def conversion(transfer: object) -> int:
        assert copied.wait(30), "the copy waited for the conversion"
        return 0

    def copy(transfer: object) -> int:
        copied.set()
        return 0

    with TaskManager(copy_workers=1, delete_workers=1, convert_workers=1) as tasks:
        tasks.add_convert("convert:a", "a", conversion)
        tasks.add_copy("copy:b", "b", copy)
        tasks.wait()
    assert [t.state for t in tasks.results] == [TaskState.DONE, TaskState.DONE]


def test_a_failed_conversion_fails_its_own_task_only() -> None:
    def broken(transfer: object) -> int:
        raise OSError(5, "Input/output error")

    def converts_then_copies(transfer: object) -> int:
        tasks.add_copy("copy:b", "b", lambda t: 7)
        return 0

    with TaskManager(copy_workers=1, delete_workers=1, convert_workers=2) as tasks:
        tasks.add_convert("convert:a", "a", broken)
        tasks.add_convert("convert:b", "b", converts_then_copies)
        tasks.wait()
    states = {t.id: (t.state, t.error) for t in tasks.results}
    assert states == {
        "convert:a": (TaskState.FAILED, "Input/output error"),
        "convert:b": (TaskState.DONE, None),
        "copy:b": (TaskState.DONE, None),
    }


class Listing(MediaStore):
    """A target that lists the given items (what the player holds after a push)."""

    def __init__(self, items: list[MediaItem]) -> None:
        self.items = items

    def list(self) -> list[MediaItem]:
        return list(self.items)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        raise NotImplementedError


def test_covers_are_written_beside_episodes_and_only_podsyncs_removed(tmp_path: Path) -> None:
    player, art = tmp_path / "player", tmp_path / "art.jpg"
    art.write_bytes(b"\xff\xd8\xff cover")
    for show in ("A", "B"):
        (player / "Podcasts" / show).mkdir(parents=True)
    (player / "Podcasts" / "B" / "cover.jpg").write_bytes(b"the user's own")
    manifest = Manifest(player)
    covers = Covers(player, "Podcasts", manifest, {"A": art, "B": art})
    held = [
        MediaItem("a", "A", "t", 1.0, "Podcasts/A/x.mp3"),
        MediaItem("b", "B", "t", 1.0, "Podcasts/B/y.mp3"),
    ]
    covers.finish(Listing(held))
    manifest.save()  # puts them in place
    assert (player / "Podcasts" / "A" / "cover.jpg").read_bytes() == art.read_bytes()
    assert (player / "Podcasts" / "B" / "cover.jpg").read_bytes() == b"the user's own"
    assert covers.skipped == ["Podcasts/B/cover.jpg"]

    covers.finish(Listing(held[1:]))  # A's last episode was deleted
    manifest.save()
    assert not (player / "Podcasts" / "A").exists()
    assert (player / "Podcasts" / "B" / "cover.jpg").read_bytes() == b"the user's own"
