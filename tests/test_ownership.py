"""podsync's identity in the tags of every file it writes, read back in every format."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from podsync.cli.demo_server import silent_mp3
from podsync.fileio import copy_file
from podsync.model import MediaItem
from podsync.player.ownership import TagIdentity, read_identity
from podsync.steps.tags import Tagger

FORMATS = {
    "m4a": ["-c:a", "aac", "-b:a", "32k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "0"],
    "opus": ["-c:a", "libopus", "-b:a", "16k"],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "32k"],
}


def item(ext: str) -> MediaItem:
    return MediaItem("k1", "Pod", "Title", 86400.0, "x", None, ext, "", "url:h/feed")


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_format_carries_the_identity(tmp_path: Path, ext: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg (scripts/setup --test installs it)")
    path = tmp_path / f"a.{ext}"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
        + FORMATS[ext]
        + [str(path)],
        check=True,
    )
    assert read_identity(path) is None  # nobody's file yet
    Tagger().process(item(ext), path)
    assert read_identity(path) == TagIdentity("k1", "url:h/feed", "Pod", "Title")


def test_the_one_pass_mp3_tag_carries_the_identity(tmp_path: Path) -> None:
    source = tmp_path / "a.mp3"
    source.write_bytes(silent_mp3(1))
    head = Tagger().header(item("mp3"), source)
    assert head is not None
    dest = tmp_path / "b.mp3"
    copy_file(source, dest, lambda n: None, prefix=head.data, skip=head.skip)
    assert read_identity(dest) == TagIdentity("k1", "url:h/feed", "Pod", "Title")


def test_files_without_an_identity_are_nobodys(tmp_path: Path) -> None:
    (tmp_path / "x.mp3").write_bytes(b"not audio at all")
    assert read_identity(tmp_path / "x.mp3") is None
    assert read_identity(tmp_path / "missing.mp3") is None


def test_a_journal_intent_counts_only_for_the_episode_its_tags_name(tmp_path: Path) -> None:
    """A same-size file at an intent's path that carries another episode's key is not adopted."""
    from podsync.player.manifest import Entry, Manifest

    (tmp_path / "Pod").mkdir()
    tagged = tmp_path / "Pod" / "tagged.mp3"
    tagged.write_bytes(silent_mp3(1))
    Tagger().process(item("mp3"), tagged)  # carries episode "k1"
    size = tagged.stat().st_size
    other = tmp_path / "Pod" / "other.mp3"
    other.write_bytes(tagged.read_bytes())
    log = Manifest(tmp_path)
    log.intend_add("Pod/tagged.mp3", Entry("k1", size, "Pod", "Title", 86400.0, "mp3"))
    log.intend_add("Pod/other.mp3", Entry("k2", size, "Pod", "Another", 86400.0, "mp3"))
    assert set(Manifest.load(tmp_path).files) == {"Pod/tagged.mp3"}
