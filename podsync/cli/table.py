"""Plain-text tables that fit the terminal: the widest column gives way first."""

from __future__ import annotations

from collections.abc import Sequence


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
    the widest of the ``shrink`` columns is shortened (with an ellipsis; at the
    start for ``paths``) until lines fit.
    """
    if not rows:
        return []
    columns = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    if width:
        while sum(widths) + 2 * (columns - 1) > width:
            widest = max(shrink, key=lambda i: widths[i])
            if widths[widest] <= 12:
                break
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
