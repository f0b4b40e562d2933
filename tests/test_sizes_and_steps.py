"""Sizes, budgets and the small processing steps."""

from __future__ import annotations

from pathlib import Path

import mutagen
import pytest

from podsync.errors import SkipItem
from podsync.loopback import silent_mp3
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
