"""Sizes, budgets and the small processing steps."""

from __future__ import annotations

from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import COMM, ID3, TIT2

from podsync.cli.demo_server import silent_mp3
from podsync.errors import SkipItem
from podsync.fileio import copy_file
from podsync.model import MediaItem
from podsync.sizes import Budget, human_size, parse_size
from podsync.steps.limits import FAT32_MAX_FILE, FileSizeLimit
from podsync.steps.tags import Tagger


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("4 GB", 4 * 10**9),
        ("4GiB", 4 * 2**30),
        ("1.5 MB", 1_500_000),
        ("16 mb", 16_000_000),
        ("0", 0),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "4 parsecs", "-3 GB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_budget_forms() -> None:
    assert Budget.parse("") == Budget()
    assert Budget.parse("10% free") == Budget(free=0.1)
    assert Budget.parse("8 GB") == Budget(bytes=8 * 10**9)
    with pytest.raises(ValueError):
        Budget.parse("100% free")
    assert Budget().room(total=1000, free=500, used_by_podsync=0, reserve=100) == 400
    assert Budget(bytes=300).room(1000, 500, used_by_podsync=200, reserve=0) == 100
    assert Budget(free=0.5).room(1000, 400, 0, 0) == 0


def test_human_size() -> None:
    assert human_size(999) == "999 B"
    assert human_size(1_500_000) == "1.5 MB"
    assert human_size(3.2e12) == "3200.0 GB"


def item(size: int | None, ext: str = "mp3") -> MediaItem:
    return MediaItem("k", "Pod", "Title", 86400.0, "x", size, ext, "Host")


def test_file_size_limit() -> None:
    limit = FileSizeLimit()
    assert limit.prepare(item(FAT32_MAX_FILE)).size == FAT32_MAX_FILE
    with pytest.raises(SkipItem, match="over FAT32's limit"):
        limit.prepare(item(FAT32_MAX_FILE + 1))
    assert limit.prepare(item(None)).size is None


def test_tagger_writes_id3(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(silent_mp3(1))
    Tagger().process(item(None), path)
    tags = mutagen.File(path, easy=True)
    assert tags["album"] == ["Pod"] and tags["title"] == ["Title"]
    assert tags["artist"] == ["Host"] and tags["date"] == ["1970-01-02"]
    assert tags["genre"] == ["Podcast"]
    assert mutagen.File(path).tags.version[:2] == (2, 3)  # ID3v2.3, for old players


def test_tagger_leaves_other_files_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4 not audio")
    Tagger().process(item(None, "pdf"), path)
    assert path.read_bytes() == b"%PDF-1.4 not audio"


def streamed(tmp_path: Path, source: Path, it: MediaItem) -> Path:
    """The copy the player gets when the tag is written in the same pass as the audio."""
    head = Tagger().header(it, source)
    assert head is not None
    dest = tmp_path / "streamed.mp3"
    copy_file(source, dest, lambda n: None, prefix=head.data, skip=head.skip)
    return dest


def test_tag_written_in_one_pass_matches_tagging_a_copy(tmp_path: Path) -> None:
    source = tmp_path / "a.mp3"
    source.write_bytes(silent_mp3(1))
    staged = tmp_path / "staged.mp3"
    staged.write_bytes(source.read_bytes())
    Tagger().process(item(None), staged)
    dest = streamed(tmp_path, source, item(None))
    assert mutagen.File(dest, easy=True).tags == mutagen.File(staged, easy=True).tags
    assert mutagen.File(dest).tags.version[:2] == (2, 3)
    assert dest.read_bytes().endswith(source.read_bytes())  # the audio, untouched
    assert source.read_bytes() == silent_mp3(1)  # the cache's original, untouched


def test_tag_in_one_pass_replaces_the_old_tag_and_keeps_its_other_frames(tmp_path: Path) -> None:
    source = tmp_path / "a.mp3"
    source.write_bytes(silent_mp3(1))
    old = ID3()
    old.add(TIT2(encoding=3, text=["Old title"]))
    old.add(COMM(encoding=3, lang="eng", desc="", text=["show notes"]))
    old.save(source, v2_version=4)
    audio = silent_mp3(1)
    dest = streamed(tmp_path, source, item(None))
    tags = ID3(dest)
    assert tags["TIT2"].text == ["Title"] and tags.getall("COMM")[0].text == ["show notes"]
    assert dest.read_bytes().endswith(audio) and b"Old title" not in dest.read_bytes()


def test_files_the_one_pass_cannot_do_are_left_to_process(tmp_path: Path) -> None:
    with_v1 = tmp_path / "v1.mp3"
    with_v1.write_bytes(silent_mp3(1) + b"TAG" + bytes(125))
    not_audio = tmp_path / "b.mp3"
    not_audio.write_bytes(b"%PDF-1.4 not audio")
    m4a = tmp_path / "c.m4a"
    m4a.write_bytes(silent_mp3(1))
    assert Tagger().header(item(None), with_v1) is None
    assert Tagger().header(item(None), not_audio) is None
    assert Tagger().header(item(None, "m4a"), m4a) is None


def test_copy_file_writes_the_prefix_then_the_source_after_skip(tmp_path: Path) -> None:
    source, dest = tmp_path / "s", tmp_path / "d"
    source.write_bytes(b"OLDTAG" + bytes(range(256)) * 100)
    seen: list[int] = []
    written = copy_file(source, dest, seen.append, prefix=b"NEW", skip=6)
    assert dest.read_bytes() == b"NEW" + bytes(range(256)) * 100
    assert written == sum(seen) == 3 + 25600
    assert dest.stat().st_mtime_ns == source.stat().st_mtime_ns
