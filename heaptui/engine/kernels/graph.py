"""The compiled kernels of :mod:`heaptui.engine.graph` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from . import njit


@njit(cache=True, nogil=True)
def build_retainers(first_edge, edge_to, node_count):
    """Reverse CSR: retainers of node t are retainer_edge[first_retainer[t]:first_retainer[t+1]]."""
    edge_count = edge_to.shape[0]
    first_retainer = np.zeros_like(first_edge)  # node_count + 1 offsets, as wide as the edge offsets
    for e in range(edge_count):
        first_retainer[edge_to[e] + 1] += 1
    for i in range(node_count):
        first_retainer[i + 1] += first_retainer[i]
    # Each node's range is filled from its end down, in first_retainer[t + 1] itself (a copy of the offsets
    # was 56 MB of the 1 GB snapshot's index phase), which leaves there the start of t's range: shifted back.
    retainer_edge = np.empty(edge_count, dtype=np.int32)
    for src in range(node_count):
        for e in range(first_edge[src], first_edge[src + 1]):
            t = edge_to[e] + 1
            first_retainer[t] -= 1
            retainer_edge[first_retainer[t]] = e
    for i in range(node_count):
        first_retainer[i] = first_retainer[i + 1]
    first_retainer[node_count] = edge_count
    return first_retainer, retainer_edge


@njit(cache=True, nogil=True)
def mark_edge_names(edge_type, edge_name, wanted_type, mark):
    """``mark[name] = True`` for the name of every edge of ``wanted_type``: numpy's
    ``mark[edge_name[edge_type == t]] = True`` takes a second on 40M edges (the boolean
    selection) and a temporary of four bytes per selected edge."""
    for e in range(edge_type.shape[0]):
        if edge_type[e] == wanted_type:
            mark[edge_name[e]] = True
    return mark


@njit(cache=True, nogil=True)
def nodes_of_type_named(node_type, node_name, wanted_type, name_mask):
    """Ordinals (int32, ascending) of the nodes of ``wanted_type`` whose name string is set in ``name_mask``:
    numpy's ``flatnonzero((node_type == t) & mask[node_name])`` makes three boolean arrays of n and an int64
    result on the way, 56 MB on 14M nodes while the dominator tree holds the load's peak beside it."""
    count = 0
    for v in range(node_type.shape[0]):
        if node_type[v] == wanted_type and name_mask[node_name[v]]:
            count += 1
    out = np.empty(count, dtype=np.int32)
    k = 0
    for v in range(node_type.shape[0]):
        if node_type[v] == wanted_type and name_mask[node_name[v]]:
            out[k] = v
            k += 1
    return out


@njit(cache=True, nogil=True, inline="always")
def bisect_edge(first_edge, e, lo, hi):
    """The node whose edge range holds edge ``e``, given first_edge[lo] <= e < first_edge[hi]."""
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if first_edge[mid] <= e:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def edge_owner(first_edge, e):
    """In compiled code: the node whose edge range holds edge ``e`` (a binary search)."""
    return bisect_edge(first_edge, e, 0, first_edge.shape[0] - 1)


@njit(cache=True, nogil=True)
def edges_of(first_edge, nodes):
    """All edge ordinals of the given nodes, in order."""
    total = 0
    for k in range(nodes.shape[0]):
        v = nodes[k]
        total += first_edge[v + 1] - first_edge[v]
    out = np.empty(total, dtype=np.int64)
    i = 0
    for k in range(nodes.shape[0]):
        v = nodes[k]
        for e in range(first_edge[v], first_edge[v + 1]):
            out[i] = e
            i += 1
    return out


@njit(cache=True, nogil=True)
def ephemeron_part(name, marks, names, parts):
    """The WeakMap pair an internal edge named ``name`` belongs to, or -1 (see ``EphemeronNames``)."""
    if not (marks[name >> 3] >> (name & 7)) & 1:
        return -1
    lo = 0
    hi = names.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if names[mid] < name:
            lo = mid + 1
        else:
            hi = mid
    return parts[lo]
