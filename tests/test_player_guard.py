"""The player's guard, piece by piece: no-replace renames, ownership by size and time,
journal intents, bounded JSON, the one delete path, playlist lines, the player's lock."""

from __future__ import annotations

import ast
import errno
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

import podsync
from podsync import fileio
from podsync.errors import DeviceError
from podsync.model import MediaItem
from podsync.player import lock, manifest
from podsync.player.devices import read_marker
from podsync.player.guard import Player, load_json
from podsync.player.lock import player_lock
from podsync.player.manifest import Entry, Manifest
from podsync.player.ownership import changed
from podsync.steps.playlists import Playlists
from podsync.stores.base import MediaStore, Transfer

PACKAGE = Path(podsync.__file__).parent


def no_renameat2(src: Path, dest: Path) -> None:
    raise OSError(errno.EINVAL, "not here")


def no_link(*args: object, **kwargs: object) -> None:
    raise OSError(errno.EPERM, "no hard links on FAT")


@pytest.mark.parametrize("way", ["renameat2", "link", "look first"])
def test_a_rename_never_replaces_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    if way != "renameat2":
        monkeypatch.setattr(fileio, "_renameat2", no_renameat2)
    if way == "look first":
        monkeypatch.setattr(os, "link", no_link)
    tmp, mine, free = tmp_path / "tmp", tmp_path / "mine.mp3", tmp_path / "free.mp3"
    tmp.write_bytes(b"episode")
    mine.write_bytes(b"the user's")
    with pytest.raises(FileExistsError):
        fileio.rename_noreplace(tmp, mine)
    assert mine.read_bytes() == b"the user's" and tmp.read_bytes() == b"episode"
    (tmp_path / "link.mp3").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        fileio.rename_noreplace(tmp, tmp_path / "link.mp3")
    fileio.rename_noreplace(tmp, free)
    assert free.read_bytes() == b"episode" and not tmp.exists()


def entry(size: int, mtime: float | None) -> Entry:
    return Entry("k", size, "Pod", "t", 1.0, "mp3", mtime)


def test_a_file_is_podsyncs_while_its_size_and_time_are_as_written(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(b"abc")
    os.utime(path, (1000.0, 1000.0))
    info = path.stat()
    assert changed(info, entry(3, 1000.0)) is None
    assert changed(info, entry(3, 998.2)) is None  # FAT's two seconds
    assert changed(info, entry(3, 1000.0 - 3600)) is None  # read in another time zone
    assert changed(info, entry(3, None)) is None  # a manifest from before mtimes
    assert "3 bytes" in (changed(info, entry(4, 1000.0)) or "")
    assert "another time" in (changed(info, entry(3, 990.0)) or "")


def test_a_journal_intent_counts_only_for_podsyncs_file(tmp_path: Path) -> None:
    (tmp_path / "P").mkdir()
    log = Manifest(tmp_path)
    log.intend_add("P/mine.mp3", Entry("a", 3, "Pod", "t", 1.0, "mp3"))
    log.intend_add("P/ours.mp3", Entry("b", 3, "Pod", "t", 1.0, "mp3"))
    log.intend_add("P/link.mp3", Entry("c", 3, "Pod", "t", 1.0, "mp3"))
    (tmp_path / "P" / "mine.mp3").write_bytes(b"the user's file, not the episode")
    (tmp_path / "P" / "ours.mp3").write_bytes(b"abc")
    (tmp_path / "P" / "link.mp3").symlink_to(tmp_path / "P" / "ours.mp3")
    assert set(Manifest.load(tmp_path).files) == {"P/ours.mp3"}


def test_json_is_read_with_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_json(b'{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[["}]}') == {"a": [1, {"b": "[" * 21}]}
    with pytest.raises(ValueError, match="nested more than 16"):
        load_json(b"[" * 100_000 + b"]" * 100_000)
    (tmp_path / ".podsync").mkdir()
    (tmp_path / ".podsync" / "device.json").write_bytes(b'{"id": ' * 50_000)
    assert read_marker(tmp_path) is None
    monkeypatch.setattr(manifest, "MAX_MANIFEST", 100)
    (tmp_path / ".podsync" / "manifest.json").write_text(
        json.dumps({"files": {}, "done": ["x" * 200]})
    )
    loaded = Manifest.load(tmp_path)
    assert loaded.done == set() and "larger than 100 bytes" in (loaded.problem or "")


class Listing(MediaStore):
    def __init__(self, items: list[MediaItem]) -> None:
        self.items = items

    def list(self) -> list[MediaItem]:
        return self.items

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        raise NotImplementedError


def test_a_title_never_adds_a_line_to_a_playlist(tmp_path: Path) -> None:
    evil = "Evil\n../../../home/me/.ssh/id_rsa\r\n#EXTINF:-1,x\x1b]52;c;AAAA\x07\u2028end"
    items = [
        MediaItem("a", "Show\nInjected", evil, 1.0, "Podcasts/Show/a.mp3", 1),
        MediaItem("b", "Show\nInjected", "Fine", 2.0, "Podcasts/Show/b.mp3", 1),
    ]
    manifest = Manifest(tmp_path)
    Playlists(tmp_path, "Podcasts", manifest).finish(Listing(items))
    manifest.save()  # puts them in place
    written = list((tmp_path / "Podcasts").glob("*.m3u8"))
    assert len(written) == 2
    for playlist in written:
        lines = playlist.read_text().split("\n")
        assert lines[0] == "#EXTM3U" and len(lines) == 1 + 2 * len(items) + 1
        paths = [line for line in lines[1:-1] if not line.startswith("#EXTINF:")]
        assert paths == ["Show/a.mp3", "Show/b.mp3"]
        assert all(c == "\n" or c.isprintable() for c in playlist.read_text())


def test_a_link_that_takes_a_playlists_name_before_the_save_is_left_alone(
    tmp_path: Path,
) -> None:
    items = [MediaItem("a", "Show", "One", 1.0, "Podcasts/Show/a.mp3", 1)]
    target = tmp_path / "elsewhere.txt"
    target.write_text("the user's")
    manifest = Manifest(tmp_path)
    Playlists(tmp_path, "Podcasts", manifest).finish(Listing(items))
    pending = sorted(p.name for p in (tmp_path / "Podcasts").iterdir())
    assert pending == [".All podcasts.m3u8.tmp", ".Show.m3u8.tmp"]  # nothing in place yet
    (tmp_path / "Podcasts" / "Show.m3u8").symlink_to(target)  # the race

    refused = manifest.save()

    assert refused == ["Podcasts/Show.m3u8 on the player is not a regular file; left alone"]
    assert target.read_text() == "the user's"
    assert (tmp_path / "Podcasts" / "Show.m3u8").is_symlink()
    assert sorted(p.name for p in (tmp_path / "Podcasts").iterdir()) == [
        "All podcasts.m3u8",
        "Show.m3u8",
    ]
    assert "Podcasts/All podcasts.m3u8" in Manifest.load(tmp_path).others
    assert list((tmp_path / ".podsync" / "journal").iterdir()) == []


def removals(path: Path) -> list[str]:
    """Calls in ``path`` that remove a file or a folder."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("unlink", "remove", "rmdir", "rmtree", "removedirs")
        ):
            found.append(ast.unparse(node.func))
    return found


def test_everything_removed_from_a_player_goes_through_one_guarded_path() -> None:
    allowed = {
        "stores/device.py": {
            *("staged.unlink", "shutil.rmtree"),  # the local staging folder
            *("self.player.remove", "self.player.remove_folder"),
        },
        "steps/playlists.py": {"player.remove"},
        "steps/artwork.py": {"player.remove", "player.remove_folder"},
        "player/manifest.py": {"self.player.remove"},
        "player/lock.py": {"player.remove"},
        "player/devices.py": set(),
        "player/played.py": set(),
    }
    for module, calls in allowed.items():
        assert set(removals(PACKAGE / module)) <= calls, module
    assert {"os.unlink", "os.rmdir"} <= set(removals(PACKAGE / "player" / "guard.py"))


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def write_lock(root: Path, **fields: object) -> Path:
    path = root / ".podsync" / "lock"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(fields))
    return path


def test_the_players_lock_is_taken_over_only_when_stale(tmp_path: Path) -> None:
    me = lock.Holder.me()
    player = Player(tmp_path)
    path = write_lock(tmp_path, host=me.host, boot=me.boot, pid=os.getpid())
    busy = r"busy: another push is running \(from .*process"
    with pytest.raises(DeviceError, match=busy), player_lock(player, wait=0.2):
        pass
    for stale in (
        {"host": me.host, "boot": me.boot, "pid": dead_pid()},  # its process is gone
        {"host": me.host, "boot": "an earlier boot", "pid": os.getpid()},
        {"host": f"not-{socket.gethostname()}", "boot": "b", "pid": 1, "old": True},
        {"torn": True, "old": True},
    ):
        path = write_lock(tmp_path, **stale)
        if stale.get("old"):
            os.utime(path, (time.time() - 2 * lock.STALE_AFTER,) * 2)
        with player_lock(player, wait=0.2):
            assert json.loads(path.read_text())["pid"] == os.getpid()
        assert not path.exists()  # released
    fresh = write_lock(tmp_path, host=f"not-{socket.gethostname()}", boot="b", pid=1)
    with pytest.raises(DeviceError, match="busy"), player_lock(player, wait=0.2):
        pass
    assert fresh.exists()  # another computer's running push keeps its lock
