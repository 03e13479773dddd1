"""The compiled kernels of :mod:`heaptui.engine.leaks` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from . import njit
from .graph import edge_owner


@njit(cache=True, nogil=True)
def _owners(dominator, root, candidate):
    """Per node, the candidate nearest the root among its dominators and itself (-1: none).

    Each node's answer is its dominator's, or itself when that is -1 and it is
    a candidate: resolved once per node by walking up to the first known one.
    """
    n = dominator.shape[0]
    owner = np.full(n, -2, dtype=np.int32)  # -2: not known yet
    owner[root] = root if candidate[root] else -1
    chain = np.empty(64, dtype=np.int32)
    for start in range(n):
        if owner[start] != -2:
            continue
        top = 0
        v = start
        while owner[v] == -2:
            if top == chain.shape[0]:
                bigger = np.empty(2 * top, dtype=np.int32)
                for i in range(top):  # a loop: a slice copy's shape check costs seconds of compiling
                    bigger[i] = chain[i]
                chain = bigger
            chain[top] = v
            top += 1
            d = dominator[v]
            if d == v:  # not in the tree (unreachable): its own root
                owner[v] = v if candidate[v] else -1
                top -= 1
                break
            v = d
        while top > 0:
            top -= 1
            w = chain[top]
            above = owner[dominator[w]]
            owner[w] = above if above >= 0 else (w if candidate[w] else -1)
    return owner


@njit(cache=True, nogil=True)
def _shortest_paths(starts, first_retainer, retainer_edge, first_edge, edge_type, weak_edge, root, distances,
                    internal, max_steps):
    """Each start's shortest retainer path: at every node, the retainer of least distance (not weak).

    Returns (first, edges, top, via_internal): start i's path is edges[first[i]:first[i + 1]], root side
    first; top[i] is the node it starts from; via_internal[i] says whether a node on the way (neither end)
    is ``internal``. A node's best retainer is found once however many paths cross it, so ten thousand
    objects in one array cost one climb above the array.
    """
    n = distances.shape[0]
    best_edge = np.full(n, -2, dtype=np.int64)  # -2: not looked at yet; -1: no retainer nearer the root
    best_source = np.empty(n, dtype=np.int32)
    first = np.zeros(starts.shape[0] + 1, dtype=np.int64)
    for i in range(starts.shape[0]):
        v = starts[i]
        count = 0
        while count < max_steps:
            if best_edge[v] == -2:
                best_edge[v] = -1
                best_distance = distances[v]
                for k in range(first_retainer[v], first_retainer[v + 1]):
                    e = retainer_edge[k]
                    if edge_type[e] == weak_edge:
                        continue
                    source = edge_owner(first_edge, e)
                    if source != root and distances[source] < best_distance:
                        best_distance = distances[source]
                        best_edge[v] = e
                        best_source[v] = source
            if best_edge[v] < 0:
                break
            count += 1
            v = best_source[v]
        first[i + 1] = first[i] + count
    edges = np.empty(first[-1], dtype=np.int64)
    top = np.empty(starts.shape[0], dtype=np.int64)
    via_internal = np.zeros(starts.shape[0], dtype=np.bool_)
    for i in range(starts.shape[0]):
        v = starts[i]
        k = first[i + 1] - 1
        while k >= first[i]:
            edges[k] = best_edge[v]
            v = best_source[v]
            if k > first[i] and internal[v]:
                via_internal[i] = True
            k -= 1
        top[i] = v
    return first, edges, top, via_internal
