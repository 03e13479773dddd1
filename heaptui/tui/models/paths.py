"""A retainer path laid out for a few lines of a given width: both ends kept, the middle folded.

A leak path reads from a GC root to the leaked object; the two ends are what a
person needs (where it is held from, what is held), so when the whole path needs
more lines than there is room for, steps in the middle give way to ``… N more …``
(the whole path is one key away, in a window of its own).
"""

from __future__ import annotations

from ...visible import clip

ARROW = " → "


def wrap_parts(parts: list[str], width: int) -> list[str]:
    """The steps joined by arrows, broken at the arrows so each line fits ``width``
    (a step longer than a line is cut, never split)."""
    room = max(4, width - len(ARROW))
    lines: list[str] = []
    line = ""
    for part in parts:
        part = clip(part, room)
        piece = part if not line else ARROW + part
        if line and len(line) + len(piece) + len(ARROW.rstrip()) > width:
            lines.append(line + ARROW.rstrip())
            line = part
        else:
            line += piece
    lines.append(line)
    return lines


def fold_path(path: str, width: int, room: int) -> list[str]:
    """``path`` (steps joined by `` → ``) in at most ``room`` lines of ``width``: whole when it fits,
    else its first and last steps around ``… N more …``, as many of each as fit (the leaked end first)."""
    parts = path.split(ARROW)
    lines = wrap_parts(parts, width)
    if len(lines) <= room or len(parts) < 3:
        return lines[:room] if len(parts) < 3 else lines
    head, tail = 1, 1

    def folded(h: int, t: int) -> list[str]:
        hidden = len(parts) - h - t
        return wrap_parts(parts[:h] + [f"… {hidden} more …"] + parts[len(parts) - t :], width)

    best = folded(head, tail)
    grew = True
    while grew and head + tail < len(parts) - 1:
        grew = False
        for h, t in ((head, tail + 1), (head + 1, tail)):
            if h + t < len(parts) and len(candidate := folded(h, t)) <= room:
                head, tail, best, grew = h, t, candidate, True
                break
    return best
