"""Plain-text tables that fit the terminal: the widest column gives way first."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

NARROWEST = 4
"""A column is never cut below this (an ellipsis and three characters)."""


def terminal_columns(stream: TextIO | None = None) -> int:
    """The width of the terminal ``stream`` (stdout) shows; 0 (no limit) when not a terminal."""
    try:
        return os.get_terminal_size((stream or sys.stdout).fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def shorten(text: str, width: int, *, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` with an ellipsis (at the start with ``keep_end``, for paths)."""
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1 :] if keep_end else text[: width - 1] + "…"


def format_table(
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    width: int = 0,
    shrink: Sequence[int] = (0,),
    paths: Sequence[int] = (),
) -> list[str]:
    """Lines of ``rows`` (the first is the header) in aligned columns.

    Columns whose index is in ``numeric`` are right-aligned.  With ``width``,
    no line is longer: the widest of the ``shrink`` columns is shortened first
    (with an ellipsis; at the start for ``paths``) down to 12 characters, then
    the widest of all, so a row never wraps.
    """
    if not rows:
        return []
    columns = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    if width:
        while sum(widths) + 2 * (columns - 1) > width:
            widest = max(shrink, key=lambda i: widths[i])
            if widths[widest] <= 12:
                widest = max(range(columns), key=lambda i: widths[i])
            if widths[widest] <= NARROWEST:
                break  # a terminal too narrow for any table
            widths[widest] -= 1
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cell = shorten(cell, widths[i], keep_end=i in paths)
            last = i == columns - 1
            if i in numeric:
                cells.append(cell.rjust(widths[i]))
            else:
                cells.append(cell if last else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return lines
