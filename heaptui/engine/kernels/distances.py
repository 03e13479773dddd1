"""The compiled kernels of :mod:`heaptui.engine.distances` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..format import BASE_SYSTEM_DISTANCE, NO_DISTANCE
from . import njit
from .graph import ephemeron_part


@njit(cache=True, nogil=True)
def _bfs(queue, head, tail, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemerons, ignored):
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
                part = ephemeron_part(name, ephemerons[0], ephemerons[1], ephemerons[2])
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
def compute_distances(root, first_edge, edge_type, edge_name, edge_to, node_type, node_name, user_root_edge,
                      weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
                      is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemerons,
                      ephemeron_part_count, ignored, spare_queue):
    """DevTools' node distances (int32), with ``ignored`` nodes (retainers view) treated as absent.

    ``user_root_edge``: per edge of the root, whether it leads to a user root. ``spare_queue`` holds the
    search's queue when it has a slot per node."""
    n = first_edge.shape[0] - 1
    distances = np.full(n, NO_DISTANCE, dtype=np.int32)
    queue = spare_queue[:n] if spare_queue.shape[0] >= n else np.empty(n, dtype=np.int32)
    pending = np.zeros(max(ephemeron_part_count, 1), dtype=np.uint8)
    tail = 0
    first = first_edge[root]
    for e in range(first, first_edge[root + 1]):
        w = edge_to[e]
        if user_root_edge[e - first] and distances[w] == NO_DISTANCE:
            distances[w] = 1
            queue[tail] = w
            tail += 1
    has_user_roots = tail > 0
    # np.int64, not literals: numba would compile _bfs once more for each constant it is called with
    zero, one, tail = np.int64(0), np.int64(1), np.int64(tail)
    _bfs(queue, zero, tail, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemerons, ignored)
    distances[root] = BASE_SYSTEM_DISTANCE if has_user_roots else 0
    queue[0] = root
    _bfs(queue, zero, one, distances, pending, first_edge, edge_type, edge_name, edge_to, node_type, node_name,
         weak_edge, internal_edge, hidden_node, array_node, numbered_edge, is_native_context_name,
         is_sloppy_map_name, is_map_descriptors_name, descriptor_name_allowed, ephemerons, ignored)
    return distances
