"""The compiled kernels of :mod:`heaptui.engine.ignore` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..format import NO_DISTANCE
from . import njit
from .graph import ephemeron_part


@njit(cache=True, nogil=True)
def _dead_weakmap_edges(distances, first_edge, edge_type, edge_name, internal_edge, ephemerons, part_count):
    """Internal WeakMap edges whose pair has a side held only by an unreachable node.

    ``ephemerons``: (marks, names, parts) of ``EphemeronNames``."""
    dead = np.zeros(max(part_count, 1), dtype=np.uint8)
    n = first_edge.shape[0] - 1
    for v in range(n):
        if distances[v] != NO_DISTANCE:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == internal_edge:
                p = ephemeron_part(edge_name[e], ephemerons[0], ephemerons[1], ephemerons[2])
                if p >= 0:
                    dead[p] = 1
    out = np.empty(0, dtype=np.int64)
    count = 0
    for e in range(edge_type.shape[0]):
        if edge_type[e] == internal_edge:
            p = ephemeron_part(edge_name[e], ephemerons[0], ephemerons[1], ephemerons[2])
            if p >= 0 and dead[p]:
                if count == out.shape[0]:
                    bigger = np.empty(max(16, 2 * count), dtype=np.int64)
                    for i in range(count):  # a loop: a slice copy's shape check costs seconds of compiling
                        bigger[i] = out[i]
                    out = bigger
                out[count] = e
                count += 1
    return out[:count]
