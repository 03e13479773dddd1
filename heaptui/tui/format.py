"""Sizes and cell texts shared by the app's grids and panes (no Textual here): the app's one source of them."""

from __future__ import annotations

import os

from ..engine.snapshot import Snapshot
from ..textreport import human_size, percent

__all__ = ["human_size", "percent", "size_cell", "stem"]


def stem(s: Snapshot) -> str:
    """The file name without ``.heapsnapshot[.gz]``, as the snapshot list and the filters name it."""
    return os.path.basename(s.path).removesuffix(".gz").removesuffix(".heapsnapshot")


def size_cell(value: int, total: int, width: int) -> str:
    """Bytes and share of the total, right-aligned: exact when it fits, abbreviated when not."""
    share = f"{100 * value / total:3.0f}%" if total else "    "
    exact = f"{value:,}  {share}"
    if len(exact) <= width - 1:
        return exact.rjust(width)
    return f"{human_size(value)}  {share}".rjust(width)
