"""The dominator tree and retained sizes, by DevTools' rules.

Which edges retain (``computeIsEssentialEdge``): not weak edges, not self
edges, not shortcut edges except from the root, not the table's edge of a
WeakMap ephemeron pair (the key's edge is kept), and not edges from a node that
is not page-owned into a page-owned one.

The tree is built by the Lengauer-Tarjan algorithm exactly as DevTools runs it
(same depth-first order, same treatment of nodes reached only through weak
edges, which hang off the root, and of unreachable cliques), so that even in
those corner cases the retained sizes are DevTools' own.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def essential_edges(root, first_edge, edge_type, edge_name, edge_to, node_id, page_owned,
                    weak_edge, shortcut_edge, internal_edge, ephemeron_table_id):
    """A byte per edge: 1 when the edge counts for dominators."""
    n = first_edge.shape[0] - 1
    out = np.zeros(edge_to.shape[0], dtype=np.uint8)
    for v in range(n):
        v_owned = page_owned[v]
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == internal_edge:
                table = ephemeron_table_id[edge_name[e]]
                if table >= 0 and table == node_id[v]:
                    continue
            if t == weak_edge:
                continue
            w = edge_to[e]
            if w == v:
                continue
            if v != root:
                if t == shortcut_edge:
                    continue
                if page_owned[w] and not v_owned:
                    continue
            out[e] = 1
    return out


@njit(cache=True, nogil=True)
def _dfs(start, parent, semi, vertex, label, next_edge, n, first_edge, edge_to, essential):
    """DevTools' iterative DFS from ``start`` (1-based vertex numbers); returns the new count."""
    next_edge[start - 1] = first_edge[start - 1]
    v = start
    while v != 0:
        if semi[v] == 0:
            n += 1
            semi[v] = n
            vertex[n] = v
            label[v] = v
        v_next = parent[v]
        vo = v - 1
        end = first_edge[vo + 1]
        while next_edge[vo] < end:
            e = next_edge[vo]
            if essential[e]:
                wo = edge_to[e]
                w = wo + 1
                if semi[w] == 0:
                    parent[w] = v
                    next_edge[wo] = first_edge[wo]
                    v_next = w
                    break
            next_edge[vo] = e + 1
        v = v_next
    return n


@njit(cache=True, nogil=True)
def _evaluate(v, ancestor, label, semi, stack):
    if ancestor[v] == 0:
        return v
    sp = 0
    x = v
    while ancestor[ancestor[x]] != 0:
        sp += 1
        stack[sp] = x
        x = ancestor[x]
    while sp > 0:
        w = stack[sp]
        sp -= 1
        if semi[label[ancestor[w]]] < semi[label[w]]:
            label[w] = label[ancestor[w]]
        ancestor[w] = ancestor[ancestor[w]]
    return label[v]


@njit(cache=True, nogil=True)
def dominators_and_retained_sizes(root, first_edge, edge_to, first_retainer, retainer_edge, essential, shallow):
    """Return (dominator ordinal per node, retained size per node, orphan count, unreachable count).

    The root is its own dominator. ``orphans`` counts nodes reached only
    through weak edges, ``unreachable`` the ones DevTools then attaches to the
    root one by one.
    """
    node_count = first_edge.shape[0] - 1
    size = node_count + 1
    parent = np.zeros(size, dtype=np.int32)
    ancestor = np.zeros(size, dtype=np.int32)
    vertex = np.zeros(size, dtype=np.int32)
    label = np.zeros(size, dtype=np.int32)
    semi = np.zeros(size, dtype=np.int32)
    work = np.zeros(size, dtype=np.int64)  # next edge during the DFS, then the compression stack
    r = root + 1
    n = _dfs(r, parent, semi, vertex, label, work, 0, first_edge, edge_to, essential)
    orphans = 0
    unreachable = 0
    if n < node_count:
        for v in range(1, node_count + 1):
            if semi[v] != 0:
                continue
            vo = v - 1
            only_weak = True
            for k in range(first_retainer[vo], first_retainer[vo + 1]):
                if essential[retainer_edge[k]]:
                    only_weak = False
                    break
            if only_weak:
                orphans += 1
                parent[v] = r
                n = _dfs(v, parent, semi, vertex, label, work, n, first_edge, edge_to, essential)
    if n < node_count:
        for v in range(1, node_count + 1):
            if semi[v] == 0:
                unreachable += 1
                parent[v] = r
                n += 1
                semi[v] = n
                vertex[n] = v
                label[v] = v
    dom = np.zeros(size, dtype=np.int32)
    bucket_head = np.zeros(size, dtype=np.int32)
    bucket_next = np.zeros(size, dtype=np.int32)
    # Each vertex enters a bucket once; a bucket is emptied when read, so a linked list does.
    for i in range(n, 1, -1):
        w = vertex[i]
        wo = w - 1
        orphan = True
        for k in range(first_retainer[wo], first_retainer[wo + 1]):
            e = retainer_edge[k]
            if not essential[e]:
                continue
            orphan = False
            # The retaining node of edge e: the node whose edge range holds e.
            lo = 0
            hi = node_count
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if first_edge[mid] <= e:
                    lo = mid
                else:
                    hi = mid
            u = _evaluate(lo + 1, ancestor, label, semi, work)
            if semi[u] < semi[w]:
                semi[w] = semi[u]
        if orphan:
            semi[w] = semi[r]
        b = vertex[semi[w]]
        bucket_next[w] = bucket_head[b]
        bucket_head[b] = w
        ancestor[w] = parent[w]
        p = parent[w]
        v = bucket_head[p]
        while v != 0:
            u = _evaluate(v, ancestor, label, semi, work)
            dom[v] = u if semi[u] < semi[v] else p
            v = bucket_next[v]
        bucket_head[p] = 0
    dom[0] = r
    dom[r] = r
    for i in range(2, n + 1):
        w = vertex[i]
        if dom[w] != vertex[semi[w]]:
            dom[w] = dom[dom[w]]
    dominator = np.empty(node_count, dtype=np.int32)
    retained = np.empty(node_count, dtype=np.int64)
    for o in range(node_count):
        dominator[o] = dom[o + 1] - 1
        retained[o] = shallow[o]
    for i in range(n, 1, -1):
        o = vertex[i] - 1
        retained[dominator[o]] += retained[o]
    return dominator, retained, orphans, unreachable
