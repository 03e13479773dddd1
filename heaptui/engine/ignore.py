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
from .jit import kernel
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot


@dataclass(frozen=True)
class IgnoredRetainers:
    """The ignored nodes and what they change in the Retainers view."""

    nodes: frozenset[int] = frozenset()
    distances: np.ndarray | None = field(default=None, compare=False)
    edges: frozenset[int] = frozenset()


_dead_weakmap_edges = kernel("ignore", "_dead_weakmap_edges")


def ignore_retainers(s: Snapshot, nodes: frozenset[int], progress: ProgressCallback | None = None
                     ) -> IgnoredRetainers:
    """The Retainers view's state once ``nodes`` are ignored (none: DevTools' own distances)."""
    if not nodes:
        return IgnoredRetainers()
    report = progress or no_progress
    report("ignoring retainers", 0, 2)
    mask = np.zeros(s.node_count, dtype=np.uint8)
    mask[list(nodes)] = 1
    distances = devtools_distances(s.strings, s.types, s.root, s.node_type, s.node_name, s.first_edge, s.edge_type,
                                   s.edge_name, s.edge_to, s.numbered_edge, s.ephemerons, mask)
    report("ignoring retainers", 1, 2)
    edges = _dead_weakmap_edges(distances, s.first_edge, s.edge_type, s.edge_name, s.types.internal_edge,
                                s.ephemerons.lookup, s.ephemerons.part_count)
    return IgnoredRetainers(frozenset(nodes), distances, frozenset(int(e) for e in edges))
