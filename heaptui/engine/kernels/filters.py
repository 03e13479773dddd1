"""The compiled kernels of :mod:`heaptui.engine.filters` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from . import njit


@njit(cache=True, nogil=True)
def reached_avoiding(first_edge, edge_type, edge_to, root, weak_type, blocked_node, blocked_edge):
    """DevTools' ``bfs`` from the root, skipping weak edges and edges into a blocked node or along a blocked edge."""
    n = first_edge.shape[0] - 1
    seen = np.zeros(n, dtype=np.uint8)
    queue = np.empty(n, dtype=np.int32)
    check_edges = blocked_edge.shape[0] > 0
    seen[root] = 1
    queue[0] = root
    head, tail = 0, 1
    while head < tail:
        v = queue[head]
        head += 1
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == weak_type:
                continue
            w = edge_to[e]
            if seen[w] or blocked_node[w] or (check_edges and blocked_edge[e]):
                continue
            seen[w] = 1
            queue[tail] = w
            tail += 1
    return seen


@njit(cache=True, nogil=True)
def native_context_attribution(is_native_context, map_of, native_context_of, first_edge, edge_type, edge_to,
                               shortcut_type, weak_type):
    """DevTools' ``calculateNativeContextAttribution``: per node, its native context's ordinal, -1 or -2 (shared).

    Fixed first: a native context is its own; an object whose map's map (the
    meta map, one per native context) has a ``native_context`` edge belongs to
    that one. Then owners spread over non-shortcut, non-weak edges to nodes not
    fixed; a node reached from two owners is shared, and spreads that.
    """
    n = is_native_context.shape[0]
    owner = np.full(n, -1, dtype=np.int32)
    fixed = np.zeros(n, dtype=np.uint8)
    queue_size = n
    queue = np.empty(queue_size, dtype=np.int32)
    tail = 0
    for v in range(n):
        if is_native_context[v]:
            owner[v] = v
            fixed[v] = 1
        else:
            m = map_of[v]
            if m >= 0:
                meta = map_of[m]
                if meta >= 0 and native_context_of[meta] >= 0:
                    owner[v] = native_context_of[meta]
                    fixed[v] = 1
        if fixed[v]:
            queue[tail] = v
            tail += 1
    head = 0
    while head < tail:
        v = queue[head]
        head += 1
        current = owner[v]
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == shortcut_type or t == weak_type:
                continue
            w = edge_to[e]
            if w == v or fixed[w]:
                continue
            before = owner[w]
            if before == -2 or current == -2:
                merged = -2
            elif before == -1:
                merged = current
            elif before == current:
                merged = before
            else:
                merged = -2
            if merged != before:
                owner[w] = merged
                if tail == queue_size:  # a node is queued at most three times (none, one owner, shared)
                    grown = np.empty(queue_size * 2, dtype=np.int32)
                    for i in range(tail):  # a loop: a slice copy's shape check costs seconds of compiling
                        grown[i] = queue[i]
                    queue = grown
                    queue_size *= 2
                queue[tail] = w
                tail += 1
    return owner


@njit(cache=True, nogil=True)
def _internal_targets(first_edge, edge_type, edge_name, edge_to, internal_type, native_context_name, map_name,
                      is_native_context):
    """Per node, the target of its first internal ``native_context`` edge (to a native context) and ``map`` edge."""
    n = first_edge.shape[0] - 1
    native_context_of = np.full(n, -1, dtype=np.int32)
    map_of = np.full(n, -1, dtype=np.int32)
    for v in range(n):
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] != internal_type:
                continue
            name = edge_name[e]
            w = edge_to[e]
            if name == native_context_name and native_context_of[v] == -1 and is_native_context[w]:
                native_context_of[v] = w
            elif name == map_name and map_of[v] == -1:
                map_of[v] = w
    return native_context_of, map_of
