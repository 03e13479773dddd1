"""A node's edges in the order DevTools' grids list them (Containment, an object's properties).

The default column is the retained size: largest target first, then the edge
name as DevTools compares it (``!edgeName``: names as strings, element
indexes included, so "10" comes before "9"; string names before indexes;
``__proto__`` last), then the edge's position. A large array has a million
edges, so they are put in order only as far as they are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .jsnames import js_sort_key
from .lazy_order import _HEX, LazyOrder, _decimal_keys, _prefix_keys, text_key

if TYPE_CHECKING:
    from .snapshot import Snapshot

STRING_NAME, INDEX_NAME, PROTO_NAME = 0, 1, 2


class EdgeList:
    """The outgoing edges of one node, in DevTools' default order as far as they are read."""

    def __init__(self, s: Snapshot, v: int) -> None:
        self.s = s
        edges = np.arange(int(s.first_edge[v]), int(s.first_edge[v + 1]), dtype=np.int64)
        self.edges = edges
        targets = s.edge_to[edges]
        kind = s.edge_type[edges]
        numbered = s.numbered_edge[kind]
        group = np.where(numbered, INDEX_NAME, STRING_NAME).astype(np.int64)
        names = s.edge_name[edges]
        group[~numbered & s.is_proto_name[np.where(numbered, 0, names)]] = PROTO_NAME
        # Shortcut edges whose name is a number are compared as indexes, as DevTools does.
        self._text: dict[int, str] = {}
        for row in np.flatnonzero(kind == s.types.shortcut_edge):
            text = s.edge_name_of(int(edges[row]))
            self._text[int(row)] = text
            if text.lstrip("-").isdigit():
                group[row] = INDEX_NAME
        retained = -s.retained[targets].astype(np.int64)
        self._order = LazyOrder(len(edges), [retained, group], self._name_keys,
                                lambda r: (int(retained[r]), int(group[r]), js_sort_key(self.name(r)), r),
                                np.arange(len(edges)))
        self._numbered = numbered

    def __len__(self) -> int:
        return int(self.edges.shape[0])

    def name(self, row: int) -> str:
        text = self._text.get(row)
        return text if text is not None else self.s.edge_name_of(int(self.edges[row]))

    def _name_keys(self, rows: np.ndarray, skip: int) -> np.ndarray:
        s = self.s
        keys = np.zeros(rows.shape[0], dtype=np.uint64)
        names = s.edge_name[self.edges[rows]].astype(np.int64)
        numbered = self._numbered[rows]
        keys[numbered] = _decimal_keys(names[numbered], skip)
        text = ~numbered & (names < s.strings.file_count)
        keys[text] = _prefix_keys(s.strings.blob, s.strings.starts, s.strings.ends, names[text], _HEX, skip)
        for j in np.flatnonzero(~numbered & ~text):
            keys[j] = text_key(self.name(int(rows[j])), skip)
        for position, row in enumerate(rows.tolist()):
            if row in self._text:
                keys[position] = text_key(self._text[row], skip)
        return keys

    def slice(self, start: int, end: int) -> np.ndarray:
        """Edge ordinals of rows ``start:end`` in DevTools' order."""
        return self.edges[self._order.first(end)[start:end]]
