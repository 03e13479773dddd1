"""The compiled kernels of :mod:`heaptui.engine.retainers` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..format import BASE_UNREACHABLE_DISTANCE, NO_DISTANCE
from . import njit
from .graph import bisect_edge


@njit(cache=True, nogil=True)
def _gather(v, first_retainer, retainer_edge, first_edge, edge_type, weak_edge, root, table, distances):
    """The listed retainers of ``v``: (edges, sources, positions, sort distances), in stored order.

    Stored retainers run in decreasing edge order, so the retaining nodes are
    found by one galloping walk down the edge offsets, not a search per edge.
    """
    begin = first_retainer[v]
    end = first_retainer[v + 1]
    m = end - begin
    edges = np.empty(m, dtype=np.int64)
    sources = np.empty(m, dtype=np.int64)
    positions = np.empty(m, dtype=np.int64)
    sort_distance = np.empty(m, dtype=np.int64)
    count = 0
    w = first_edge.shape[0] - 2
    for k in range(begin, end):
        e = retainer_edge[k]
        if first_edge[w] > e:
            step = 1
            while w - step > 0 and first_edge[w - step] > e:
                step *= 2
            w = bisect_edge(first_edge, e, max(w - step, 0), w)
        while w + 2 < first_edge.shape[0] and first_edge[w + 1] <= e:
            w += 1
        if edge_type[e] == weak_edge or w == root:
            continue
        d = table[w]
        if d == NO_DISTANCE:
            d = max(0, distances[w]) + BASE_UNREACHABLE_DISTANCE
        edges[count] = e
        sources[count] = w
        positions[count] = k
        sort_distance[count] = d
        count += 1
    return edges[:count], sources[:count], positions[:count], sort_distance[:count]
