"""The compiled kernels of :mod:`heaptui.engine.dominators` (the walk is in :mod:`.dfs`, the retaining-node lookups in
:mod:`.retaining`)."""

from __future__ import annotations

import numpy as np

from . import njit
from .dfs import dfs_numbering, dfs_parents, number_vertices
from .graph import ephemeron_part
from .retaining import _essential, _retaining_node, edge_blocks


@njit(cache=True, nogil=True)
def essential_edges(
    root,
    first_edge,
    edge_type,
    edge_name,
    edge_to,
    node_id,
    page_owned,
    weak_edge,
    shortcut_edge,
    internal_edge,
    ephemerons,
    ephemeron_table_id,
):
    """A bit per edge (packed, edge e is bit e & 7 of byte e >> 3): set when the edge counts for dominators.

    ``ephemerons``: (marks, names, parts) of ``EphemeronNames``."""
    n = first_edge.shape[0] - 1
    out = np.zeros((edge_to.shape[0] + 7) >> 3, dtype=np.uint8)
    for v in range(n):
        v_owned = page_owned[v]
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == internal_edge:
                part = ephemeron_part(edge_name[e], ephemerons[0], ephemerons[1], ephemerons[2])
                if part >= 0 and ephemeron_table_id[part] == node_id[v]:
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
            out[e >> 3] |= np.uint8(1 << (e & 7))
    return out


@njit(cache=True, nogil=True)
def _evaluate(v, ancestor, label, semi):
    """LT's EVAL with path compression, by pointer reversal instead of a stack.

    DevTools pushes the path on a stack, then compresses from the top down; here
    the path's ``ancestor`` links are reversed on the way up and restored on the
    way down, which gives the same labels and links without an array of n.
    """
    if ancestor[v] == 0:
        return v
    below = 0
    x = v
    while ancestor[ancestor[x]] != 0:
        up = ancestor[x]
        ancestor[x] = below
        below = x
        x = up
    upper = x  # the highest node of the path, whose link stays as it is
    w = below
    while w != 0:
        next_down = ancestor[w]
        if semi[label[upper]] < semi[label[w]]:
            label[w] = label[upper]
        ancestor[w] = ancestor[upper]
        upper = w
        w = next_down
    return label[v]


@njit(cache=True, nogil=True)
def _semidominator(
    w, r, first_edge, first_retainer, retainer_edge, essential, block_source, block_offset, ancestor, label, semi
):
    """LT's step 2 for ``w``: its semidominator from its essential predecessors (the root for orphans)."""
    wo = w - 1
    orphan = True
    for k in range(first_retainer[wo], first_retainer[wo + 1]):
        e = retainer_edge[k]
        if not _essential(essential, e):
            continue
        orphan = False
        u = _evaluate(_retaining_node(e, first_edge, block_source, block_offset) + 1, ancestor, label, semi)
        if semi[u] < semi[w]:
            semi[w] = semi[u]
    if orphan:
        semi[w] = semi[r]


@njit(cache=True, nogil=True)
def dominator_tree(root, first_edge, edge_to, first_retainer, retainer_edge, essential, scratch):
    """Return (dominator ordinal per node, nodes in DFS order, orphan count, unreachable count).

    ``scratch`` (uint8, 4 or 8 bytes per node and one more: the retained
    sizes' dtype, see :func:`heaptui.engine.dominators.retained_dtype`) holds
    one or two of the pass's int32 arrays; it is free again when this returns,
    and :func:`retained_sizes` writes the retained sizes into it, so they add
    no array of n to the pass's peak memory. No array keeps the DFS tree's
    parents: step 2 finds a vertex's parent in its label until it joins the
    forest, and step 3 finds them again from the edges (:func:`dfs_parents`),
    another array of n less at the peak.

    The root is its own dominator. ``orphans`` counts nodes reached only
    through weak edges, ``unreachable`` the ones DevTools then attaches to the
    root one by one. The DFS order is what :func:`retained_sizes` needs.

    The numbering and the semidominators are DevTools' Lengauer-Tarjan ones.
    The immediate dominators then come from the semi-NCA rule (walk up from the
    DFS parent to the first dominator at or above the semidominator), which
    gives the same tree on any graph whose DFS tree is made of its own edges and
    needs no buckets: four arrays of n+1 integers in all. Only when DevTools'
    fallback hangs unreachable cliques off the root (parent edges that are not
    edges) is its bucket step run instead, to match it there too.

    This is the pass on one thread; :func:`heaptui.engine.dominators.dominator_tree`
    runs the same steps with the semidominators' edge lookups on a second one.
    """
    ancestor, vertex, label, semi, n, orphans, unreachable = dfs_numbering(
        root, first_edge, edge_to, first_retainer, retainer_edge, essential, scratch
    )
    start_forest(ancestor)
    block_source, block_offset = edge_blocks(first_edge)
    if unreachable == 0:
        semidominators(
            n,
            root,
            vertex,
            first_edge,
            first_retainer,
            retainer_edge,
            essential,
            block_source,
            block_offset,
            ancestor,
            label,
            semi,
        )
    dominator, order = immediate_dominators(
        n,
        root,
        unreachable,
        first_edge,
        edge_to,
        first_retainer,
        retainer_edge,
        essential,
        block_source,
        block_offset,
        ancestor,
        vertex,
        label,
        semi,
        False,
    )
    return dominator, order, orphans, unreachable


@njit(cache=True, nogil=True)
def start_forest(ancestor):
    """Step 2's empty forest: no links. A vertex's label is set when it joins (until then it holds its parent)."""
    ancestor[:] = 0


@njit(cache=True, nogil=True)
def _join_forest(w, ancestor, label):
    """Link ``w`` under its DFS parent (held in its label until now); from here on its label is a label."""
    ancestor[w] = label[w]
    label[w] = w


@njit(cache=True, nogil=True)
def semidominators(
    n,
    root,
    vertex,
    first_edge,
    first_retainer,
    retainer_edge,
    essential,
    block_source,
    block_offset,
    ancestor,
    label,
    semi,
):
    """LT's step 2 over every vertex, in reverse DFS order, on this thread."""
    r = root + 1
    for i in range(n, 1, -1):
        w = vertex[i]
        _semidominator(
            w,
            r,
            first_edge,
            first_retainer,
            retainer_edge,
            essential,
            block_source,
            block_offset,
            ancestor,
            label,
            semi,
        )
        _join_forest(w, ancestor, label)


@njit(cache=True, nogil=True)
def chunk_semidominators(i, entries, continued, root, vertex, nodes, ends, ancestor, label, semi):
    """Step 2 for a chunk :func:`retaining_nodes` filled for the vertices numbered ``i``, ``i - 1``, ...

    The same evaluations in the same order as :func:`semidominators`, so the
    same semidominators. An empty entry is a vertex with no essential retainer
    (no piece of a vertex is empty). ``continued``: the chunk's last entry is
    not the whole of its vertex, which therefore does not join the forest yet.
    """
    r = root + 1
    start = 0
    for j in range(entries):
        w = vertex[i - j]
        end = ends[j]
        if start == end:
            semi[w] = semi[r]
        else:
            # semi[w] is not read by the evaluations: w is not in the forest yet, nor any label.
            s = semi[w]
            for m in range(start, end):
                u = _evaluate(np.int64(nodes[m]), ancestor, label, semi)
                if semi[u] < s:
                    s = semi[u]
            semi[w] = s
        start = end
        if not (continued and j == entries - 1):
            _join_forest(w, ancestor, label)


@njit(cache=True, nogil=True)
def immediate_dominators(
    n,
    root,
    unreachable,
    first_edge,
    edge_to,
    first_retainer,
    retainer_edge,
    essential,
    block_source,
    block_offset,
    ancestor,
    vertex,
    label,
    semi,
    parents_found,
):
    """LT's steps 3-4 and the results: (dominator ordinal per node, nodes in DFS order).

    Without unreachable nodes, the semidominators are done (step 2) and the
    semi-NCA rule gives the dominators, from the DFS parents that
    :func:`dfs_parents` puts in ``label`` (``parents_found``: a caller has
    numbered the vertices and found them already, on two threads); with
    them, DevTools' own steps 2-4 (buckets) run here from the start of step 2.
    One kernel for both, so that compiling the load's kernels compiles the
    rare one too.
    """
    if unreachable == 0:
        if not parents_found:
            number_vertices(n, vertex, ancestor)
            dfs_parents(root, first_edge, edge_to, essential, ancestor, vertex, label, 0, label.shape[0])
        dom = semi_nca(n, root, ancestor, vertex, label, semi)
    else:
        dom = bucket_dominators(
            n,
            root,
            first_edge,
            first_retainer,
            retainer_edge,
            essential,
            block_source,
            block_offset,
            ancestor,
            vertex,
            label,
            semi,
        )
    return tree_results(n, ancestor, vertex, dom, semi)


@njit(cache=True, nogil=True)
def semi_nca(n, root, number, vertex, label, semi):
    """The immediate dominators by the semi-NCA rule: ``label`` holds the DFS parents, then the dominators.

    Walk up the dominator tree from the parent to the first vertex numbered at
    or above the semidominator. Vertices go in DFS order, so a vertex's
    parent is read before its slot takes its dominator, and every vertex
    above it has its dominator already.
    """
    r = root + 1
    dom = label
    dom[r] = r
    for i in range(2, n + 1):
        w = vertex[i]
        x = dom[w]  # the parent
        while number[x] > semi[w]:
            x = dom[x]
        dom[w] = x
    return dom


@njit(cache=True, nogil=True)
def tree_results(n, free, vertex, dom, semi):
    """(dominator ordinal per node, nodes in DFS order), in the arrays this pass owns, to keep the peak down.

    The dominators go into ``free`` (the vertices' numbers, read no more), the order into ``semi``."""
    node_count = free.shape[0] - 1
    dominator = free[:node_count]
    for o in range(node_count):
        dominator[o] = dom[o + 1] - 1
    order = semi[:node_count]
    for i in range(n):
        order[i] = vertex[i + 1] - 1
    return dominator, order


@njit(cache=True, nogil=True)
def bucket_dominators(
    n,
    root,
    first_edge,
    first_retainer,
    retainer_edge,
    essential,
    block_source,
    block_offset,
    ancestor,
    vertex,
    label,
    semi,
):
    """DevTools' own steps 2-4 (buckets), for graphs where semi-NCA's premise does not hold: returns the dominators.

    A vertex's DFS parent is in its label until it joins the forest (see :func:`dfs_numbering`)."""
    r = root + 1
    size = semi.shape[0]
    bucket_head = np.zeros(size, dtype=np.int32)
    # Each vertex enters one bucket once and leaves it when its dominator is set,
    # so its bucket link and its dominator can share one slot.
    bucket_next_or_dom = np.zeros(size, dtype=np.int32)
    for i in range(n, 1, -1):
        w = vertex[i]
        _semidominator(
            w,
            r,
            first_edge,
            first_retainer,
            retainer_edge,
            essential,
            block_source,
            block_offset,
            ancestor,
            label,
            semi,
        )
        b = vertex[semi[w]]
        bucket_next_or_dom[w] = bucket_head[b]
        bucket_head[b] = w
        p = label[w]
        _join_forest(w, ancestor, label)
        v = bucket_head[p]
        while v != 0:
            following = bucket_next_or_dom[v]
            u = _evaluate(np.int64(v), ancestor, label, semi)  # one compiled _evaluate, for int64
            bucket_next_or_dom[v] = u if semi[u] < semi[v] else p
            v = following
        bucket_head[p] = 0
    dom = bucket_next_or_dom
    # A vertex left in a bucket nobody read (only in DevTools' fallback for
    # unreachable cliques) has no dominator yet: 0, as in DevTools' zeroed array.
    for x in range(1, size):
        v = bucket_head[x]
        while v != 0:
            following = dom[v]
            dom[v] = 0
            v = following
    dom[0] = r
    dom[r] = r
    for i in range(2, n + 1):
        w = vertex[i]
        if dom[w] != vertex[semi[w]]:
            dom[w] = dom[dom[w]]
    return dom


@njit(cache=True, nogil=True)
def retained_sizes(dominator, order, shallow, out):
    """Sizes of the dominator subtrees, summed children-first in reverse DFS order as DevTools does.

    Written into ``out`` (at least n: the dominator pass's scratch seen as uint32 or int64), whose first n are
    returned. Every sum is at most the total of the shallow sizes, which ``out``'s dtype holds
    (:func:`heaptui.engine.dominators.retained_dtype`), so a uint32 ``out`` never wraps.
    """
    n = dominator.shape[0]
    retained = out[:n]
    for o in range(n):
        retained[o] = shallow[o]
    for i in range(n - 1, 0, -1):
        o = order[i]
        retained[dominator[o]] += retained[o]
    return retained
