"""The edge structure: retainers (reverse edges) and the source of an edge.

Edges are stored as a CSR by source node (``first_edge``); retainers are the
same edges grouped by target. Within one node the retainers are stored in the
order DevTools' ``buildRetainers`` leaves them (the reverse of the file's edge
order), because DevTools uses that position as the last tie-break when it sorts
retainers, and heaptui lists them in DevTools' order.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

build_retainers = kernel("graph", "build_retainers")
mark_edge_names = kernel("graph", "mark_edge_names")
nodes_of_type_named = kernel("graph", "nodes_of_type_named")


def edge_source(first_edge: np.ndarray, edges: np.ndarray | int) -> np.ndarray | int:
    """The node ordinal(s) owning the given edge ordinal(s)."""
    # In first_edge's own type: numpy would otherwise copy the whole array to search it.
    return np.searchsorted(first_edge, np.asarray(edges, dtype=first_edge.dtype), side="right") - 1


edges_of = kernel("graph", "edges_of")
