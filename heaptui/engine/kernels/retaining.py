"""The retaining node of a retainer edge, for the dominator pass's semidominators (step 2).

A retainer edge is an edge ordinal; the node that holds it is found in the
edge offsets from two small tables (:func:`edge_blocks`). :func:`retaining_nodes`
does these lookups for a chunk of vertices, on a thread of its own, while
the loading thread evaluates the chunk before (see :mod:`heaptui.engine.dominators`).
"""

from __future__ import annotations

import numpy as np

from ..dominators import _BLOCK_SHIFT, _FINE_SHIFT, _STEPS
from . import njit
from .graph import bisect_edge


@njit(cache=True, nogil=True, inline="always")
def _essential(bits, e):
    return (bits[e >> 3] >> (e & 7)) & 1


@njit(cache=True, nogil=True, inline="always")
def _retaining_node(e, first_edge, block_source, block_offset):
    """The node whose edge range holds edge ``e``, from the tables of :func:`edge_blocks`.

    Usually a step or two forward from the node the tables give for ``e``'s
    fine block (in one cache line of ``first_edge``); a binary search over the
    coarse block where many nodes without edges lie in between.
    """
    b = e >> _BLOCK_SHIFT
    v = np.int64(block_source[b]) + block_offset[e >> _FINE_SHIFT]  # at or before e's node
    last = v + _STEPS
    while first_edge[v + 1] <= e:
        v += 1
        if v == last:
            v = bisect_edge(first_edge, e, v, block_source[b + 1] + 1)
            break
    return v


@njit(cache=True, nogil=True)
def edge_blocks(first_edge):
    """Tables to find an edge's retaining node: the node of the first edge of each coarse block of edges
    (int32), and of each fine block as a count of nodes from its coarse block's (uint8: at most 255, so a node
    at or before the fine block's first edge's)."""
    node_count = first_edge.shape[0] - 1
    edge_count = first_edge[node_count]
    block_source = np.empty((edge_count >> _BLOCK_SHIFT) + 2, dtype=np.int32)
    block_offset = np.empty((edge_count >> _FINE_SHIFT) + 1, dtype=np.uint8)
    v = 0
    for b in range(block_source.shape[0]):
        e = b << _BLOCK_SHIFT
        while v < node_count - 1 and first_edge[v + 1] <= e:
            v += 1
        block_source[b] = v
    v = 0
    for f in range(block_offset.shape[0]):
        e = f << _FINE_SHIFT
        while v < node_count - 1 and first_edge[v + 1] <= e:
            v += 1
        block_offset[f] = min(v - block_source[f >> (_BLOCK_SHIFT - _FINE_SHIFT)], 255)
    return block_source, block_offset


@njit(cache=True, nogil=True)
def retaining_nodes(
    i, k, vertex, first_edge, first_retainer, retainer_edge, essential, block_source, block_offset, nodes, ends
):
    """Step 2's edge lookups for the vertices numbered ``i``, ``i - 1``, ... (the producer's half of it).

    Writes the retaining nodes (1-based) of each vertex's essential retainer
    edges, in retainer order, into ``nodes``, and after each vertex the count
    written so far into ``ends``, until either is full or vertex 2 is done.
    A vertex whose retaining nodes do not fit in what is left of ``nodes`` is
    cut before the first that does not (some have millions of retainers): the
    next chunk resumes it at retainer ``k`` (-1: a vertex's first). So every
    piece starts with a retaining node, and an empty entry is an orphan.
    Reads only arrays no other step writes meanwhile, so it can run while
    :func:`chunk_semidominators` works on the previous chunk.

    Returns (entries written, next i, next k): next k >= 0 when the last entry
    is a piece of a vertex to be continued in the next chunk.
    """
    capacity = nodes.shape[0]
    slots = ends.shape[0]
    filled = 0
    j = 0
    while i > 1 and j < slots:
        wo = vertex[i] - 1
        if k < 0:
            if filled == capacity:
                break
            k = first_retainer[wo]
        end = first_retainer[wo + 1]
        while k < end:
            e = retainer_edge[k]
            if _essential(essential, e):
                if filled == capacity:
                    break
                # _retaining_node(e, first_edge, block_source, block_offset) written out: a third faster (numba)
                b = e >> _BLOCK_SHIFT
                v = np.int64(block_source[b]) + block_offset[e >> _FINE_SHIFT]
                last = v + _STEPS
                while first_edge[v + 1] <= e:
                    v += 1
                    if v == last:
                        v = bisect_edge(first_edge, e, v, block_source[b + 1] + 1)
                        break
                nodes[filled] = v + 1
                filled += 1
            k += 1
        ends[j] = filled
        j += 1
        if k < end:
            return j, i, k
        i -= 1
        k = -1
    return j, i, k
