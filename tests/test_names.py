"""FAT-safe names."""

from __future__ import annotations

from podsync.model import MediaItem
from podsync.names import MAX_NAME, episode_path, safe_name, with_counter


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_forbidden_characters_are_replaced() -> None:
    assert safe_name('a: b? "c" *d* <e> f\\g|h/i') == "a - b c d e f-g-h-i"
    assert safe_name("tab\tnew\nline\x00nul\x7f") == "tab new line nul"


def test_trailing_dots_and_spaces_and_leading_dots() -> None:
    assert safe_name("  ...hidden. . ") == "hidden"
    assert safe_name("...") == "untitled"
    assert safe_name("") == "untitled"


def test_reserved_dos_names() -> None:
    for name in ("CON", "con", "Nul", "COM1", "lpt9", "AUX.mp3", "prn .txt"):
        assert safe_name(name).startswith("_"), name
    assert safe_name("Console") == "Console"


def test_length_is_bounded_in_utf16_units() -> None:
    assert utf16_units(safe_name("x" * 300)) == MAX_NAME
    accents = safe_name("é" * 300)
    assert utf16_units(accents) == MAX_NAME


def test_emoji_are_dropped() -> None:
    assert safe_name("🎧 Listen 🎧") == "Listen"
    assert safe_name("🎧" * 100) == "untitled"


def test_path_traversal_cannot_escape() -> None:
    item = MediaItem("k", "../../etc", "../../passwd", 0, "u", ext="../sh")
    folder, name = episode_path(item)
    assert "/" not in folder and "/" not in name and not folder.startswith(".")
    assert name == "undated ..-..-passwd.sh"


def test_episode_path_is_stable_and_bounded() -> None:
    item = MediaItem("k", "Pod: Cast", "T" * 300, 86400 * 365, "u", ext="MP3")
    first = episode_path(item)
    assert first == episode_path(item)
    assert first[0] == "Pod - Cast"
    assert first[1].startswith("1971-01-01 TTT") and first[1].endswith(".mp3")
    assert utf16_units(first[1]) <= MAX_NAME


def test_with_counter() -> None:
    assert with_counter("a.mp3", 2) == "a (2).mp3"
    assert with_counter("noext", 3) == "noext (3)"
    assert utf16_units(with_counter("x" * 116 + ".mp3", 12)) <= MAX_NAME
