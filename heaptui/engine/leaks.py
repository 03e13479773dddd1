"""The three-snapshot leak report: what was allocated between the first two and is still alive in the last.

The technique memlab automates: take a *baseline* snapshot, do the action
under suspicion, take a *target* snapshot, undo the action (or repeat it),
take a *final* one. Objects new in the target (ids it has and the baseline
lacks) that the final snapshot still holds are leak candidates. In the final
snapshot each is followed along its shortest retainer path to a GC root, and
candidates whose paths look alike (element indices and repeated links left
out) form a cluster. A cluster's retained size adds the retained sizes of its
candidates that no other candidate dominates, so nothing is counted twice.

Only objects a program allocates count as candidates: JS objects, arrays,
closures, regexps and detached DOM nodes. Strings, numbers, code, hidden
system objects and shapes come and go with them and show in their retained
sizes, not as clusters of their own. Candidates whose shortest path runs
through compiled code or V8's hidden system objects (allocation sites,
inline caches, template caches) are held by the engine, not by the program,
and are counted apart (``held_by_v8``), as memlab leaves them out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .compare import series_warnings
from .format import BASE_UNREACHABLE_DISTANCE
from .growth import GrowingCollection, growing_collections
from .jit import kernel
from .progress import ProgressCallback, no_progress
from .retainer_paths import NO_CANDIDATES, PathStep, path_of, path_steps, path_text, shortest_paths
from .snapshot import Snapshot

CANDIDATE_TYPES = ("object", "closure", "array", "regexp")
# Numbered edges (element, hidden) differ only by index between objects of one cluster.
ANY_INDEX = -1
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class LeakCluster:
    """Leaked objects whose shortest retainer paths look alike."""

    path: tuple[PathStep, ...]  # from the node nearest a GC root down to the leaked objects
    nodes: np.ndarray  # the cluster's leaked objects no other leaked object dominates, largest first
    count: int  # leaked objects in the cluster, dominated ones included
    retained_size: int  # the retained sizes of ``nodes``: every leaked byte once
    classes: dict[str, int]  # leaked objects per class, most first

    @property
    def path_text(self) -> str:
        return path_text(self.path)

    def to_json(self, s: Snapshot) -> dict[str, object]:
        return {
            "path": self.path_text,
            "count": self.count,
            "retained_size": self.retained_size,
            "classes": [{"name": name, "count": count} for name, count in self.classes.items()],
            "objects": [int(s.node_id[v]) for v in self.nodes[:10]],
        }


@dataclass
class LeakReport:
    """Leak clusters of ``final``, from objects allocated between ``baseline`` and ``target``."""

    baseline: Snapshot
    target: Snapshot
    final: Snapshot
    clusters: list[LeakCluster]
    leaked: np.ndarray = field(repr=False)  # every leaked object (nodes of final)
    held_by_v8: int = 0  # candidates left out: only V8's internals (code, caches) hold them
    warnings: list[str] = field(default_factory=list)
    growing: list[GrowingCollection] = field(default_factory=list)

    @property
    def leaked_count(self) -> int:
        return int(self.leaked.shape[0])

    @property
    def retained_size(self) -> int:
        """Bytes the leaked objects hold, each counted once (``--fail-on-growth`` checks this)."""
        return sum(c.retained_size for c in self.clusters)

    def to_json(self) -> dict[str, object]:
        return {
            "snapshots": [s.describe() for s in (self.baseline, self.target, self.final)],
            "warnings": self.warnings,
            "leaked_count": self.leaked_count,
            "held_by_v8": self.held_by_v8,
            "retained_size": self.retained_size,
            "clusters": [c.to_json(self.final) for c in self.clusters],
            "growing_collections": [g.to_json(self.final) for g in self.growing],
        }


# ---------------------------------------------------------------- compiled passes


_owners = kernel("leaks", "_owners")


# ---------------------------------------------------------------- the report


def candidate_mask(s: Snapshot) -> np.ndarray:
    """Objects a program allocates (see the module's docstring), reachable, with a shallow size."""
    wanted = np.zeros(max(len(s.meta.node_types), 1), dtype=np.bool_)
    for name in CANDIDATE_TYPES:
        code = s.meta.node_type(name)
        if code >= 0:
            wanted[code] = True
    mask = wanted[s.node_type] & (s.shallow > 0) & (s.distances < BASE_UNREACHABLE_DISTANCE)
    if s.types.native >= 0:
        native = s.node_type == s.types.native
        detached = np.zeros(len(s.strings), dtype=np.bool_)
        for index in np.unique(s.node_name[native]).tolist():
            detached[index] = s.strings[index].startswith("Detached ")
        mask |= native & detached[s.node_name] & (s.shallow > 0)
    return mask


def new_in(target: Snapshot, baseline: Snapshot, final: Snapshot) -> np.ndarray:
    """A mask over ``final``'s nodes: ids the target has and the baseline lacks.

    Binary searches in the snapshots' sorted ids (sorted once, and kept for lookups by id):
    numpy's unique/isin take seconds per call on ten million ids.
    """
    target_ids = target.ids_sorted[0]
    fresh = target_ids[~_among(target_ids, baseline.ids_sorted[0])]
    return _among(final.node_id, fresh)


def _among(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which ``values`` are in ``sorted_ids`` (ascending)."""
    if sorted_ids.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=np.bool_)
    at = np.minimum(np.searchsorted(sorted_ids, values), sorted_ids.shape[0] - 1)
    return sorted_ids[at] == values


def leak_report(
    baseline: Snapshot, target: Snapshot, final: Snapshot, *, progress: ProgressCallback | None = None
) -> LeakReport:
    """memlab's ``find-leaks`` over three snapshots, with DevTools' retained sizes.

    ``progress`` is called between steps and every few thousand leaked objects clustered; a callback that
    raises :class:`~heaptui.engine.errors.Cancelled` stops the work, the snapshots unchanged.
    """
    report = progress or no_progress
    report("finding leaks", 0, 1)
    s = final
    candidate = candidate_mask(s) & new_in(target, baseline, final)
    leaked = np.flatnonzero(candidate).astype(np.int32)
    owner = _owners(s.dominator, s.root, candidate)
    tops = leaked[owner[leaked] == leaked]
    held_by_v8 = 0
    shapes: dict[int, str] = {}
    groups: dict[tuple, list[int]] = {}
    paths: dict[tuple, tuple[PathStep, ...]] = {}
    tops = tops[np.argsort(-s.retained[tops].astype(np.int64), kind="stable")]  # uint32 would wrap
    first, all_edges, path_top, via_internal = shortest_paths(s, tops, progress)
    for i, v in enumerate(tops.tolist()):
        if not i % _CLUSTER_CHUNK:
            report("clustering leaks", i, tops.shape[0])
        if via_internal[i]:
            held_by_v8 += 1
            continue
        edges = all_edges[first[i] : first[i + 1]]
        start = int(path_top[i])
        key = _signature(s, start, edges, shapes)
        if key not in groups:
            groups[key] = []
            paths[key] = path_steps(s, start, v, edges, candidate)
        groups[key].append(v)
    # Dominated candidates belong to the cluster of the candidate that dominates them: count
    # (cluster, class) pairs with numpy, not a Python loop per leaked object.
    keys = list(groups)
    cluster_of = np.full(s.node_count, -1, dtype=np.int64)
    for c, key in enumerate(keys):
        cluster_of[groups[key]] = c
    cluster = cluster_of[owner[leaked]]
    kept = cluster >= 0
    pairs, pair_counts = np.unique(
        np.stack([cluster[kept], s.class_id[leaked][kept].astype(np.int64)]), axis=1, return_counts=True
    )
    counts: dict[tuple, Counter[str]] = {key: Counter() for key in groups}
    for (c, class_index), count in zip(pairs.T.tolist(), pair_counts.tolist()):
        counts[keys[c]][s.classes[class_index].name] += count
    clusters = []
    for key, members in groups.items():
        nodes = np.array(members, dtype=np.int32)
        by_class = counts[key]
        clusters.append(
            LeakCluster(
                paths[key], nodes, sum(by_class.values()), int(s.retained[nodes].sum()), dict(by_class.most_common())
            )
        )
    clusters.sort(key=lambda c: (-c.retained_size, -c.count, c.path_text))
    series = [baseline, target, final]
    report("growing collections", 0, 1)
    growing = growing_collections(series)
    report("growing collections", 1, 1)
    return LeakReport(baseline, target, final, clusters, leaked, held_by_v8, series_warnings(series), growing)


@dataclass(frozen=True)
class LargeObject:
    """One of the objects with the largest retained sizes, and how it is held."""

    node: int
    path: tuple[PathStep, ...]

    def to_json(self, s: Snapshot) -> dict[str, object]:
        return {**s.node_json(self.node), "path": path_text(self.path)}


def largest_objects(s: Snapshot, count: int) -> list[LargeObject]:
    """The ``count`` objects with the largest retained sizes (the root and synthetic nodes left out)."""
    eligible = s.node_type != s.types.synthetic
    eligible[s.root] = False
    nodes = np.flatnonzero(eligible)
    k = min(count, nodes.shape[0])
    if k == 0:
        return []
    best = nodes[np.argpartition(-s.retained[nodes].astype(np.int64), k - 1)[:k]]  # uint32 would wrap
    best = best[np.lexsort((s.node_id[best], -s.retained[best].astype(np.int64)))]
    first, edges, top, _ = shortest_paths(s, best)
    return [
        LargeObject(int(v), path_steps(s, int(top[i]), int(v), edges[first[i] : first[i + 1]], NO_CANDIDATES))
        for i, v in enumerate(best.tolist())
    ]


_CLUSTER_CHUNK = 4096


def _edge_key(s: Snapshot, e: int, shapes: dict[int, str]) -> tuple[int, str]:
    """An edge's name with its numbers left out: ``[3]``, ``"132"`` (a hash table slot) and
    ``session-10`` (a key of an object used as a dictionary) differ only by a number
    between objects of one cluster."""
    t = int(s.edge_type[e])
    if s.numbered_edge[t]:
        return t, "#"
    index = int(s.edge_name[e])
    shape = shapes.get(index)
    if shape is None:
        shape = shapes[index] = _DIGITS.sub("#", s.strings[index])
    return t, shape


def _signature(s: Snapshot, start: int, edges: np.ndarray, shapes: dict[int, str]) -> tuple:
    """The path's shape: edges (numbers left out) and classes, runs of one repeated hop kept once."""
    hops: list[tuple] = [(int(s.class_id[start]),)]
    for e in edges.tolist():
        hop = (*_edge_key(s, e, shapes), int(s.class_id[int(s.edge_to[e])]))
        if hop != hops[-1]:
            hops.append(hop)
    return tuple(hops)


__all__ = [
    "LargeObject",
    "LeakCluster",
    "LeakReport",
    "PathStep",
    "candidate_mask",
    "largest_objects",
    "leak_report",
    "new_in",
    "path_of",
    "path_text",
    "shortest_paths",
]
