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

from .format import BASE_SYSTEM_DISTANCE, NO_DISTANCE
from .graph import edges_of
from .jit import njit
from .names import descriptor_edge_allowed

if TYPE_CHECKING:
    from .ephemerons import EphemeronNames
    from .snapshot import TypeCodes
    from .strings import StringTable


@njit(cache=True, nogil=True)
def _bfs(queue, head, tail, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemeron_part, ignored):
    has_ignored = ignored.shape[0] > 0
    while head < tail:
        v = queue[head]
        head += 1
        d = distances[v] + 1
        vt = node_type[v]
        native_context = vt == hidden_node and is_native_context_name[node_name[v]]
        descriptors = vt == array_node and is_map_descriptors_name[node_name[v]]
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == weak_edge:
                continue
            w = edge_to[e]
            if distances[w] != NO_DISTANCE:
                continue
            if has_ignored and ignored[w]:
                continue
            name = edge_name[e]
            if native_context and not numbered_edge[t] and is_sloppy_map_name[name]:
                continue
            if descriptors:
                if numbered_edge[t]:
                    if not (name < 2 or name % 3 != 1):
                        continue
                elif not descriptor_name_allowed[name]:
                    continue
            elif t == internal_edge:
                part = ephemeron_part[name]
                if part >= 0:
                    if pending[part]:
                        pending[part] = 0
                    else:
                        pending[part] = 1
                        continue
            distances[w] = d
            queue[tail] = w
            tail += 1
    return tail


@njit(cache=True, nogil=True)
def compute_distances(root, first_edge, edge_type, edge_name, edge_to, node_type, node_name, is_user_root,
                      weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
                      is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemeron_part,
                      ephemeron_part_count, ignored):
    """DevTools' node distances (int32), with ``ignored`` nodes (retainers view) treated as absent."""
    n = first_edge.shape[0] - 1
    distances = np.full(n, NO_DISTANCE, dtype=np.int32)
    queue = np.empty(n, dtype=np.int32)
    pending = np.zeros(max(ephemeron_part_count, 1), dtype=np.uint8)
    tail = 0
    for e in range(first_edge[root], first_edge[root + 1]):
        w = edge_to[e]
        if is_user_root[w] and distances[w] == NO_DISTANCE:
            distances[w] = 1
            queue[tail] = w
            tail += 1
    has_user_roots = tail > 0
    _bfs(queue, 0, tail, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemeron_part, ignored)
    distances[root] = BASE_SYSTEM_DISTANCE if has_user_roots else 0
    queue[0] = root
    _bfs(queue, 0, 1, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemeron_part, ignored)
    return distances


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
                       ignored: np.ndarray | None = None) -> np.ndarray:
    """DevTools' distances for every node; ``ignored`` (a byte per node) for the Retainers view."""
    is_user_root, _ = user_roots(strings, types, node_type, node_name)
    descriptor_names = strings.mask_of(["(map descriptors)"])
    descriptors = (node_type == types.array) & descriptor_names[node_name]
    descriptor_allowed = np.ones(len(strings), dtype=np.bool_)
    descriptor_edges = edges_of(first_edge, np.flatnonzero(descriptors))
    named = descriptor_edges[~numbered_edge[edge_type[descriptor_edges]]]
    for index in np.unique(edge_name[named]):
        descriptor_allowed[index] = descriptor_edge_allowed(strings[int(index)])
    del descriptors, descriptor_edges, named
    return compute_distances(
        root, first_edge, edge_type, edge_name, edge_to, node_type, node_name, is_user_root,
        types.weak_edge, types.internal_edge, types.hidden, types.array, numbered_edge,
        strings.mask_of(["system / NativeContext"]), strings.mask_of(["sloppy_function_map"]),
        descriptor_names, descriptor_allowed, ephemerons.part, ephemerons.part_count,
        np.empty(0, dtype=np.uint8) if ignored is None else ignored.astype(np.uint8))
