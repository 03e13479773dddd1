"""WeakMap entries: V8 writes each as two internal edges whose names share one text.

DevTools recognises them by name (``tryParseWeakMapEdgeName``): the dominator
pass drops the table's edge of each pair, the distance pass takes the second
edge of a pair it meets, and the Retainers view hides both when one side is
cut off by an ignored node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .graph import mark_edge_names
from .scan import strings_containing
from .strings import StringTable

# DevTools' tryParseWeakMapEdgeName, with JavaScript's meaning of \d, . and $.
_EPHEMERON = re.compile(
    r"[0-9]+( / part of key \([^\n\r\u2028\u2029]*? @[0-9]+\) -> value \([^\n\r\u2028\u2029]*? @[0-9]+\) "
    r"pair in WeakMap \(table @([0-9]+)\))\Z"
)


@dataclass(frozen=True)
class EphemeronNames:
    """Per string index: which WeakMap pair an edge name belongs to, and its table's id."""

    part: np.ndarray  # int32 per string: which pair (-1 when the string is not an ephemeron edge name)
    table_id: np.ndarray  # int64 per pair: the id of the WeakMap's table
    part_count: int


def ephemeron_names(strings: StringTable, edge_type: np.ndarray, edge_name: np.ndarray,
                    internal_edge: int) -> EphemeronNames:
    """Parse the names of internal edges that V8 writes for WeakMap entries."""
    part = np.full(len(strings), -1, dtype=np.int32)
    tables: list[int] = []
    parts: dict[str, int] = {}
    needle = np.frombuffer(b" / part of key (", dtype=np.uint8)
    # Only internal edges' names can match, and reading only those leaves the rest of the text untouched.
    candidates = mark_edge_names(edge_type, edge_name, internal_edge, np.zeros(len(strings), dtype=np.bool_))
    candidates = candidates[:strings.file_count]  # added strings (a salvaged "(lost)") are not the file's
    for index in strings_containing(strings.blob, strings.starts, strings.ends, needle, candidates):
        match = _EPHEMERON.match(strings[int(index)])
        if match:
            if match.group(1) not in parts:
                parts[match.group(1)] = len(parts)
                tables.append(int(match.group(2)))  # the table id is part of the shared text
            part[index] = parts[match.group(1)]
    return EphemeronNames(part, np.array(tables + [-1], dtype=np.int64), len(parts))
