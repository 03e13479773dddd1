"""A loaded snapshot: the index every view and command reads, with DevTools' queries.

:func:`heaptui.engine.load.load_snapshot` builds it; afterwards it only answers
questions (a class's rows, an object's retainers, the statistics), each in
DevTools' words and order.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import names
from .classes import ClassInfo, InterfaceDefinition, class_counts, class_retained_sizes
from .ephemerons import EphemeronNames
from .format import BASE_SYSTEM_DISTANCE, Meta, TypeCodes
from .graph import edge_source
from .instances import class_instances_index
from .jsnames import js_sort_key
from .progress import PROGRESS_CHUNK, ProgressCallback, no_progress
from .retainers import RetainerList, retainer_list
from .search_index import SearchIndex, build_search_index
from .statistics import Statistics
from .strings import StringTable


def snapshot_stem(path: str) -> str:
    """A snapshot file's name without ``.heapsnapshot[.gz]`` (``run/s1.heapsnapshot.gz`` -> ``s1``)."""
    return os.path.basename(path).removesuffix(".gz").removesuffix(".heapsnapshot")


# Set after loading, each once and under its own lock: derived indexes built when first asked for.
_LAZY_FIELDS = frozenset({"_instances", "_search_index"})


def max_js_node_id(node_id: np.ndarray) -> int:
    """The largest odd id (V8 gives JavaScript objects odd ids, native ones even ids)."""
    odd = node_id[(node_id & 1) == 1]
    return int(odd.max()) if odd.size else 0


@dataclass(frozen=True)
class ClassRow:
    """A Summary row: one class and its aggregates."""

    class_index: int
    info: ClassInfo
    count: int
    distance: int
    shallow_size: int
    retained_size: int

    @property
    def name(self) -> str:
        return self.info.name

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {
            "name": self.info.name,
            "count": self.count,
            "distance": self.distance,
            "shallow_size": self.shallow_size,
            "retained_size": self.retained_size,
        }
        if self.info.location is not None:
            row["location"] = self.info.location_text
        return row


@dataclass(frozen=True)
class Retainer:
    """One retainer of an object: the edge that holds it and the node it comes from."""

    edge: int
    node: int
    edge_type: str
    edge_name: str
    distance: int  # the retaining node's distance as the Retainers view sorts it


@dataclass
class Snapshot:
    """The in-memory index of one heap snapshot."""

    path: str
    meta: Meta
    types: TypeCodes
    strings: StringTable
    file_size: int
    node_type: np.ndarray
    node_name: np.ndarray
    node_id: np.ndarray
    shallow: np.ndarray
    first_edge: np.ndarray
    node_trace_id: np.ndarray | None
    # A bit per node (bit v & 7 of byte v >> 3): detached, by the file's detachedness after DevTools' propagation
    # (the Detached DOM filter's only question); None when no node is. A byte per node was 14 MB of the 1 GB
    # snapshot's load peak.
    detached: np.ndarray | None
    edge_type: np.ndarray
    edge_name: np.ndarray
    edge_to: np.ndarray
    first_retainer: np.ndarray
    retainer_edge: np.ndarray
    distances: np.ndarray
    dominator: np.ndarray
    retained: np.ndarray
    class_id: np.ndarray
    classes: list[ClassInfo]
    interfaces: list[InterfaceDefinition]
    locations: np.ndarray  # the file's locations section (constructors' source positions)
    statistics: Statistics
    numbered_edge: np.ndarray  # per edge type: element and hidden edges carry an index, not a string
    is_object_name: np.ndarray  # per string: is it "Object"
    ephemerons: EphemeronNames
    summary_rows: list[ClassRow] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    samples: np.ndarray | None = None
    trace_tree: bytes | None = None
    trace_function_infos: np.ndarray | None = None  # int64, flat, trace_function_info_fields per row
    lost: tuple[str, ...] = ()  # what a salvaged load of a truncated file could not recover
    _instances: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _instances_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _search_index: SearchIndex | None = field(default=None, repr=False)
    _search_index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sealed: bool = field(default=False, repr=False)
    _adopt_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------ no change after loading

    def __setattr__(self, name: str, value: object) -> None:
        # Views, commands and worker threads share one Snapshot: once loaded, nothing may change under them.
        if self.__dict__.get("_sealed") and name not in _LAZY_FIELDS:
            raise AttributeError(f"a loaded Snapshot does not change (tried to set {name})")
        object.__setattr__(self, name, value)

    def seal(self) -> Snapshot:
        """Mark the snapshot loaded: from now on only :meth:`adopt_arrays` and its lazy indexes set anything."""
        object.__setattr__(self, "_sealed", True)
        return self

    def adopt_arrays(self, other: Snapshot, names: tuple[str, ...]) -> None:
        """Read ``names`` from ``other``'s arrays from now on: the same index, mapped from the cache file.

        The one change a loaded snapshot allows, because nothing a reader can
        see changes: each array is replaced by one of the same dtype, shape and
        values (the index cache's copy), so only where its pages live changes
        (the cache file rather than the heap, which the kernel can page out).
        A reader holding the old array keeps a valid one. Under a lock, so two
        adoptions never interleave; an array that does not match is refused
        whole, before anything is replaced.
        """
        pairs = [(name, getattr(self, name), getattr(other, name)) for name in names]
        pairs = [(name, mine, theirs) for name, mine, theirs in pairs if mine is not None and theirs is not None]
        for name, mine, theirs in pairs:
            if mine.shape != theirs.shape or mine.dtype != theirs.dtype:
                raise ValueError(f"{name}: the mapped index does not match the loaded one")
        with self._adopt_lock:
            for name, _, theirs in pairs:
                object.__setattr__(self, name, theirs)

    # ------------------------------------------------------------ basics

    @property
    def node_count(self) -> int:
        return int(self.node_type.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.edge_type.shape[0])

    @property
    def root(self) -> int:
        return self.meta.root_ordinal

    @property
    def total_size(self) -> int:
        """DevTools' total: the root's retained size plus the header's extra native bytes."""
        return int(self.retained[self.root]) + self.meta.extra_native_bytes

    @cached_property
    def ids_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """(the node ids sorted, the ordinal of each): for looking objects up by id."""
        order = np.argsort(self.node_id, kind="stable")
        return self.node_id[order], order

    @cached_property
    def max_js_node_id(self) -> int:
        """The newest JavaScript object's id (JS objects have odd ids): DevTools' ``maxJsNodeId``."""
        return max_js_node_id(self.node_id)

    @property
    def stem(self) -> str:
        """The file name without ``.heapsnapshot[.gz]``: how the snapshot list and the allocation windows name it."""
        return snapshot_stem(self.path)

    # ------------------------------------------------------------ questions the views ask

    def child_count(self, v: int) -> int:
        """How many edges leave node ``v`` (its children in the Containment view)."""
        return int(self.first_edge[v + 1] - self.first_edge[v])

    def has_children(self, v: int) -> bool:
        """Whether node ``v`` has an edge to expand."""
        return bool(self.first_edge[v + 1] > self.first_edge[v])

    def retainer_count(self, v: int) -> int:
        """How many edges point at node ``v`` (every kind, weak ones too: what the Retainers pane can expand)."""
        return int(self.first_retainer[v + 1] - self.first_retainer[v])

    def has_retainers(self, v: int) -> bool:
        """Whether any edge points at node ``v``."""
        return bool(self.first_retainer[v + 1] > self.first_retainer[v])

    @property
    def has_timeline(self) -> bool:
        """Whether the file is a recording with samples (a ``.heaptimeline``): what the Timeline view needs."""
        return self.samples is not None and self.samples.size > 0

    @property
    def has_allocation_stacks(self) -> bool:
        """Whether the file records where objects were allocated (``trace_function_infos``): the Allocation view."""
        return self.trace_function_infos is not None and self.trace_function_infos.size > 0

    @property
    def instances_ready(self) -> bool:
        """Whether :meth:`instances_index` has been built (expanding a class is then instant)."""
        return self._instances is not None

    def allocated_between(self, min_id: int, max_id: int, progress: ProgressCallback | None = None) -> np.ndarray:
        """A mask of the objects with ids in (min_id, max_id]: DevTools' "allocated between" filter.

        Computed a few million ids at a time, with ``progress`` called between them (it may cancel).
        """
        ids = self.node_id
        count = ids.shape[0]
        mask = np.empty(count, dtype=np.bool_)
        for start in range(0, count, PROGRESS_CHUNK):
            if progress is not None:
                progress("allocated between", start, count)
            part = ids[start:start + PROGRESS_CHUNK]
            np.logical_and(part > min_id, part <= max_id, out=mask[start:start + PROGRESS_CHUNK])
        if progress is not None:
            progress("allocated between", count, count)
        return mask

    def node_for_id(self, node_id: int) -> int | None:
        """The ordinal of the node with this snapshot id, or None."""
        ids, order = self.ids_sorted
        i = int(np.searchsorted(ids, node_id))
        if i < ids.shape[0] and int(ids[i]) == node_id:
            return int(order[i])
        return None

    def type_name(self, v: int) -> str:
        return self.meta.node_types[int(self.node_type[v])]

    def class_info(self, v: int) -> ClassInfo:
        return self.classes[int(self.class_id[v])]

    def class_name(self, v: int) -> str:
        return self.class_info(v).name

    def name(self, v: int) -> str:
        """The node's display name, as DevTools shows it."""
        return names.node_name(self, v)

    def raw_name(self, v: int) -> str:
        return self.strings[int(self.node_name[v])]

    def edge_name_of(self, e: int) -> str:
        return names.edge_name(self, e)

    def edge_type_name(self, e: int) -> str:
        return self.meta.edge_types[int(self.edge_type[e])]

    def edge_source(self, e: int) -> int:
        return int(edge_source(self.first_edge, e))

    @staticmethod
    def distance_text(distance: int) -> str:
        """DevTools shows only user distances; system and unreachable ones are a dash."""
        return str(distance) if 0 <= distance < BASE_SYSTEM_DISTANCE else "-"

    # ------------------------------------------------------------ summary

    def summary(self, mask: np.ndarray | None = None, progress: ProgressCallback | None = None) -> list[ClassRow]:
        """Summary rows (classes with at least one counted object), largest retained size first.

        ``mask`` (a byte per node) restricts the objects counted, as DevTools'
        Summary filters do; without it the rows computed at load are returned.
        """
        if mask is None and self.summary_rows:
            return self.summary_rows
        report = progress or no_progress
        report("summary", 0, 2)
        flags = np.empty(0, dtype=np.uint8) if mask is None else mask.astype(np.uint8)
        retained = class_retained_sizes(self.class_id, len(self.classes), self.shallow, self.retained,
                                        self.dominator, self.root, flags, np.empty(0, dtype=np.int32))
        report("summary", 1, 2)
        rows = self.summary_from(retained, flags)
        report("summary", 2, 2)
        return rows

    def summary_from(self, class_retained: np.ndarray, flags: np.ndarray) -> list[ClassRow]:
        """Summary rows given the classes' retained sizes (computed before distances at load)."""
        counts, distances, shallow = class_counts(self.class_id, len(self.classes), self.shallow, self.distances,
                                                  flags)
        return self.rows_from(counts, distances, shallow, class_retained, flags)

    def rows_from(self, counts: np.ndarray, distances: np.ndarray, shallow: np.ndarray,
                  class_retained: np.ndarray, flags: np.ndarray | None = None) -> list[ClassRow]:
        """Summary rows from per-class columns, in the Summary's order.

        DevTools sorts by retained size, then name; rows equal in both (one class
        name at two locations) keep the order of its aggregates, i.e. where each
        class's first counted object (shallow size > 0, passing ``flags``) is in
        the file. That is only looked up for such ties, which are rare.
        """
        rows = [
            ClassRow(int(c), self.classes[c], int(counts[c]), int(distances[c]), int(shallow[c]),
                     int(class_retained[c]))
            for c in np.flatnonzero(counts)
        ]
        rows.sort(key=lambda r: (-r.retained_size, js_sort_key(r.name)))
        tied = [i for i in range(1, len(rows)) if (rows[i].retained_size, rows[i].name) ==
                (rows[i - 1].retained_size, rows[i - 1].name)]
        if tied:
            first = self._first_counted(sorted({rows[i].class_index for i in tied} |
                                               {rows[i - 1].class_index for i in tied}), flags)
            rows.sort(key=lambda r: (-r.retained_size, js_sort_key(r.name), first.get(r.class_index, -1)))
        return rows

    def _first_counted(self, classes: list[int], flags: np.ndarray | None) -> dict[int, int]:
        """Per class of ``classes``: its first node in file order that the Summary counts."""
        counted = np.isin(self.class_id, np.asarray(classes, dtype=self.class_id.dtype)) & (self.shallow > 0)
        if flags is not None and flags.shape[0]:
            counted &= flags.astype(np.bool_)
        nodes = np.flatnonzero(counted)
        found, where = np.unique(self.class_id[nodes], return_index=True)
        return {int(c): int(nodes[w]) for c, w in zip(found, where)}

    def instances_index(self, progress: ProgressCallback | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every class's instances in Summary order (built once; the app builds it in the background).

        A ``progress`` callback that raises :class:`~heaptui.engine.errors.Cancelled` leaves the index unbuilt
        (:attr:`instances_ready` stays False) and the next call starts again.
        """
        with self._instances_lock:
            if self._instances is None:
                self._instances = class_instances_index(self.class_id, len(self.classes), self.shallow,
                                                        self.retained, self.node_id, progress)
            return self._instances

    @property
    def search_index_ready(self) -> bool:
        """Whether :meth:`search_index` has been built (a search then starts at once)."""
        return self._search_index is not None

    def search_index(self, progress: ProgressCallback | None = None) -> SearchIndex:
        """The index the search by name and value uses (built once, on the first search or when the app's
        search box opens; cancelling ``progress`` does not stop the build, which the next search needs)."""
        with self._search_index_lock:
            if self._search_index is None:
                self._search_index = build_search_index(
                    self.edge_type, self.edge_name, self.numbered_edge, self.strings, progress
                )
            return self._search_index

    def instances(self, class_index: int) -> np.ndarray:
        """The counted objects of a class (shallow size > 0), largest retained size first, then by id."""
        first, order = self.instances_index()
        return order[first[class_index]:first[class_index + 1]]

    # ------------------------------------------------------------ retainers

    def retainers(self, v: int, distances: np.ndarray | None = None,
                  ignored_edges: frozenset[int] = frozenset()) -> list[Retainer]:
        """The object's retainers as DevTools' Retainers view lists them by default.

        Weak edges, invisible edges and edges from the root are left out; the
        rest are ordered by the retaining node's distance, then its display
        name, then DevTools' retainer position (later edges first).
        """
        found = retainer_list(self, v, distances, ignored_edges)
        return self.retainer_rows(found, 0, len(found))

    def retainer_list(self, v: int, distances: np.ndarray | None = None,
                      ignored_edges: frozenset[int] = frozenset()) -> RetainerList:
        """The retainers as arrays in DevTools' order (for views that show a page at a time)."""
        return retainer_list(self, v, distances, ignored_edges)

    def retainer_rows(self, found: RetainerList, start: int, end: int) -> list[Retainer]:
        """Rows ``start:end`` of a retainer list (only as many are put in order as are read)."""
        edges, nodes, distances = found.slice(start, end)
        return [Retainer(int(e), int(w), self.edge_type_name(int(e)), self.edge_name_of(int(e)), int(d))
                for e, w, d in zip(edges, nodes, distances)]

    @cached_property
    def is_proto_name(self) -> np.ndarray:
        """Per string: is it ``__proto__`` (skipped in plain objects' names)."""
        return self.strings.mask_of(["__proto__"])

    # ------------------------------------------------------------ json helpers

    def describe(self) -> dict[str, object]:
        return {
            "path": self.path,
            "node_count": self.node_count,
            "edge_count": self.edge_count,
            "total_size": self.total_size,
        }

    def object_title(self, v: int) -> str:
        """Node ``v`` as DevTools names an object in its grids and the app, the command line and the MCP server
        show it: a string's text quoted (cut at 80 characters), a closure with ``()``, then its ``@id``."""
        name = self.name(v)
        kind = self.type_name(v)
        if kind in ("string", "concatenated string", "sliced string"):
            name = '"' + (name if len(name) <= 80 else name[:80] + "…") + '"'
        elif kind == "closure":
            name = (name or "(anonymous)") + "()"
        elif not name:
            name = self.class_name(v)
        return f"{name} @{int(self.node_id[v])}"

    def node_json(self, v: int) -> dict[str, object]:
        """Node ``v`` as every JSON answer lists an object (``leaks --json``'s largest objects, the MCP tools)."""
        return {
            "id": int(self.node_id[v]),
            "class": self.class_name(v),
            "name": self.name(v),
            "self_size": int(self.shallow[v]),
            "retained_size": int(self.retained[v]),
            "distance": int(self.distances[v]),
        }

    def object_json(self, v: int) -> dict[str, object]:
        retainers = []
        for r in self.retainers(v):
            retainers.append({
                "edge_type": r.edge_type,
                "edge_name": r.edge_name,
                "id": int(self.node_id[r.node]),
                "class": self.class_name(r.node),
                "name": self.name(r.node),
                "distance": int(self.distances[r.node]),
            })
        return {
            "id": int(self.node_id[v]),
            "class": self.class_name(v),
            "name": self.name(v),
            "type": self.type_name(v),
            "self_size": int(self.shallow[v]),
            "retained_size": int(self.retained[v]),
            "distance": int(self.distances[v]),
            "dominator": int(self.node_id[self.dominator[v]]),
            "retainers": retainers,
        }
