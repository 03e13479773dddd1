"""Sizes and shares as DevTools writes them, for every front end (CLI tables, the app, an MCP server).

One place for the rule, so that ``12.3 kB`` in the app and in ``heaptui summary`` can never disagree.
"""

from __future__ import annotations


def format_size(size: int) -> str:
    """Bytes as DevTools abbreviates them: ``812 B``, ``12.3 kB``, ``4.1 MB`` (units of 1000)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def format_percent(part: int, total: int) -> str:
    """``part`` as a whole percentage of ``total`` (``42%``), or ``-`` when the total is zero."""
    return f"{100 * part / total:.0f}%" if total else "-"
