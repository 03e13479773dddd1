"""JavaScript string rules that DevTools' numbers depend on.

DevTools compares and measures strings as JavaScript does: ``<`` orders by
UTF-16 code units (not by code points, as Python does), ``length`` counts
UTF-16 units, and ``JSON.stringify`` escapes lone surrogates. These helpers give
Python the same answers, so names, limits and orders come out identical.
"""

from __future__ import annotations

import json
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_NEEDS_QUOTES = re.compile(r"""[,'"{}]""")


def js_sort_key(text: str) -> bytes:
    """A key that orders strings as JavaScript's ``<`` does (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def js_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def js_json_quote(text: str) -> str:
    """``JSON.stringify(text)`` of a current V8: lone surrogates come out as ``\\udxxx``."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def format_property_name(name: str) -> str:
    """DevTools' ``formatPropertyName``: quote names holding ``, ' " { }``."""
    if _NEEDS_QUOTES.search(name):
        return js_json_quote(name)
    return name
