"""Put long lists in order only as far as they are read, as DevTools' grids do.

An object can have millions of retainers or edges, but a grid shows a hundred
rows at a time. To give the first ``count`` rows of a lexicographic order
(numbers first, then names, then a unique tie-break) exactly, the candidates
are narrowed level by level: at each level the rows whose key is below the
cut are surely in, the rows tied at the cut go on to the next level. Names are
compared four UTF-16 code units at a time by a compiled key (JavaScript's
string order), so only the final page's names are decoded and compared whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .graph_view import NodeGraph
from .jit import kernel
from .jsnames import js_sort_key

MAX_NAME_UNITS = 1024  # DevTools' longest names (concatenated strings) stop here

_HEX = np.full(256, 0, dtype=np.int64)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i


_prefix_keys = kernel("lazy_order", "_prefix_keys")


_decimal_keys = kernel("lazy_order", "_decimal_keys")


_property_list_hashes = kernel("lazy_order", "_property_list_hashes")


def text_key(text: str, skip: int) -> int:
    """:func:`_prefix_keys` of a Python string."""
    units = js_sort_key(text)[2 * skip:2 * skip + 8].ljust(8, b"\0")
    return int.from_bytes(units, "big")


class NodeNames:
    """Display names of some nodes, as prefix keys or whole, each computed once.

    Plain objects are named after their property lists, so those with the same
    list are named once; other nodes' names are read as keys straight from the
    string table, without decoding.
    """

    def __init__(self, s: NodeGraph, nodes: np.ndarray) -> None:
        self.s = s
        self.nodes = nodes
        types = s.types
        node_type = s.node_type[nodes]
        plain = (node_type == types.object) & s.is_object_name[s.node_name[nodes]]
        self.computed = plain | (node_type == types.cons_string)
        self.text: dict[int, str] = {}
        where = np.flatnonzero(plain)
        if where.size:
            hashes = _property_list_hashes(nodes[where], s.first_edge, s.edge_type, s.edge_name,
                                           types.property_edge, s.is_proto_name)
            _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
            group_names = [s.name(int(nodes[where[i]])) for i in first]
            for i, g in zip(where, inverse.ravel()):
                self.text[int(i)] = group_names[g]

    def name(self, row: int) -> str:
        text = self.text.get(row)
        if text is None:
            text = self.text[row] = self.s.name(int(self.nodes[row]))
        return text

    def keys(self, rows: np.ndarray, skip: int) -> np.ndarray:
        s = self.s
        keys = np.zeros(rows.shape[0], dtype=np.uint64)
        index = s.node_name[self.nodes[rows]].astype(np.int64)
        direct = ~self.computed[rows] & (index < s.strings.file_count)
        keys[direct] = _prefix_keys(s.strings.blob, s.strings.starts, s.strings.ends, index[direct], _HEX, skip)
        for j in np.flatnonzero(~direct):
            keys[j] = text_key(self.name(int(rows[j])), skip)
        return keys


def _split(values: np.ndarray, rows: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(rows sure to be among the ``need`` smallest values, rows tied at the cut, the cut value)."""
    if need >= rows.shape[0]:
        return rows, rows[:0], 0
    cut = np.partition(values, need - 1)[need - 1]
    return rows[values < cut], rows[values == cut], int(cut)


class LazyOrder:
    """Rows ``0..size-1`` in a lexicographic order, computed only as far as it is read.

    ``numbers`` are the leading integer keys; ``name_keys(rows, skip)`` gives
    the name's prefix keys (units ``skip`` to ``skip + 3``); ``exact(row)`` the
    whole key the chosen rows are finally sorted by; ``unique`` the last,
    distinct key (a position) that ends all ties.
    """

    def __init__(self, size: int, numbers: Sequence[np.ndarray], name_keys: Callable[[np.ndarray, int], np.ndarray],
                 exact: Callable[[int], tuple], unique: np.ndarray) -> None:
        self.size = size
        self.numbers = numbers
        self.name_keys = name_keys
        self.exact = exact
        self.unique = unique
        self._ordered = np.empty(0, dtype=np.int64)

    def first(self, count: int) -> np.ndarray:
        """The first ``count`` rows, in order (cached, grown by doubling as more is read)."""
        count = min(count, self.size)
        if count > self._ordered.shape[0]:
            self._ordered = self._compute(min(self.size, max(count, 2 * self._ordered.shape[0])))
        return self._ordered[:count]

    def _compute(self, count: int) -> np.ndarray:
        tied = np.arange(self.size)
        need = count
        chosen = []
        for values in self.numbers:
            if not need or tied.shape[0] <= need:
                break
            sure, tied, _ = _split(values[tied], tied, need)
            chosen.append(sure)
            need -= sure.shape[0]
        skip = 0
        while need and tied.shape[0] > need and skip < MAX_NAME_UNITS:
            sure, tied, cut = _split(self.name_keys(tied, skip), tied, need)
            chosen.append(sure)
            need -= sure.shape[0]
            skip += 4
            if cut & 0xFFFF == 0:
                break  # the tied names have all ended: one same name, the unique key decides
        if need:
            sure, at_cut, _ = _split(self.unique[tied], tied, need)
            chosen += [sure, at_cut]
        else:
            chosen.append(tied[:0])
        rows = np.concatenate(chosen) if len(chosen) > 1 else chosen[0]
        keys = [self.exact(int(r)) for r in rows]
        order = sorted(range(rows.shape[0]), key=keys.__getitem__)
        return rows[np.array(order, dtype=np.int64)]
