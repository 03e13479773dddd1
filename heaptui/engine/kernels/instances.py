"""The compiled kernels of :mod:`heaptui.engine.instances` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from . import njit


@njit(cache=True, nogil=True)
def _group_by_class(class_id, class_count, nodes):
    """A stable counting sort of ``nodes`` by class: (first, order), class c's slice first[c]:first[c + 1].

    ``class_id`` may be uint8 or uint16 (see ``classes.class_id_dtype``): the id is widened before adding one, which
    a uint8 255 would otherwise wrap to 0 (run as Python, numpy keeps a scalar's type).
    """
    first = np.zeros(class_count + 1, dtype=np.int64)
    for v in nodes:
        first[np.int64(class_id[v]) + 1] += 1
    for c in range(class_count):
        first[c + 1] += first[c]
    order = np.empty(nodes.shape[0], dtype=np.int32)
    fill = first[:-1].copy()
    for v in nodes:
        c = class_id[v]
        order[fill[c]] = v
        fill[c] += 1
    return first, order
