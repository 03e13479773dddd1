"""The depth-first walk of the dominator pass (LT's step 1) and its DFS parents found again for step 3.

Kept apart from :mod:`.dominators` (the forest, the semidominators and the
immediate dominators), which calls them.
"""

from __future__ import annotations

import numpy as np

from . import njit
from .retaining import _essential


@njit(cache=True, nogil=True)
def _dfs(start, parent, semi, vertex, next_edge, n, first_edge, edge_to, essential):
    """DevTools' iterative DFS from ``start`` (1-based vertex numbers); returns the new count.

    The same numbering as DevTools' loop, with fewer memory accesses: a vertex
    is numbered as it is reached, its next edge is stored only when the walk
    goes down from it (past the edge it goes down, which DevTools looks at again
    on the way back and skips, its end being numbered), and its parent is read
    only when it is done.
    """
    if semi[start] == 0:
        n += 1
        semi[start] = n
        vertex[n] = start
    next_edge[start - 1] = first_edge[start - 1]
    v = start
    while v != 0:
        vo = v - 1
        e = next_edge[vo]
        end = first_edge[vo + 1]
        w = 0
        while e < end:
            if _essential(essential, e) and semi[edge_to[e] + 1] == 0:
                w = edge_to[e] + 1
                break
            e += 1
        if w == 0:
            v = parent[v]
            continue
        next_edge[vo] = e + 1
        parent[w] = v
        n += 1
        semi[w] = n
        vertex[n] = w
        next_edge[w - 1] = first_edge[w - 1]
        v = w
    return n


@njit(cache=True, nogil=True)
def dfs_numbering(root, first_edge, edge_to, first_retainer, retainer_edge, essential, scratch):
    """LT's step 1 as DevTools runs it, and the arrays the later steps need.

    Returns (ancestor, vertex, label, semi, numbered, orphans, unreachable):
    1-based vertex arrays of n+1. ``scratch`` (bytes, later the retained
    sizes: 4 or 8 per node and one more) holds ``vertex``, and ``label`` too
    when it has room. ``label`` holds each vertex's DFS parent, which step 2
    reads when the vertex joins the forest (until then nothing reads its
    label); :func:`start_forest` then readies ``ancestor`` for step 2.
    """
    node_count = first_edge.shape[0] - 1
    size = node_count + 1
    # During the DFS ``ancestor`` holds each node's next edge to look at (hence the edge offsets' width).
    ancestor = np.zeros_like(first_edge)
    halves = scratch.view(np.int32)
    vertex = halves[:size]  # each written once, below: no need to clear them first
    # The label array: each parent written when its vertex is reached.
    if halves.shape[0] >= 2 * size:
        parent = halves[size : 2 * size]
    else:  # a scratch for 32-bit retained sizes holds one array of n+1: labels get their own, gone with the pass
        parent = np.empty(size, dtype=np.int32)
    semi = np.zeros(size, dtype=np.int32)
    r = root + 1
    parent[0] = 0
    parent[r] = 0  # the walk ends when it climbs above the root
    n = _dfs(r, parent, semi, vertex, ancestor, np.int64(0), first_edge, edge_to, essential)
    orphans = 0
    unreachable = 0
    if n < node_count:
        for v in range(1, node_count + 1):
            if semi[v] != 0:
                continue
            vo = v - 1
            only_weak = True
            for k in range(first_retainer[vo], first_retainer[vo + 1]):
                if _essential(essential, retainer_edge[k]):
                    only_weak = False
                    break
            if only_weak:
                orphans += 1
                parent[v] = r
                n = _dfs(v, parent, semi, vertex, ancestor, n, first_edge, edge_to, essential)
    if n < node_count:
        for v in range(1, node_count + 1):
            if semi[v] == 0:
                unreachable += 1
                parent[v] = r
                n += 1
                semi[v] = n
                vertex[n] = v
    vertex[0] = 0
    return ancestor, vertex, parent, semi, n, orphans, unreachable


@njit(cache=True, nogil=True)
def number_vertices(n, vertex, number):
    """``number[v]``: the DFS number of vertex ``v`` (``number`` is step 2's ``ancestor``, free again)."""
    for i in range(1, n + 1):
        number[vertex[i]] = i


@njit(cache=True, nogil=True)
def dfs_parents(root, first_edge, edge_to, essential, number, vertex, parent, low, high):
    """The DFS parent of every vertex in ``[low, high)``, into ``parent``, found again from the edges.

    A vertex's DFS parent is, of its essential retainers numbered before it, the
    one numbered last: any retainer numbered between the parent and the vertex
    was reached after the parent and left before the walk went from the parent
    to the vertex, having looked at all its edges, and would have gone to the
    vertex itself. The walks from orphans start at the root's (made-up) edge:
    no essential retainer, so the root. One pass over the edges in order; two
    threads can share it by halves of the vertices, each writing only its own.
    """
    for w in range(low, high):
        parent[w] = 0
    node_count = first_edge.shape[0] - 1
    for o in range(node_count):
        numbered = number[o + 1]
        for e in range(first_edge[o], first_edge[o + 1]):
            w = edge_to[e] + 1
            if w < low or w >= high or not _essential(essential, e):
                continue
            if numbered < number[w] and numbered > parent[w]:
                parent[w] = numbered
    r = root + 1
    for w in range(max(low, 1), high):
        parent[w] = vertex[parent[w]] if parent[w] != 0 else r
