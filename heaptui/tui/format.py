"""Cell texts shared by the app's grids and panes (no Textual here)."""

from __future__ import annotations

from ..engine.sizes import format_size


def size_cell(value: int, total: int, width: int) -> str:
    """Bytes and share of the total, right-aligned: exact when it fits, abbreviated when not."""
    share = f"{100 * value / total:3.0f}%" if total else "    "
    exact = f"{value:,}  {share}"
    if len(exact) <= width - 1:
        return exact.rjust(width)
    return f"{format_size(value)}  {share}".rjust(width)
