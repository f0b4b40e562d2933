"""Untrusted text made safe to print and to write: no control characters, bounded length.

Titles, authors and error messages come from feeds, servers and other
programs' databases.  :func:`clean_text` is applied where such text enters
podsync (feed parsing, the state database), so every consumer — the terminal,
tags, manifests, playlists, file names — gets text that cannot move the
cursor, set the clipboard (OSC 52), ring the bell, reverse the reading order
or start a new line.
"""

from __future__ import annotations

import re
from typing import overload

MAX_TITLE = 500
"""Characters kept of a podcast's or an episode's title."""
MAX_AUTHOR = 200
"""Characters kept of an author."""
MAX_MESSAGE = 1000
"""Characters kept of an error message."""

_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
"""Line and field breaks: each run becomes one space."""
_UNSAFE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"  # C0 (ESC, BEL, ...), DEL and C1 controls (CSI, OSC)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, embeddings, overrides
    "\ud800-\udfff\ufff9-\ufffb]"  # lone surrogates, interlinear annotation controls
)


@overload
def clean_text(text: str, limit: int = MAX_TITLE) -> str: ...
@overload
def clean_text(text: None, limit: int = MAX_TITLE) -> None: ...
def clean_text(text: str | None, limit: int = MAX_TITLE) -> str | None:
    """``text`` without control characters, breaks as spaces, trimmed to ``limit`` characters.

    None stays None (a missing value); what is cut is marked with an ellipsis.
    """
    if text is None:
        return None
    text = str(text)
    if len(text) <= limit and text.isprintable() and text.strip() == text:
        return text  # the common case; isprintable() is False for every character cut below
    text = _UNSAFE.sub("", _BREAKS.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
