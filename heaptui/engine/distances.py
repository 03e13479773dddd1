"""Distances from the GC roots, by DevTools' ``calculateDistances``.

A breadth-first search from the root's user roots (Node's ``global``, a page's
``Window`` and ``(Document DOM trees)``) at distance 1, skipping weak edges and
the edges DevTools filters out:

* the ``sloppy_function_map`` edge of a ``system / NativeContext``;
* the descriptor links of ``(map descriptors)`` arrays (crbug.com/413608);
* the first of the two internal edges V8 writes for a WeakMap entry (from the
  table and from the key), so the value's distance is the larger of the two.

A second search from the root reaches the rest at 100000000 + depth ("system"
distance); what neither reaches keeps -5. The ephemeron bookkeeping is shared
by both searches, as in DevTools, because it decides which edge of a pair is
taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .graph import edges_of, nodes_of_type_named
from .jit import kernel
from .names import descriptor_edge_allowed

if TYPE_CHECKING:
    from .ephemerons import EphemeronNames
    from .snapshot import TypeCodes
    from .strings import StringTable


compute_distances = kernel("distances", "compute_distances")


def user_roots(strings: StringTable, types: TypeCodes, node_type: np.ndarray,
               node_name: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user root, DOM trees root) per node, as DevTools' ``isUserRoot`` / ``isDocumentDOMTreesRoot`` say.

    Any node that is not synthetic can be a user root (Node's ``global``, a
    page's ``Window``), and so can the synthetic ``(Document DOM trees)``.
    """
    synthetic = node_type == types.synthetic
    dom_trees = synthetic & strings.mask_of(["(Document DOM trees)"])[node_name]
    return ~synthetic | dom_trees, dom_trees


def devtools_distances(strings: StringTable, types: TypeCodes, root: int, node_type: np.ndarray,
                       node_name: np.ndarray, first_edge: np.ndarray, edge_type: np.ndarray, edge_name: np.ndarray,
                       edge_to: np.ndarray, numbered_edge: np.ndarray, ephemerons: EphemeronNames,
                       ignored: np.ndarray | None = None, queue: np.ndarray | None = None) -> np.ndarray:
    """DevTools' distances for every node; ``ignored`` (a byte per node) for the Retainers view.

    ``queue`` (int32, at least a slot per node) is the search's queue when given: a load passes an array it no
    longer needs, so that the search adds only the distances to its peak memory."""
    # Only the root's children can start the first search: their flags, not an array of n.
    root_children = edge_to[first_edge[root] : first_edge[root + 1]]
    user_root_edge, _ = user_roots(strings, types, node_type[root_children], node_name[root_children])
    descriptor_names = strings.mask_of(["(map descriptors)"])
    descriptor_allowed = np.ones(len(strings), dtype=np.bool_)
    descriptor_edges = edges_of(first_edge, nodes_of_type_named(node_type, node_name, types.array, descriptor_names))
    named = descriptor_edges[~numbered_edge[edge_type[descriptor_edges]]]
    for index in np.unique(edge_name[named]):
        descriptor_allowed[index] = descriptor_edge_allowed(strings[int(index)])
    del descriptor_edges, named
    return compute_distances(
        root, first_edge, edge_type, edge_name, edge_to, node_type, node_name, user_root_edge,
        types.weak_edge, types.internal_edge, types.hidden, types.array, numbered_edge,
        strings.mask_of(["system / NativeContext"]), strings.mask_of(["sloppy_function_map"]),
        descriptor_names, descriptor_allowed, ephemerons.lookup, ephemerons.part_count,
        np.empty(0, dtype=np.uint8) if ignored is None else ignored.astype(np.uint8),
        np.empty(0, dtype=np.int32) if queue is None else queue)
