"""DevTools' "Ignore this retainer": distances recomputed as if some nodes were gone.

Ignoring a retainer shows how the object would be held without it: the
Retainers view sorts by distances computed with the ignored nodes cut out, and
a WeakMap entry cut off on one side (its key or its table unreachable) no
longer counts on the other side either (``#updateIgnoredEdgesInRetainersView``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .distances import devtools_distances
from .format import NO_DISTANCE
from .jit import njit
from .snapshot import Snapshot


@dataclass(frozen=True)
class IgnoredRetainers:
    """The ignored nodes and what they change in the Retainers view."""

    nodes: frozenset[int] = frozenset()
    distances: np.ndarray | None = field(default=None, compare=False)
    edges: frozenset[int] = frozenset()


@njit(cache=True, nogil=True)
def _dead_weakmap_edges(distances, first_edge, edge_type, edge_name, internal_edge, part_of, part_count):
    """Internal WeakMap edges whose pair has a side held only by an unreachable node."""
    dead = np.zeros(max(part_count, 1), dtype=np.uint8)
    n = first_edge.shape[0] - 1
    for v in range(n):
        if distances[v] != NO_DISTANCE:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == internal_edge:
                p = part_of[edge_name[e]]
                if p >= 0:
                    dead[p] = 1
    out = np.empty(0, dtype=np.int64)
    count = 0
    for e in range(edge_type.shape[0]):
        if edge_type[e] == internal_edge:
            p = part_of[edge_name[e]]
            if p >= 0 and dead[p]:
                if count == out.shape[0]:
                    bigger = np.empty(max(16, 2 * count), dtype=np.int64)
                    bigger[:count] = out[:count]
                    out = bigger
                out[count] = e
                count += 1
    return out[:count]


def ignore_retainers(s: Snapshot, nodes: frozenset[int]) -> IgnoredRetainers:
    """The Retainers view's state once ``nodes`` are ignored (none: DevTools' own distances)."""
    if not nodes:
        return IgnoredRetainers()
    mask = np.zeros(s.node_count, dtype=np.uint8)
    mask[list(nodes)] = 1
    distances = devtools_distances(s.strings, s.types, s.root, s.node_type, s.node_name, s.first_edge, s.edge_type,
                                   s.edge_name, s.edge_to, s.numbered_edge, s.ephemerons, mask)
    edges = _dead_weakmap_edges(distances, s.first_edge, s.edge_type, s.edge_name, s.types.internal_edge,
                                s.ephemerons.part, s.ephemerons.part_count)
    return IgnoredRetainers(frozenset(nodes), distances, frozenset(int(e) for e in edges))
