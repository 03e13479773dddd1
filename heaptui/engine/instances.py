"""Every class's instances in the Summary's order, as one index built once.

Expanding a class with half a million instances must show its first rows at
once, so the instances are not searched for on expansion: a counting sort by
class, then a sort by retained size (largest first, then by id, as DevTools
orders a class's instances) within each class, gives every class its slice.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def class_instances_index(class_id, class_count, shallow, retained, node_id):
    """(first, order): class c's counted objects are order[first[c]:first[c + 1]], Summary order."""
    first = np.zeros(class_count + 1, dtype=np.int64)
    n = class_id.shape[0]
    for v in range(n):
        if shallow[v] > 0:
            first[class_id[v] + 1] += 1
    for c in range(class_count):
        first[c + 1] += first[c]
    order = np.empty(first[class_count], dtype=np.int32)
    fill = first[:-1].copy()
    for v in range(n):
        if shallow[v] > 0:
            c = class_id[v]
            order[fill[c]] = v
            fill[c] += 1
    for c in range(class_count):
        a = first[c]
        b = first[c + 1]
        if b - a < 2:
            continue
        segment = order[a:b].copy()
        by_id = np.argsort(node_id[segment], kind="mergesort")
        segment = segment[by_id]
        by_size = np.argsort(-retained[segment], kind="mergesort")
        order[a:b] = segment[by_size]
    return first, order
