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
    """Which strings name a WeakMap pair's edges, the pair of each, and each pair's table id.

    Few strings are such names (none in many snapshots), so instead of a pair
    number per string (an int32 each: 15 MB on the 1 GB snapshot, alive at the
    load's peak) a bit per string marks them, and their string indexes (sorted)
    and pairs are listed: a kernel tests one bit per internal edge and searches
    the list only for the marked ones (:func:`heaptui.engine.kernels.graph.ephemeron_part`).
    """

    marks: np.ndarray  # uint8, a bit per string (bit i & 7 of byte i >> 3): the string is an ephemeron edge name
    names: np.ndarray  # int32, the marked strings' indexes, ascending
    parts: np.ndarray  # int32, the pair of each of ``names``
    table_id: np.ndarray  # int64 per pair (and a -1 after the last): the id of the WeakMap's table
    part_count: int

    @property
    def lookup(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(marks, names, parts): what the kernels take to find a name's pair."""
        return self.marks, self.names, self.parts

    def part(self, string: int) -> int:
        """The pair an edge named by string index ``string`` belongs to, or -1."""
        at = int(np.searchsorted(self.names, string))
        return int(self.parts[at]) if at < self.names.shape[0] and self.names[at] == string else -1


def ephemeron_names(
    strings: StringTable, edge_type: np.ndarray, edge_name: np.ndarray, internal_edge: int
) -> EphemeronNames:
    """Parse the names of internal edges that V8 writes for WeakMap entries."""
    found: dict[int, int] = {}
    tables: list[int] = []
    parts: dict[str, int] = {}
    needle = np.frombuffer(b" / part of key (", dtype=np.uint8)
    # Only internal edges' names can match, and reading only those leaves the rest of the text untouched.
    candidates = mark_edge_names(edge_type, edge_name, internal_edge, np.zeros(len(strings), dtype=np.bool_))
    candidates = candidates[: strings.file_count]  # added strings (a salvaged "(lost)") are not the file's
    for index in strings_containing(strings.blob, strings.starts, strings.ends, needle, candidates):
        match = _EPHEMERON.match(strings[int(index)])
        if match:
            if match.group(1) not in parts:
                parts[match.group(1)] = len(parts)
                tables.append(int(match.group(2)))  # the table id is part of the shared text
            found[int(index)] = parts[match.group(1)]
    names = np.array(sorted(found), dtype=np.int32)
    marks = np.zeros((len(strings) + 7) >> 3, dtype=np.uint8)
    np.bitwise_or.at(marks, names >> 3, (1 << (names & 7)).astype(np.uint8))
    parts_of = np.array([found[i] for i in names.tolist()], dtype=np.int32)
    return EphemeronNames(marks, names, parts_of, np.array(tables + [-1], dtype=np.int64), len(parts))
