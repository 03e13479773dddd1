"""Cell texts shared by the app's grids and panes (no Textual here)."""

from __future__ import annotations

from ..engine.sizes import format_size
from ..visible import clip, visible


def size_cell(value: int, total: int, width: int) -> str:
    """Size and share of the total, right-aligned, always as DevTools formats sizes (one way in a column:
    bytes and MB side by side read as different magnitudes at a glance)."""
    share = f"{100 * value / total:3.0f}%" if total else "    "
    return f"{format_size(value)} {share}".rjust(width)  # "436.1 kB  10%": a column's gap kept at 14


def plural(count: int, word: str, many: str | None = None) -> str:
    """``object`` for 1, ``objects`` otherwise (``many`` when the plural is not just an s)."""
    return word if count == 1 else (many or word + "s")


def keep_id(label: str, room: int) -> str:
    """A label too long for ``room`` cut before its ``@id`` (a long string's text), not after it: every
    object row keeps the id that names it (in the Retainers title, in ``@id`` jumps)."""
    at = label.rfind(" @")
    if at < 0 or len(visible(label)) <= room or not label[at + 2 :].isdigit():
        return label
    tail = label[at:]
    keep = room - len(tail)
    if keep < 5:
        return label
    return clip(label[:at], keep) + tail  # clip ends what it cuts with …
