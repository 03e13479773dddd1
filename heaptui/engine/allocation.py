"""The allocation tree of a ``.heaptimeline`` recorded with allocation stacks: who allocated what still lives.

With ``trackAllocations`` V8 records, per allocation, the JavaScript stack that
made it: ``trace_tree`` is the top-down tree of those stacks (each trace node:
``id``, ``function_info_index``, ``count`` and ``size`` of the allocations made
exactly there, ``children``), ``trace_function_infos`` describes the functions
(``name``, ``script_name``, ``script_id``, ``line``, ``column``: 1-based as V8
writes them, 0 when unknown), and every heap node's ``trace_node_id`` names the
trace node that allocated it (0: none). DevTools' Allocation view
(``AllocationProfile`` in the heap snapshot worker) shows it bottom-up; this
module follows it:

- live objects per trace node: every heap node counts once, with its shallow
  size (after the shallow-size transfer), at its ``trace_node_id``;
- the trace tree is walked in pre-order; a trace node that allocated nothing
  (``count`` 0) is not a "trace top" and adds nothing;
- a function's row sums its trace tops: ``count``, ``size``, ``live_count``,
  ``live_size``; the top level lists the functions that allocated something
  (``serializeTraceTops``), largest ``size`` first, ties in function order;
  the first function (V8's ``(root)``) is shown without callers;
- a row's callers (``FunctionAllocationInfo`` bottom-up tree, ``serializeCallers``):
  each trace top is followed up its parents; one caller per function (the
  function-info entry, not its name), in the order first met, each summing the
  trace tops whose stack passes through it; the grid sorts them by ``size``,
  largest first (``AllocationDataGrid``'s default column); the chain ends at ``(root)``;
- choosing a row filters the Summary to the objects allocated at its trace tops
  (``createAllocationStackFilter``): :meth:`AllocationTree.live_mask`.

Trace nodes are few (one per distinct stack), so the tree is kept in small
arrays; heap nodes are only ever touched as numpy columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .errors import SnapshotError
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot

ROW_KEYS = ("function", "script", "line", "column", "live_count", "live_size", "count", "size")


@dataclass(frozen=True)
class AllocationRow:
    """A row of the Allocation view: a function, or one of its callers, with what it allocated."""

    function: str
    script: str
    script_id: int
    line: int  # 1-based as V8 records it and DevTools shows it (``script:line``); 0 when unknown
    column: int  # 1-based, 0 when unknown
    live_count: int
    live_size: int
    count: int
    size: int
    has_callers: bool
    path: tuple[int, ...] = field(compare=False)  # function-info indices: the allocating function, then callers

    @property
    def location(self) -> str:
        return source_location(self.script, self.line, self.column)

    def to_json(self) -> dict[str, object]:
        return {key: getattr(self, key) for key in ROW_KEYS}


def source_location(script: str, line: int, column: int) -> str:
    """``script:line:column`` (what is known of it, 1-based), or '' when there is no script."""
    if not script:
        return ""
    if not line:
        return script
    return f"{script}:{line}:{column}" if column else f"{script}:{line}"


@dataclass(frozen=True)
class Frame:
    """One frame of an object's allocation stack."""

    function: str
    script: str
    script_id: int
    line: int
    column: int


@dataclass
class AllocationTree:
    """The parsed trace tree with live objects per trace node, and the bottom-up view over it."""

    snapshot: Snapshot = field(repr=False)
    reason: str | None  # why there is nothing to show (no allocation stacks), or None
    function_name: list[str]
    script_name: list[str]
    script_id: np.ndarray  # per function info
    line: np.ndarray
    column: np.ndarray
    trace_id: np.ndarray  # per trace node, pre-order: its id (what heap nodes' trace_node_id name)
    function: np.ndarray  # its function-info index
    parent: np.ndarray  # its parent's position, -1 for the root
    count: np.ndarray  # allocations made there (int64)
    size: np.ndarray
    live_count: np.ndarray  # heap nodes of the snapshot allocated there
    live_size: np.ndarray
    _paths: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _position: dict[int, int] | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.reason is None

    # ------------------------------------------------------------ bottom-up

    def tops(self) -> list[AllocationRow]:
        """The allocating functions, DevTools' order: ``size`` descending, ties in function order."""
        if self.reason is not None:
            return []
        tops = np.flatnonzero(self.count != 0)  # pre-order
        rows = []
        for f, members in _groups(self.function[tops], by_value=True):  # function order, as DevTools walks them
            self._paths.setdefault((f,), (tops[members], tops[members]))
            rows.append(self._row((f,), has_callers=f != 0))
        rows.sort(key=lambda r: -r.size)  # stable
        return rows

    def callers(self, row: AllocationRow) -> list[AllocationRow]:
        """The row's callers (its children in the bottom-up tree), ``size`` descending, ties in first-met order."""
        tops, at = self._pairs(row.path)
        up = self.parent[at]
        keep = up >= 0
        tops, up = tops[keep], up[keep]
        rows = []
        for f, members in _groups(self.function[up], by_value=False):
            path = (*row.path, f)
            self._paths.setdefault(path, (tops[members], up[members]))
            rows.append(self._row(path))
        rows.sort(key=lambda r: -r.size)  # stable
        return rows

    def sorted_rows(self, rows: list[AllocationRow], key: str = "size") -> list[AllocationRow]:
        """Rows sorted by a column, largest first, ties kept in order (what a click on the column does)."""
        if key not in ("live_count", "live_size", "count", "size"):
            raise ValueError(f"cannot sort by {key!r}")
        return sorted(rows, key=lambda r: -getattr(r, key))

    def trace_ids(self, row: AllocationRow) -> np.ndarray:
        """The ids of the trace nodes whose allocations the row counts (DevTools' ``traceIds``)."""
        tops, _ = self._pairs(row.path)
        return self.trace_id[tops]

    def live_mask(self, row: AllocationRow) -> np.ndarray:
        """Per heap node: was it allocated at one of the row's trace tops (the Summary's filter for the row)."""
        trace = self.snapshot.node_trace_id
        if trace is None or self.reason is not None:
            return np.zeros(self.snapshot.node_count, dtype=np.bool_)
        ids = self.trace_ids(row)
        if not ids.size:
            return np.zeros(self.snapshot.node_count, dtype=np.bool_)
        marked = np.zeros(int(ids.max()) + 2, dtype=np.bool_)
        marked[ids] = True
        return marked[np.minimum(trace, marked.shape[0] - 1)]

    def live_nodes(self, row: AllocationRow) -> np.ndarray:
        """The ordinals of the heap nodes allocated at the row's trace tops."""
        return np.flatnonzero(self.live_mask(row))

    def untraced(self, after_id: int) -> np.ndarray:
        """JavaScript objects (odd ids) newer than ``after_id`` that have no allocation stack (trace id 0).

        With ``after_id`` the recording's first sample's id (``Timeline.max_id[0]``)
        these are the live objects allocated while recording that no row counts:
        off-heap data V8 allocates outside JavaScript, and objects whose trace V8
        dropped (it does not move an object's trace when a GC moves an object that
        already has an id, so compaction loses them; DevTools shows them nowhere either).
        """
        s = self.snapshot
        fresh = (s.node_id > after_id) & ((s.node_id & 1) == 1)
        if s.node_trace_id is not None:
            fresh &= s.node_trace_id == 0
        return np.flatnonzero(fresh)

    # ------------------------------------------------------------ one object

    def stack(self, v: int) -> list[Frame]:
        """The allocation stack of heap node ``v``, innermost frame first, down to ``(root)`` (empty if unknown)."""
        trace = self.snapshot.node_trace_id
        if trace is None or self.reason is not None or not int(trace[v]):
            return []
        if self._position is None:
            self._position = {int(t): i for i, t in enumerate(self.trace_id.tolist())}
        at = self._position.get(int(trace[v]), -1)
        frames = []
        while at >= 0:
            f = int(self.function[at])
            frames.append(Frame(self.function_name[f], self.script_name[f], int(self.script_id[f]),
                                int(self.line[f]), int(self.column[f])))
            at = int(self.parent[at])
        return frames

    # ------------------------------------------------------------ internals

    def _pairs(self, path: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(trace tops, the trace node each reaches at the end of ``path``) of a bottom-up row."""
        if path in self._paths:
            return self._paths[path]
        if len(path) == 1:
            tops = np.flatnonzero((self.function == path[0]) & (self.count != 0))
            pair = (tops, tops)
        else:
            tops, at = self._pairs(path[:-1])
            up = self.parent[at]
            sel = up >= 0
            sel[sel] = self.function[up[sel]] == path[-1]
            pair = (tops[sel], up[sel])
        self._paths[path] = pair
        return pair

    def _row(self, path: tuple[int, ...], has_callers: bool | None = None) -> AllocationRow:
        tops, at = self._pairs(path)
        f = path[-1]
        if has_callers is None:
            has_callers = bool((self.parent[at] >= 0).any())
        return AllocationRow(
            function=self.function_name[f], script=self.script_name[f], script_id=int(self.script_id[f]),
            line=int(self.line[f]), column=int(self.column[f]),
            live_count=int(self.live_count[tops].sum()), live_size=int(self.live_size[tops].sum()),
            count=int(self.count[tops].sum()), size=int(self.size[tops].sum()),
            has_callers=has_callers, path=path,
        )


def _groups(keys: np.ndarray, by_value: bool) -> list[tuple[int, np.ndarray]]:
    """The positions of each distinct key (ascending within a key), keys ascending or in first-seen order."""
    if not keys.size:
        return []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    groups = [(int(sorted_keys[a]), order[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    if not by_value:
        groups.sort(key=lambda g: int(g[1][0]))
    return groups


def _no_stacks_reason(snapshot: Snapshot) -> str | None:
    meta = snapshot.meta
    infos = snapshot.trace_function_infos
    tree = (snapshot.trace_tree or b"").strip()
    if meta.trace_function_count and infos is not None and infos.size and tree not in (b"", b"[]"):
        return None
    if snapshot.samples is not None and snapshot.samples.size:
        return ("recorded without allocation stacks: the timeline works, but the functions are only known "
                "when recording with allocation stack traces (DevTools' \"Allocation stack traces\" "
                "setting, trackAllocations)")
    return "a heap snapshot, not an allocation timeline: it has no allocation stacks"


def _empty(snapshot: Snapshot, reason: str) -> AllocationTree:
    i64 = np.empty(0, dtype=np.int64)
    return AllocationTree(snapshot, reason, [], [], i64, i64, i64, i64, np.empty(0, dtype=np.int32),
                          np.empty(0, dtype=np.int32), i64, i64, i64, i64)


def _flatten(tree: object, fields: tuple[str, ...], path: object) -> tuple[np.ndarray, ...]:
    """The nested trace tree as pre-order columns (id, function, parent, count, size), without recursion."""
    width = len(fields)
    try:
        offsets = [fields.index(f) for f in ("id", "function_info_index", "count", "size", "children")]
    except ValueError:
        raise SnapshotError(path, "not a V8 heap snapshot: meta.trace_node_fields lacks a field") from None
    o_id, o_fn, o_count, o_size, o_children = offsets
    ids: list[int] = []
    functions: list[int] = []
    parents: list[int] = []
    counts: list[int] = []
    sizes: list[int] = []
    if not isinstance(tree, list) or not tree:
        raise SnapshotError(path, "not a V8 heap snapshot: the trace_tree is empty")
    stack: list[tuple[list, int, int]] = [(tree, 0, -1)]
    try:
        while stack:
            raw, at, parent = stack.pop()
            me = len(ids)
            ids.append(int(raw[at + o_id]))
            functions.append(int(raw[at + o_fn]))
            counts.append(int(raw[at + o_count]))
            sizes.append(int(raw[at + o_size]))
            parents.append(parent)
            children = raw[at + o_children]
            if len(children) % width:
                raise SnapshotError(path, "not a V8 heap snapshot: a trace_tree node's children do not fit "
                                          "meta.trace_node_fields")
            for child in range(len(children) - width, -1, -width):  # reversed: popped in order
                stack.append((children, child, me))
    except (TypeError, IndexError, ValueError):
        raise SnapshotError(path, "not a V8 heap snapshot: the trace_tree does not fit "
                                  "meta.trace_node_fields") from None
    return (np.array(ids, dtype=np.int64), np.array(functions, dtype=np.int32), np.array(parents, dtype=np.int32),
            np.array(counts, dtype=np.int64), np.array(sizes, dtype=np.int64))


def _live_per_trace_node(snapshot: Snapshot, trace_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heap nodes (count, shallow size) per trace node, matched by ``trace_node_id``."""
    n = trace_id.shape[0]
    count = np.zeros(n, dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    trace = snapshot.node_trace_id
    if trace is None or not n:
        return count, size
    top = int(trace_id.max())
    if int(trace_id.min()) < 0 or top > 4 * n + (1 << 16):  # V8 numbers trace nodes 1, 2, ...: dense
        raise SnapshotError(snapshot.path, "the trace_tree's node ids are not V8's (negative or sparse)")
    position = np.full(top + 2, -1, dtype=np.int64)  # trace id -> position; the last slot: out of range
    position[trace_id] = np.arange(n)
    block = 1 << 21
    for start in range(0, trace.shape[0], block):
        at = position[np.minimum(trace[start:start + block], top + 1)]
        hit = at >= 0
        count += np.bincount(at[hit], minlength=n)
        size += np.bincount(at[hit], weights=snapshot.shallow[start:start + block][hit], minlength=n).astype(np.int64)
    return count, size


def allocation_tree(snapshot: Snapshot, progress: ProgressCallback | None = None) -> AllocationTree:
    """The snapshot's allocation tree; without allocation stacks, an empty one whose ``reason`` says why."""
    reason = _no_stacks_reason(snapshot)
    if reason is not None:
        return _empty(snapshot, reason)
    meta = snapshot.meta
    fields = meta.trace_function_info_fields
    infos = snapshot.trace_function_infos
    assert infos is not None
    need = ("name", "script_name", "script_id", "line", "column")
    if any(f not in fields for f in need) or infos.size % len(fields):
        raise SnapshotError(snapshot.path, "meta disagrees with the data: trace_function_infos do not fit "
                                           "meta.trace_function_info_fields")
    rows = infos.reshape(-1, len(fields))
    strings = snapshot.strings
    names = rows[:, fields.index("name")]
    scripts = rows[:, fields.index("script_name")]
    if names.size and (int(min(names.min(), scripts.min())) < 0
                       or int(max(names.max(), scripts.max())) >= len(strings)):
        raise SnapshotError(snapshot.path, "a trace function names a string that does not exist")
    try:
        tree = json.loads(snapshot.trace_tree or b"[]")
    except ValueError:
        raise SnapshotError(snapshot.path, "not JSON: the trace_tree does not parse") from None
    report = progress or no_progress
    report("allocation tree", 0, 2)
    trace_id, function, parent, count, size = _flatten(tree, meta.trace_node_fields, snapshot.path)
    report("allocation tree", 1, 2)
    if function.size and (int(function.min()) < 0 or int(function.max()) >= rows.shape[0]):
        raise SnapshotError(snapshot.path, "a trace_tree node names a function that trace_function_infos lacks")
    live_count, live_size = _live_per_trace_node(snapshot, trace_id)
    return AllocationTree(
        snapshot=snapshot, reason=None,
        function_name=[strings[int(i)] for i in names], script_name=[strings[int(i)] for i in scripts],
        script_id=rows[:, fields.index("script_id")].astype(np.int64),
        line=rows[:, fields.index("line")].astype(np.int64), column=rows[:, fields.index("column")].astype(np.int64),
        trace_id=trace_id, function=function, parent=parent, count=count, size=size,
        live_count=live_count, live_size=live_size,
    )


__all__ = ["ROW_KEYS", "AllocationRow", "AllocationTree", "Frame", "allocation_tree"]
