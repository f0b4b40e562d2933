"""Plain-text tables that fit the terminal: the widest column gives way first."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(
    rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), width: int = 0
) -> list[str]:
    """Lines of ``rows`` (the first is the header) in aligned columns.

    Columns whose index is in ``numeric`` are right-aligned.  With ``width``,
    the widest text column is shortened (with an ellipsis) until lines fit.
    """
    if not rows:
        return []
    columns = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    if width:
        text_columns = [i for i in range(columns) if i not in numeric]
        while text_columns and sum(widths) + 2 * (columns - 1) > width:
            widest = max(text_columns, key=lambda i: widths[i])
            if widths[widest] <= 8:
                break
            widths[widest] -= 1
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if len(cell) > widths[i]:
                cell = cell[: widths[i] - 1] + "…"
            last = i == columns - 1
            if i in numeric:
                cells.append(cell.rjust(widths[i]))
            else:
                cells.append(cell if last else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return lines
