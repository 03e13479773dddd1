"""The Comparison view: two snapshots of one process, matched by node id, class by class.

DevTools' rules (``aggregatesForDiff``, ``calculateSnapshotDiff``):

* The base snapshot's objects are grouped under the classes the *newer*
  snapshot's interface definitions give them, so that inferred names such as
  ``{url, date}`` line up between the two.
* Classes are matched by DevTools' public class key (``,Name`` or
  ``script,line,column,Name``); within a class, objects with the same id are
  the same object. An object whose class changed (a property was added) is
  deleted from one class and new in the other.
* Only objects with a shallow size count, as in the Summary.
* ``# New``/``Alloc. Size``: objects of the newer snapshot the base lacks;
  ``# Deleted``/``Freed Size``: objects of the base the newer one lacks.
* Rows are sorted by ``Alloc. Size``, largest first, then by name (rows equal
  in both keep DevTools' diff order: the base's classes first); a class
  lists its new objects, then its deleted ones, each by shallow size
  (largest first), then by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .classes import ClassInfo, classify
from .jit import kernel
from .jsnames import js_sort_key
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot

# Of the objects found in both snapshots by id, at least this share must have
# the same class for the two to be taken for snapshots of one process.
SAME_PROCESS_AGREEMENT = 0.8
AGREEMENT_SAMPLE = 200_000


@dataclass(frozen=True)
class ClassDiff:
    """A Comparison row: one class's new and deleted objects."""

    key: str
    info: ClassInfo
    new_count: int
    deleted_count: int
    alloc_size: int
    freed_size: int

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def delta(self) -> int:
        return self.new_count - self.deleted_count

    @property
    def size_delta(self) -> int:
        return self.alloc_size - self.freed_size

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {"name": self.info.name}
        if self.info.location is not None:
            row["location"] = self.info.location_text
        row.update(new=self.new_count, deleted=self.deleted_count, delta=self.delta, alloc_size=self.alloc_size,
                   freed_size=self.freed_size, size_delta=self.size_delta)
        return row


@dataclass(frozen=True)
class BaseClasses:
    """The base snapshot's classes as the newer snapshot's interface definitions name them."""

    class_id: np.ndarray
    classes: list[ClassInfo]


@dataclass
class Comparison:
    """``snapshot`` compared with ``base``: rows in DevTools' default order, and their objects."""

    base: Snapshot
    snapshot: Snapshot
    rows: list[ClassDiff]
    warnings: list[str]
    # Per row (same order as ``rows``): the new objects (nodes of ``snapshot``) and the deleted ones
    # (nodes of ``base``), as CSR slices of two arrays.
    _new_first: np.ndarray = field(repr=False)
    _new_nodes: np.ndarray = field(repr=False)
    _deleted_first: np.ndarray = field(repr=False)
    _deleted_nodes: np.ndarray = field(repr=False)

    def new_objects(self, row: int) -> np.ndarray:
        """Nodes of the newer snapshot new in this row's class: largest shallow size first, then by id."""
        nodes = self._new_nodes[self._new_first[row]:self._new_first[row + 1]]
        return _by_size_then_id(self.snapshot, nodes)

    def deleted_objects(self, row: int) -> np.ndarray:
        """Nodes of the base snapshot deleted from this row's class, in the same order."""
        nodes = self._deleted_nodes[self._deleted_first[row]:self._deleted_first[row + 1]]
        return _by_size_then_id(self.base, nodes)

    @cached_property
    def totals(self) -> ClassDiff:
        """All rows added up (``size_delta`` is the growth ``--fail-on-growth`` checks)."""
        return ClassDiff("", ClassInfo("Total"), sum(r.new_count for r in self.rows),
                         sum(r.deleted_count for r in self.rows), sum(r.alloc_size for r in self.rows),
                         sum(r.freed_size for r in self.rows))

    def to_json(self) -> dict[str, object]:
        return {
            "base": self.base.describe(),
            "snapshot": self.snapshot.describe(),
            "warnings": self.warnings,
            "total": {k: v for k, v in self.totals.to_json().items() if k != "name"},
            "classes": [row.to_json() for row in self.rows],
        }


def _by_size_then_id(s: Snapshot, nodes: np.ndarray) -> np.ndarray:
    order = np.lexsort((s.node_id[nodes], -s.shallow[nodes].astype(np.int64)))
    return nodes[order]


def base_classes(base: Snapshot, snapshot: Snapshot) -> BaseClasses:
    """``aggregatesForDiff``: the base's classes under the newer snapshot's interface definitions."""
    if base.interfaces == snapshot.interfaces:
        return BaseClasses(base.class_id, base.classes)
    # Names the newer snapshot's definitions give may be new to the base: they go to a fork of its string table,
    # since the base snapshot, which other threads read, never changes after loading.
    class_id, classes, _ = classify(base.strings.fork(), base.meta, base.types.object, base.types.property_edge,
                                    base.node_type, base.node_name, base.first_edge, base.edge_type,
                                    base.edge_name, base.locations, definitions=list(snapshot.interfaces))
    return BaseClasses(class_id, classes)


_match_sorted = kernel("compare", "_match_sorted")


def _keyed_ids(key_of_class: np.ndarray, class_id: np.ndarray, node_id: np.ndarray,
               nodes: np.ndarray) -> np.ndarray:
    """(class key index << 32 | node id) for ``nodes``: one sortable number per (class, id) pair."""
    return (key_of_class[class_id[nodes]].astype(np.int64) << 32) | node_id[nodes].astype(np.int64)


def _diff_key_rank(keys: np.ndarray, base_node_key: np.ndarray, node_key: np.ndarray) -> dict[int, tuple[int, int]]:
    """Where each of ``keys`` sits in DevTools' diff, which orders the rows equal in size and name.

    ``calculateSnapshotDiff`` lists the base's class keys first, in the order of
    its aggregates (first counted object in the base's node order), then the
    keys only the newer snapshot has, in its own aggregates' order. The node key
    arrays are per counted node (shallow size > 0), in node order.
    """
    rank: dict[int, tuple[int, int]] = {}
    for side, node_keys in ((0, base_node_key), (1, node_key)):
        where = np.flatnonzero(np.isin(node_keys, keys))
        found, first = np.unique(node_keys[where], return_index=True)
        for key, position in zip(found.tolist(), where[first].tolist()):
            rank.setdefault(key, (side, position))
    return rank


def compare(base: Snapshot, snapshot: Snapshot, *, progress: ProgressCallback | None = None) -> Comparison:
    """DevTools' Comparison of ``snapshot`` against ``base`` (``calculateSnapshotDiff``).

    ``progress`` is called between the steps (numpy sorts of every object are one step each); a callback
    that raises :class:`~heaptui.engine.errors.Cancelled` stops the work, the snapshots unchanged.
    """
    report = progress or no_progress
    steps = 5
    report("comparing", 0, steps)
    old = base_classes(base, snapshot)
    keys: dict[str, int] = {}
    infos: list[ClassInfo] = []
    for info in (*snapshot.classes, *old.classes):
        if info.key not in keys:
            keys[info.key] = len(infos)
            infos.append(info)
    new_key = np.array([keys[c.key] for c in snapshot.classes], dtype=np.int64)
    old_key = np.array([keys[c.key] for c in old.classes], dtype=np.int64)

    new_nodes = np.flatnonzero(snapshot.shallow > 0).astype(np.int32)
    old_nodes = np.flatnonzero(base.shallow > 0).astype(np.int32)
    report("comparing", 1, steps)
    new_pairs = _keyed_ids(new_key, snapshot.class_id, snapshot.node_id, new_nodes)
    old_pairs = _keyed_ids(old_key, old.class_id, base.node_id, old_nodes)
    report("comparing", 2, steps)
    new_order = np.argsort(new_pairs, kind="stable")
    old_order = np.argsort(old_pairs, kind="stable")
    report("comparing", 3, steps)
    new_matched = np.zeros(new_nodes.shape[0], dtype=np.bool_)
    old_matched = np.zeros(old_nodes.shape[0], dtype=np.bool_)
    _match_sorted(new_pairs[new_order], old_pairs[old_order], new_matched, old_matched)
    added = new_order[~new_matched]  # positions in new_nodes, grouped by class key (sorted pairs)
    removed = old_order[~old_matched]
    added_key = new_key[snapshot.class_id[new_nodes[added]]]
    removed_key = old_key[old.class_id[old_nodes[removed]]]
    k = len(infos)
    new_count = np.bincount(added_key, minlength=k)
    deleted_count = np.bincount(removed_key, minlength=k)
    alloc = np.bincount(added_key, weights=snapshot.shallow[new_nodes[added]], minlength=k)
    freed = np.bincount(removed_key, weights=base.shallow[old_nodes[removed]], minlength=k)

    report("comparing", 4, steps)
    changed = np.flatnonzero((new_count > 0) | (deleted_count > 0))
    rows = [ClassDiff(infos[c].key, infos[c], int(new_count[c]), int(deleted_count[c]), int(alloc[c]),
                      int(freed[c])) for c in changed]
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].alloc_size, js_sort_key(rows[i].name)))
    tied = {j for a, b in zip(order, order[1:])
            if (rows[a].alloc_size, rows[a].name) == (rows[b].alloc_size, rows[b].name) for j in (a, b)}
    if tied:
        rank = _diff_key_rank(changed[sorted(tied)], old_key[old.class_id[old_nodes]],
                              new_key[snapshot.class_id[new_nodes]])
        order.sort(key=lambda i: (-rows[i].alloc_size, js_sort_key(rows[i].name), rank.get(int(changed[i]), (2, 0))))
    rows = [rows[i] for i in order]
    row_keys = changed[order]
    new_first, new_list = _slices(row_keys, added_key, new_nodes[added])
    deleted_first, deleted_list = _slices(row_keys, removed_key, old_nodes[removed])
    warnings = comparison_warnings(base, snapshot, old_key[old.class_id], new_key[snapshot.class_id])
    report("comparing", steps, steps)
    return Comparison(base, snapshot, rows, warnings, new_first, new_list, deleted_first, deleted_list)


def _slices(row_keys: np.ndarray, node_key: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ``nodes`` (already grouped by key, keys ascending) by row: CSR offsets and the nodes."""
    row_of_key = np.full(int(max(row_keys.max(initial=-1), node_key.max(initial=-1))) + 1, -1, dtype=np.int64)
    row_of_key[row_keys] = np.arange(row_keys.shape[0])
    rows = row_of_key[node_key]
    order = np.argsort(rows, kind="stable")
    first = np.zeros(row_keys.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=row_keys.shape[0]), out=first[1:])
    return first, nodes[order].astype(np.int32)


def comparison_warnings(base: Snapshot, snapshot: Snapshot, base_key: np.ndarray, key: np.ndarray) -> list[str]:
    """Why the Comparison may be meaningless: other formats, other processes, or the wrong order.

    Ids are only comparable within one process. Two processes reuse the same
    small ids for unrelated objects, so among the objects found in both
    snapshots by id, few have the same class; within one process nearly all do.
    """
    warnings = []
    if base.meta.node_fields != snapshot.meta.node_fields or base.meta.node_types != snapshot.meta.node_types:
        warnings.append(f"{base.path} and {snapshot.path} have different snapshot formats "
                        "(different V8 versions or programs): the comparison may be meaningless")
    step = max(1, base.node_count // AGREEMENT_SAMPLE)
    sample = np.arange(0, base.node_count, step)
    ids, order = snapshot.ids_sorted
    where = np.minimum(np.searchsorted(ids, base.node_id[sample]), max(ids.shape[0] - 1, 0))
    found = ids[where] == base.node_id[sample] if ids.shape[0] else np.zeros(sample.shape[0], dtype=np.bool_)
    if not found.any():
        warnings.append(f"{base.path} and {snapshot.path} share no object ids: "
                        "they come from different processes and cannot be compared")
        return warnings
    same = base_key[sample[found]] == key[order[where[found]]]
    agreement = float(same.mean())
    if agreement < SAME_PROCESS_AGREEMENT:
        warnings.append(f"{base.path} and {snapshot.path} look like snapshots of different processes "
                        f"(only {agreement:.0%} of the objects with the same id have the same class): "
                        "the comparison is not meaningful")
    elif snapshot.max_js_node_id < base.max_js_node_id:
        warnings.append(f"{snapshot.path} is older than its base {base.path} (its newest object id is lower): "
                        "new and deleted are swapped")
    return warnings


def series_warnings(snapshots: list[Snapshot]) -> list[str]:
    """:func:`comparison_warnings` for each snapshot against the one before it."""
    warnings: list[str] = []
    for base, snapshot in zip(snapshots, snapshots[1:]):
        keys: dict[str, int] = {}
        base_key = np.array([keys.setdefault(c.key, len(keys)) for c in base.classes], dtype=np.int64)
        key = np.array([keys.setdefault(c.key, len(keys)) for c in snapshot.classes], dtype=np.int64)
        warnings += comparison_warnings(base, snapshot, base_key[base.class_id], key[snapshot.class_id])
    return warnings


__all__ = ["BaseClasses", "ClassDiff", "Comparison", "base_classes", "compare", "comparison_warnings",
           "series_warnings"]
