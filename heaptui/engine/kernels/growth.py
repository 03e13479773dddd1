"""The compiled kernels of :mod:`heaptui.engine.growth` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..growth import ARRAY, MAP, OBJECT
from . import njit


@njit(cache=True, nogil=True)
def _element_counts(nodes, kinds, first_edge, edge_type, edge_name, edge_to, element_edge, property_edge,
                    internal_edge, is_proto, is_table, is_map):
    """Each node's element count by its kind (see the module's docstring)."""
    counts = np.zeros(nodes.shape[0], dtype=np.int64)
    for i in range(nodes.shape[0]):
        v = nodes[i]
        kind = kinds[i]
        count = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if kind == ARRAY:
                if t == element_edge:
                    count += 1
            elif kind == OBJECT:
                if t == property_edge and not is_proto[edge_name[e]]:
                    count += 1
            elif t == internal_edge and is_table[edge_name[e]]:
                table = edge_to[e]
                for f in range(first_edge[table], first_edge[table + 1]):
                    if edge_type[f] == internal_edge and not is_map[edge_name[f]]:
                        count += 1
        counts[i] = count // 2 if kind == MAP else count
    return counts
