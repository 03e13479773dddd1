"""Collections that grow in every snapshot of a series: memlab's unbound-collection check.

An object is followed across the series by its node id (V8 keeps an object's
id for its lifetime). Its element count in each snapshot is read from the
edges V8 writes for it:

* ``Array``: its ``element`` edges (V8 repeats them on the ``elements`` backing
  store, which is not counted again);
* ``Map`` and ``Set``: the ``internal`` edges of the hash table its ``table``
  edge points to, but ``map``; a Map entry has two (key and value), a Set
  entry one;
* any other object: its ``property`` edges but ``__proto__`` (an object used
  as a dictionary keeps its keys as properties, also in dictionary mode).

Small integers have no node and so no edge: a collection of numbers is not
seen growing. A collection is reported when its count rises at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jit import kernel
from .retainer_paths import PathStep, path_of, path_text
from .snapshot import Snapshot

ARRAY, MAP, SET, OBJECT = 0, 1, 2, 3
KIND_NAMES = ("Array", "Map", "Set", "Object")


@dataclass(frozen=True)
class GrowingCollection:
    """A collection whose element count rose in every step of the series."""

    node: int  # in the last snapshot
    kind: str  # Array, Map, Set or Object
    sizes: tuple[int, ...]  # element count per snapshot
    retained_sizes: tuple[int, ...]  # retained size per snapshot
    path: tuple[PathStep, ...]  # shortest retainer path in the last snapshot

    def to_json(self, s: Snapshot) -> dict[str, object]:
        return {"id": int(s.node_id[self.node]), "kind": self.kind, "class": s.class_name(self.node),
                "sizes": list(self.sizes), "retained_sizes": list(self.retained_sizes), "path": path_text(self.path)}


_element_counts = kernel("growth", "_element_counts")


def _kinds(s: Snapshot, nodes: np.ndarray) -> np.ndarray:
    kinds = np.full(nodes.shape[0], OBJECT, dtype=np.int8)
    names = s.node_name[nodes]
    for kind, name in ((ARRAY, "Array"), (MAP, "Map"), (SET, "Set")):
        kinds[s.strings.mask_of([name])[names]] = kind
    return kinds


def element_counts(s: Snapshot, nodes: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Element counts of ``nodes`` (objects of ``s``), each read as its kind says."""
    return _element_counts(nodes, kinds, s.first_edge, s.edge_type, s.edge_name, s.edge_to, s.types.element_edge,
                           s.types.property_edge, s.types.internal_edge, s.strings.mask_of(["__proto__"]),
                           s.strings.mask_of(["table"]), s.strings.mask_of(["map"]))


def nodes_by_id(s: Snapshot, ids: np.ndarray) -> np.ndarray:
    """The ordinals in ``s`` of the objects with these ids (-1 where ``s`` has none)."""
    sorted_ids, order = s.ids_sorted
    if sorted_ids.shape[0] == 0:
        return np.full(ids.shape[0], -1, dtype=np.int64)
    where = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.shape[0] - 1)
    return np.where(sorted_ids[where] == ids, order[where], -1)


def growing_collections(series: list[Snapshot], limit: int = 50) -> list[GrowingCollection]:
    """Arrays, Maps, Sets and objects of the last snapshot whose element count grew at every step.

    Largest final growth first (then largest retained size). Only objects
    present in every snapshot of the series count; V8's internal objects (held
    only through code or hidden system objects) are left out, as in the leak report.
    """
    if len(series) < 2:
        return []
    last = series[-1]
    nodes = np.flatnonzero(last.node_type == last.types.object).astype(np.int64)
    kinds = _kinds(last, nodes)
    sizes = [element_counts(last, nodes, kinds)]
    alive = sizes[0] > 0
    for s in reversed(series[:-1]):
        there = nodes_by_id(s, last.node_id[nodes])
        found = there >= 0
        counts = np.zeros(nodes.shape[0], dtype=np.int64)
        counts[found] = element_counts(s, there[found].astype(np.int64), kinds[found])
        alive &= found
        sizes.insert(0, counts)
    for earlier, later in zip(sizes, sizes[1:]):
        alive &= earlier < later
    picked = np.flatnonzero(alive)
    growth = sizes[-1][picked] - sizes[0][picked]
    picked = picked[np.lexsort((-last.retained[nodes[picked]].astype(np.int64), -growth))]
    collections: list[GrowingCollection] = []
    for i in picked.tolist():
        v = int(nodes[i])
        path, held_by_v8 = path_of(last, v)
        if held_by_v8:
            continue
        retained = []
        for s in series:
            w = nodes_by_id(s, last.node_id[[v]])[0]
            retained.append(int(s.retained[w]))
        collections.append(GrowingCollection(v, KIND_NAMES[int(kinds[i])], tuple(int(c[i]) for c in sizes),
                                       tuple(retained), path))
        if len(collections) == limit:
            break
    return collections


__all__ = ["GrowingCollection", "element_counts", "growing_collections", "nodes_by_id"]
