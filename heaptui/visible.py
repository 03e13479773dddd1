"""Text from a file made safe to show: control characters escaped, never sent to the terminal.

A heap snapshot holds whatever the program put in its strings and names, and
a file name is whatever its writer chose: ``ESC ] 0 ; … BEL`` in a class name
would set the terminal's title, ``ESC [ 2 J`` clear the screen, a C1 ``CSI``
(U+009B) do the same on terminals that read 8-bit controls. Every front end
turns such text into display text here, at the point where it is shown:
C0 controls (``\\0``, ``\\t``, ``\\n``, ``\\r``, ``\\x1b``…), DEL and C1
controls become visible escapes, and so do lone surrogates (valid in V8
strings, unencodable in UTF-8). Backslashes are left alone, so ordinary text
(paths, regular expressions) reads as it always did. JSON output keeps the exact
text instead (``json.dumps`` with ``ensure_ascii`` escapes all of these).

No Textual, no click: the engine, the CLI and the app all use it.
"""

from __future__ import annotations

import re

# C0, DEL, C1, and the surrogate range (only lone surrogates can occur in a Python str).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
ELLIPSIS = "…"


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character and lone surrogate shown as an escape (``\\x1b``, ``\\n``)."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def clip(text: str, width: int) -> str:
    """``visible(text)`` in at most ``width`` characters, ending in ``…`` when cut.

    The raw text is cut, not its escaped form, so an escape is shown whole or
    not at all (never ``\\x1`` of ``\\x1b``).
    """
    head = text[: width + 1]  # a character shows as one or more: nothing after these can fit
    shown = visible(head)
    if len(shown) <= width and len(head) == len(text):
        return shown
    if width <= 0:
        return ""
    room = width - len(ELLIPSIS)
    if shown is head:
        return head[:room] + ELLIPSIS
    parts: list[str] = []
    used = 0
    for char in head:
        unit = _escape(char) if _UNSAFE.match(char) else char
        if used + len(unit) > room:
            break
        parts.append(unit)
        used += len(unit)
    return "".join(parts) + ELLIPSIS
