"""Every class's instances in the Summary's order, as one index built once.

Expanding a class with half a million instances must show its first rows at
once, so the instances are not searched for on expansion: a counting sort by
class, then a sort by retained size (largest first, then by id, as DevTools
orders a class's instances) within each class, gives every class its slice.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel
from .progress import ProgressCallback, no_progress

_group_by_class = kernel("instances", "_group_by_class")


def class_instances_index(class_id: np.ndarray, class_count: int, shallow: np.ndarray, retained: np.ndarray,
                          node_id: np.ndarray, progress: ProgressCallback | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(first, order): class c's counted objects are order[first[c]:first[c + 1]], Summary order.

    Two stable sorts in numpy (by id, then by retained size, largest first)
    and a stable counting sort by class in one compiled pass: every class's
    slice comes out ordered by retained size, then id.
    """
    report = progress or no_progress
    report("instances", 0, 3)
    counted = np.flatnonzero(shallow > 0).astype(np.int32)
    counted = counted[np.argsort(node_id[counted], kind="stable")]
    report("instances", 1, 3)
    counted = counted[np.argsort(-retained[counted].astype(np.int64), kind="stable")]
    report("instances", 2, 3)
    index = _group_by_class(class_id, class_count, counted)
    report("instances", 3, 3)
    return index
