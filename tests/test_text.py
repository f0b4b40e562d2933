"""``clean_text``: what untrusted text keeps and loses."""

from __future__ import annotations

import pytest

from podsync.text import clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Plain title", "Plain title"),
        ("  spaced\t\tout \n", "spaced out"),
        ("a\x1b]52;c;eA==\x07b", "a]52;c;eA==b"),  # OSC 52 (set the clipboard), BEL
        ("a\x1b[2Jb\x9b31mc", "a[2Jb31mc"),  # CSI as ESC [ and as the C1 byte
        ("line\r\nbreak\x85next\u2028last", "line break next last"),
        ("evil\u202egnp.exe\u2066x\u2069", "evilgnp.exex"),  # bidirectional overrides
        ("nul\x00del\x7f", "nuldel"),
        ("Café — ünïcode ✓ 日本", "Café — ünïcode ✓ 日本"),
    ],
)
def test_control_characters_go_the_rest_stays(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_length_is_capped_with_an_ellipsis() -> None:
    assert clean_text("x" * 10**6, 500) == "x" * 499 + "…"
    assert clean_text("x" * 500, 500) == "x" * 500
    assert clean_text(None) is None
