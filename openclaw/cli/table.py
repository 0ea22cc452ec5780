"""Box-drawn two-or-more-column tables, as OpenClaw's CLI prints them."""

from __future__ import annotations

import textwrap
from typing import Sequence

MAX_WIDTH = 120


def table(header: Sequence[str], rows: Sequence[Sequence[str]], maxWidth: int = MAX_WIDTH) -> list[str]:
    """
    The lines of a table; the last column wraps so the whole fits C{maxWidth}.
    """
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fixed = sum(widths[:-1]) + 3 * len(widths) + 1
    widths[-1] = max(10, min(widths[-1], maxWidth - fixed))

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def cells(row: Sequence[str]) -> list[str]:
        wrapped = [textwrap.wrap(str(c), w) or [""] for c, w in zip(row, widths)]
        height = max(len(w) for w in wrapped)
        return [
            "│" + "│".join(f" {(col[i] if i < len(col) else ''):<{w}} " for col, w in zip(wrapped, widths)) + "│"
            for i in range(height)
        ]

    lines = [rule("┌", "┬", "┐"), *cells(header), rule("├", "┼", "┤")]
    for row in rows:
        lines += cells(row)
    lines.append(rule("└", "┴", "┘"))
    return lines
