"""An object's retainers in DevTools' order, a page at a time.

The Retainers view orders retainers by the retaining node's distance, then
its display name (JavaScript string order), then DevTools' retainer position.
Some objects have millions of retainers (the map shared by every string of a
heap), so the list is gathered in one compiled pass and put in order only as
far as it is read (:mod:`.lazy_order`).
"""

from __future__ import annotations

import numpy as np

from .format import BASE_UNREACHABLE_DISTANCE
from .graph_view import NodeGraph
from .jit import kernel
from .jsnames import js_sort_key
from .lazy_order import LazyOrder, NodeNames

_gather = kernel("retainers", "_gather")


class RetainerList:
    """Retaining edges of one object, put in DevTools' order as far as they are read."""

    def __init__(self, s: NodeGraph, edges: np.ndarray, nodes: np.ndarray, positions: np.ndarray,
                 distances: np.ndarray) -> None:
        self.edges, self.nodes, self.positions, self.distances = edges, nodes, positions, distances
        names = NodeNames(s, nodes)
        self._order = LazyOrder(
            len(edges), [distances], names.keys,
            lambda r: (int(distances[r]), js_sort_key(names.name(r)), int(positions[r])), positions)

    def __len__(self) -> int:
        return int(self.edges.shape[0])

    def slice(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(edges, retaining nodes, sort distances) of rows ``start:end`` in DevTools' order."""
        rows = self._order.first(end)[start:end]
        return self.edges[rows], self.nodes[rows], self.distances[rows]


def retainer_list(s: NodeGraph, v: int, distances: np.ndarray | None = None,
                  ignored_edges: frozenset[int] = frozenset()) -> RetainerList:
    """The object's retainers as DevTools' Retainers view lists them by default.

    Weak edges and edges from the root are left out (files hold no invisible
    ones); the rest are ordered by the retaining node's distance (unreachable
    ones last, ignored WeakMap edges as unreachable), then its display name,
    then DevTools' retainer position (later edges first).
    """
    table = s.distances if distances is None else distances
    edges, sources, positions, sort_distance = _gather(
        v, s.first_retainer, s.retainer_edge, s.first_edge, s.edge_type, s.types.weak_edge, s.root, table,
        s.distances)
    if ignored_edges:
        sort_distance[np.isin(edges, np.fromiter(ignored_edges, dtype=np.int64))] = BASE_UNREACHABLE_DISTANCE
    return RetainerList(s, edges, sources, positions, sort_distance)
