"""The compiled kernels of :mod:`heaptui.engine.classes` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..classes import _K1, _K2, _M1, _M2, MAX_INTERFACE_NAME_LENGTH
from . import njit


@njit(cache=True, nogil=True, inline="always")
def _splitmix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _mark_property_names(plain, first_edge, edge_type, edge_name, property_edge, mark):
    for k in range(plain.shape[0]):
        v = plain[k]
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_edge:
                mark[edge_name[e]] = 1


@njit(cache=True, nogil=True)
def _candidate_hashes(plain, first_edge, edge_type, edge_name, property_edge, is_proto, name_length, hashes):
    """Per plain object, a 128-bit hash of the property list its interface name would show.

    Mirrors ``inferInterfaceDefinitions``: property edges in order, ``__proto__``
    skipped, stopping once the name would pass 120 UTF-16 units. Returns a
    byte per object, 0 when it has no such property.
    """
    has = np.zeros(plain.shape[0], dtype=np.uint8)
    for k in range(plain.shape[0]):
        v = plain[k]
        length = 1
        h1 = np.uint64(1)
        h2 = np.uint64(2)
        count = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] != property_edge:
                continue
            s = edge_name[e]
            if is_proto[s]:
                continue
            f = name_length[s]
            if length > 1 and length + f > MAX_INTERFACE_NAME_LENGTH:
                break
            if length != 1:
                length += 2
            length += f
            x = np.uint64(s)
            h1 = _splitmix(h1 + x + _K1)
            h2 = _splitmix(h2 ^ (x * _K2 + _K1))
            count += 1
        if count:
            has[k] = 1
            hashes[k, 0] = h1
            hashes[k, 1] = _splitmix(h2 + np.uint64(count))
    return has


@njit(cache=True, nogil=True)
def _property_set_hashes(plain, first_edge, edge_type, edge_name, property_edge, rank, hashes):
    """Per plain object, a 128-bit hash of the set of its property names (by JS order rank).

    Each name's mix is added up, so the hash does not depend on the order the
    properties come in and nothing needs sorting (numba's sort alone would
    take seconds to compile).
    """
    for k in range(plain.shape[0]):
        v = plain[k]
        count = 0
        h1 = np.uint64(3)
        h2 = np.uint64(4)
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_edge:
                x = np.uint64(rank[edge_name[e]])
                h1 += _splitmix(x + _K1)
                h2 += _splitmix((x * _K2) ^ _K1)
                count += 1
        hashes[k, 0] = _splitmix(h1)
        hashes[k, 1] = _splitmix(h2 + np.uint64(count))


@njit(cache=True, nogil=True)
def class_counts(class_id, class_count, shallow, distances, mask):
    """Per class: count, smallest distance and shallow size of its counted objects.

    Only nodes with a shallow size count (and, when ``mask`` is not empty, only
    masked ones), as in DevTools' Summary.
    """
    use_mask = mask.shape[0] > 0
    count = np.zeros(class_count, dtype=np.int64)
    self_total = np.zeros(class_count, dtype=np.int64)
    distance = np.full(class_count, np.iinfo(np.int32).max, dtype=np.int64)
    for v in range(class_id.shape[0]):
        if shallow[v] == 0 or (use_mask and not mask[v]):
            continue
        c = class_id[v]
        count[c] += 1
        self_total[c] += shallow[v]
        if distances[v] < distance[c]:
            distance[c] = distances[v]
    return count, distance, self_total


@njit(cache=True, nogil=True)
def class_retained_sizes(class_id, class_count, shallow, retained, dominator, root, mask, spare):
    """Per class, DevTools' ``calculateClassesRetainedSize``.

    ``spare``, an int32 array of at least n - 1 nobody needs any more (a load's
    DFS order), holds the dominator tree's children lists; when it is too
    short (empty) they get an array of their own.

    A class's retained size adds the retained sizes of its counted objects that
    no other counted object of the same class dominates, so nothing is counted
    twice. A depth-first walk of the dominator tree keeps a flag per class
    while inside the subtree of a counted object of that class.
    """
    use_mask = mask.shape[0] > 0
    first, children = dominated_nodes(dominator, root, spare)
    total = np.zeros(class_count, dtype=np.int64)
    seen = np.zeros(class_count, dtype=np.uint8)
    # The stack grows on demand: dominator trees are wide, so it stays far below 2n.
    stack = np.empty(1 << 16, dtype=np.int32)
    top = 0
    stack[top] = root + 1
    top += 1
    while top > 0:
        top -= 1
        item = stack[top]
        if item < 0:
            seen[class_id[-item - 1]] = 0
            continue
        v = item - 1
        c = class_id[v]
        begin = first[v]
        end = first[v + 1]
        if top + (end - begin) + 1 >= stack.shape[0]:
            bigger = np.empty(2 * (top + (end - begin) + 1), dtype=np.int32)
            for i in range(top):  # a loop: a slice copy's shape check costs seconds of compiling
                bigger[i] = stack[i]
            stack = bigger
        if not seen[c] and shallow[v] > 0 and (not use_mask or mask[v]):
            total[c] += retained[v]
            if begin != end:
                seen[c] = 1
                stack[top] = -item
                top += 1
        for i in range(begin, end):
            stack[top] = children[i] + 1
            top += 1
    return total


@njit(cache=True, nogil=True)
def dominated_nodes(dominator, root, spare):
    """Children of each node in the dominator tree, as a CSR (two arrays, no scratch); the children in ``spare``
    when it is long enough."""
    n = dominator.shape[0]
    first = np.zeros(n + 1, dtype=np.int32)
    for v in range(n):
        if v != root:
            first[dominator[v] + 1] += 1
    for i in range(n):
        first[i + 1] += first[i]
    children = spare[: max(n - 1, 0)] if spare.shape[0] >= n - 1 else np.empty(max(n - 1, 0), dtype=np.int32)
    # Fill using first[d] as d's cursor, then shift the offsets back by one slot.
    for v in range(n):
        if v != root:
            d = dominator[v]
            children[first[d]] = v
            first[d] += 1
    for i in range(n, 0, -1):
        first[i] = first[i - 1]
    first[0] = 0
    return first, children


@njit(cache=True, nogil=True)
def _mark_named(node_type, node_name, type_class, used):
    """Mark the names used by object and native nodes (``type_class`` -1)."""
    for v in range(node_type.shape[0]):
        if type_class[node_type[v]] < 0:
            used[node_name[v]] = 1


@njit(cache=True, nogil=True)
def remap_in_place(values, lut):
    """``values[i] = lut[values[i]]`` for every i, with no temporary: numpy's ``take(out=values)`` buffers a copy
    of ``values`` and a wide copy of the indices (three arrays of n more at the load's peak)."""
    for i in range(values.shape[0]):
        values[i] = lut[values[i]]
    return values


@njit(cache=True, nogil=True)
def _class_strings(node_type, node_name, type_class, remap):
    """A class-name string index per node: the type's fixed class, or the (remapped) name."""
    out = np.empty(node_type.shape[0], dtype=np.int32)
    for v in range(node_type.shape[0]):
        fixed = type_class[node_type[v]]
        out[v] = remap[node_name[v]] if fixed < 0 else fixed
    return out
