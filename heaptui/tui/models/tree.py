"""Tree grids over a snapshot as flat lists of the rows that are visible.

A heap has millions of objects, but a person only ever sees the rows they
expanded. Each model keeps exactly those rows, in display order, as small
:class:`Row` records; expanding a row inserts its children (a page at a time,
with a "more" row for the rest), collapsing removes them. Widgets draw any
slice of the list by index, so the cost of a screen never depends on the size
of the heap. Nothing here imports Textual: the models are tested on their own.
Labels hold the file's text exactly; the grid escapes it when it draws a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ...engine.containment import EdgeList
from ...engine.format import BASE_UNREACHABLE_DISTANCE
from ...engine.jsnames import js_sort_key
from ...engine.snapshot import ClassRow, Snapshot
from .sorting import Sortable, SortKey

PAGE = 100
RETAINER_CHAIN_DEPTH = 20
# Expanding a row over this many edges or retainers is computed off the UI thread.
HEAVY = 100_000

CLASS, OBJECT, EDGE, RETAINER, MORE = "class", "object", "edge", "retainer", "more"


@dataclass(frozen=True)
class Column:
    """A value column of a tree grid: its key (for sorting), title and width."""

    key: str
    title: str
    width: int


@dataclass
class Row:
    """One visible line of a tree grid."""

    kind: str
    depth: int
    label: str
    node: int = -1
    edge: int = -1
    class_index: int = -1
    count: int = 0
    distance: int = 0
    shallow: int = 0
    retained: int = 0
    expandable: bool = False
    expanded: bool = False
    cycle: bool = False
    ignored: bool = False
    loading: bool = False  # its children are being computed off the UI thread
    # For MORE rows: how to get the next page (and the rest after it).
    more: Callable[[], list[Row]] | None = field(default=None, repr=False, compare=False)
    # Nodes on the way from the top to this row, to stop cycles in the retainers tree.
    path: tuple[int, ...] = ()
    # The snapshot ``node`` belongs to, when not the model's (a deleted object in the Comparison).
    snapshot: Snapshot | None = field(default=None, repr=False, compare=False)
    # Values of a model's own columns (see TreeModel.columns).
    values: tuple = ()
    # Drawn dimmed after the label: where a class is defined when another class has its name.
    note: str = ""


def edge_title(s: Snapshot, e: int) -> str:
    """An edge's name as DevTools' grids show it: ``[3]`` for elements, the name otherwise."""
    name = s.edge_name_of(e)
    return f"[{name}]" if s.edge_type_name(e) == "element" else name


def edge_rows(s: Snapshot, v: int, depth: int, path: tuple[int, ...] = (), holder: Snapshot | None = None) -> list[Row]:
    """A node's outgoing edges as the Containment grid lists them by default, a page at a time.

    DevTools' order (:class:`~heaptui.engine.containment.EdgeList`); files
    never hold DevTools' "invisible" edges, so all edges are listed. ``holder``
    marks the rows as another snapshot's than their model's.
    """
    found = EdgeList(s, v)

    def rows_for(start: int, end: int) -> list[Row]:
        rows = []
        for e in found.slice(start, end):
            e = int(e)
            w = int(s.edge_to[e])
            label = f"{edge_title(s, e)} :: {s.object_title(w)}"
            rows.append(
                Row(
                    EDGE,
                    depth,
                    label,
                    node=w,
                    edge=e,
                    distance=int(s.distances[w]),
                    shallow=int(s.shallow[w]),
                    retained=int(s.retained[w]),
                    expandable=s.has_children(w),
                    path=path + (w,),
                    snapshot=holder,
                )
            )
        return rows

    return paged(rows_for, len(found), depth)


def paged(rows_for: Callable[[int, int], list[Row]], total: int, depth: int, start: int = 0) -> list[Row]:
    """Rows ``start`` to ``start + PAGE`` of a long list, and a MORE row for the rest."""
    end = min(total, start + PAGE)
    rows = rows_for(start, end)
    if end < total:
        rows.append(
            Row(
                MORE,
                depth,
                f"… {total - end:,} more",
                count=total - end,
                more=lambda: paged(rows_for, total, depth, end),
            )
        )
    return rows


class TreeModel(Sortable):
    """The flat list of visible rows and the rules to grow and shrink it (sortable where it has SORTS)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.rows: list[Row] = []

    def __len__(self) -> int:
        return len(self.rows)

    def columns(self, narrow: bool) -> tuple[Column, ...] | None:
        """The model's own value columns, or None for Distance, Shallow Size and Retained Size."""
        return None

    def cells(self, row: Row, columns: tuple[Column, ...]) -> list[str]:
        """The texts of a row's own columns (models with their own columns)."""
        return [""] * len(columns)

    def snapshot_of(self, row: Row) -> Snapshot:
        """The snapshot that holds the row's node."""
        return row.snapshot if row.snapshot is not None else self.snapshot

    def children(self, row: Row) -> list[Row]:
        """The rows under ``row`` when it is expanded."""
        return edge_rows(self.snapshot_of(row), row.node, row.depth + 1, row.path, row.snapshot)

    def is_heavy(self, row: Row) -> bool:
        """Whether expanding ``row`` takes long enough to be done off the UI thread."""
        s = self.snapshot_of(row)
        return row.node >= 0 and s.child_count(row.node) > HEAVY

    def can_expand(self, row: Row) -> bool:
        return row.kind == MORE or (row.expandable and not row.expanded and not row.cycle and not row.loading)

    def expand(self, index: int) -> int:
        """Expand the row at ``index`` (or load the page a MORE row stands for); rows added."""
        row = self.rows[index]
        if row.kind == MORE and row.more is not None:
            page = row.more()
            self.rows[index : index + 1] = page
            return len(page) - 1
        if not self.can_expand(row):
            return 0
        return self.insert_children(index, self.children(row))

    def insert_children(self, index: int, kids: list[Row]) -> int:
        """Put computed children under the row at ``index``; rows added."""
        row = self.rows[index]
        row.loading = False
        if row.expanded:
            return 0
        row.expanded = True
        self.rows[index + 1 : index + 1] = kids
        return len(kids)

    def index_of(self, row: Row) -> int | None:
        """Where a row is now (rows move as others expand and collapse)."""
        return next((i for i, r in enumerate(self.rows) if r is row), None)

    def collapse(self, index: int) -> int:
        """Collapse the row at ``index``; rows removed."""
        row = self.rows[index]
        if not row.expanded:
            return 0
        end = self.subtree_end(index)
        del self.rows[index + 1 : end]
        row.expanded = False
        return end - index - 1

    def subtree_end(self, index: int) -> int:
        depth = self.rows[index].depth
        end = index + 1
        while end < len(self.rows) and self.rows[end].depth > depth:
            end += 1
        return end

    def parent_index(self, index: int) -> int | None:
        depth = self.rows[index].depth
        for i in range(index - 1, -1, -1):
            if self.rows[i].depth < depth:
                return i
        return None


def shared_names(classes: Iterable[ClassRow]) -> list[ClassRow]:
    """The classes whose name another class has too (two ``Server`` constructors in different scripts)."""
    classes = list(classes)
    counts: dict[str, int] = {}
    for c in classes:
        counts[c.name] = counts.get(c.name, 0) + 1
    return [c for c in classes if counts[c.name] > 1]


def location_note(c: ClassRow) -> str:
    """Where a class's constructor is, ``script 12:1736`` (1-based line), to tell same-name classes apart."""
    if c.info.location is None:
        return f"class #{c.class_index}"
    script, line, column = c.info.location
    return f"script {script}:{line + 1}:{column + 1}"


class SummaryModel(TreeModel):
    """The Summary grid: classes, their instances (paged), and the instances' edges.

    Classes are sorted once per sort order and their rows made once; a filter
    (the search box, on every keystroke) only picks which of them to list.
    """

    def __init__(
        self, snapshot: Snapshot, classes: list[ClassRow] | None = None, mask: np.ndarray | None = None
    ) -> None:
        super().__init__(snapshot)
        self.all_classes = classes if classes is not None else snapshot.summary()
        self.mask = mask  # the Summary filter's objects (allocated between two snapshots), or all
        self.sort_column, self.descending = self.SORTS[0].column, self.SORTS[0].descending
        self.wanted: set[int] | None = None
        self._class_rows = {c.class_index: self.class_row(c) for c in self.all_classes}
        for c in shared_names(self.all_classes):
            self._class_rows[c.class_index].note = location_note(c)
        self._instance_cache: dict[int, np.ndarray] = {}
        self._sorted = self._sorted_classes()
        self.rebuild()

    SORTS = (
        SortKey("retained", "retained size"),
        SortKey("shallow", "shallow size"),
        SortKey("count", "count"),
        SortKey("distance", "distance", descending=False),
        SortKey("name", "name", descending=False),
    )

    def set_filter(self, class_indices: Iterable[int] | None) -> None:
        """Show only these classes (in sort order), or all of them."""
        self.wanted = None if class_indices is None else set(class_indices)
        self.rebuild()

    def reorder(self) -> None:
        self._sorted = self._sorted_classes()
        self.rebuild()

    def _sorted_classes(self) -> list[ClassRow]:
        if self.sort_column == "name":
            ordered = sorted(self.all_classes, key=lambda c: js_sort_key(c.name))
            return ordered[::-1] if self.descending else ordered
        sign = -1 if self.descending else 1
        attribute = {"retained": "retained_size", "shallow": "shallow_size", "count": "count", "distance": "distance"}[
            self.sort_column
        ]
        return sorted(self.all_classes, key=lambda c: (sign * getattr(c, attribute), js_sort_key(c.name)))

    def rebuild(self) -> None:
        wanted = self.wanted
        rows = [self._class_rows[c.class_index] for c in self._sorted if wanted is None or c.class_index in wanted]
        for row in rows:
            row.expanded = False
        self.rows = rows

    def class_row(self, c: ClassRow) -> Row:
        label = f"{c.name} ×{c.count:,}"
        return Row(
            CLASS,
            0,
            label,
            class_index=c.class_index,
            count=c.count,
            distance=c.distance,
            shallow=c.shallow_size,
            retained=c.retained_size,
            expandable=True,
        )

    def instances(self, class_index: int) -> np.ndarray:
        nodes = self._instance_cache.get(class_index)
        if nodes is None:
            nodes = self.snapshot.instances(class_index)
            if self.mask is not None:
                nodes = nodes[self.mask[nodes]]
            self._instance_cache[class_index] = nodes
        return nodes

    def object_row(self, v: int, depth: int) -> Row:
        s = self.snapshot
        return Row(
            OBJECT,
            depth,
            s.object_title(v),
            node=v,
            distance=int(s.distances[v]),
            shallow=int(s.shallow[v]),
            retained=int(s.retained[v]),
            expandable=s.has_children(v),
            path=(v,),
        )

    def is_heavy(self, row: Row) -> bool:
        if row.kind == CLASS:
            return not self.snapshot.instances_ready  # the instance index is still being built
        return super().is_heavy(row)

    def children(self, row: Row) -> list[Row]:
        if row.kind == CLASS:
            nodes = self.instances(row.class_index)
            depth = row.depth + 1
            return paged(lambda a, b: [self.object_row(int(v), depth) for v in nodes[a:b]], len(nodes), depth)
        return super().children(row)

    def reveal(self, v: int) -> int | None:
        """Expand the object's class around the object and return its row index."""
        s = self.snapshot
        c = int(s.class_id[v])
        class_pos = next((i for i, r in enumerate(self.rows) if r.kind == CLASS and r.class_index == c), None)
        if class_pos is None:
            return None
        self.collapse(class_pos)
        nodes = self.instances(c)
        where = np.flatnonzero(nodes == v)
        if where.size == 0:
            return None
        start = max(0, int(where[0]) - PAGE // 2)
        depth = 1
        row = self.rows[class_pos]
        kids: list[Row] = []
        if start > 0:
            kids.append(
                Row(
                    MORE,
                    depth,
                    f"… {start:,} before",
                    count=start,
                    more=lambda: [self.object_row(int(x), depth) for x in nodes[:start]],
                )
            )
        kids += paged(lambda a, b: [self.object_row(int(x), depth) for x in nodes[a:b]], len(nodes), depth, start)
        row.expanded = True
        self.rows[class_pos + 1 : class_pos + 1] = kids
        return next(
            i
            for i in range(class_pos + 1, class_pos + 1 + len(kids))
            if self.rows[i].node == v and self.rows[i].kind == OBJECT
        )


class ContainmentModel(TreeModel):
    """The Containment grid: the root's edges, and every object's edges below them."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__(snapshot)
        self.rows = edge_rows(snapshot, snapshot.root, 0)


class RetainersModel(TreeModel):
    """The Retainers tree of one object, each level loaded when expanded.

    As in DevTools, the first chain opens by itself (up to 20 levels) so the
    shortest path to a GC root shows at once. A node met again on the way up is
    marked as a cycle and not followed.
    """

    def __init__(
        self,
        snapshot: Snapshot,
        target: int,
        distances: np.ndarray | None = None,
        ignored: frozenset[int] = frozenset(),
        ignored_edges: frozenset[int] = frozenset(),
        auto_expand: bool = True,
    ) -> None:
        super().__init__(snapshot)
        self.target = target
        self.distances = distances
        self.ignored = ignored
        self.ignored_edges = ignored_edges
        self.rows = self._retainer_rows(target, 0, (target,))
        if auto_expand:
            self.expand_first_chain()

    def _retainer_rows(self, v: int, depth: int, path: tuple[int, ...]) -> list[Row]:
        s = self.snapshot
        found = s.retainer_list(v, self.distances, self.ignored_edges)

        def rows_for(start: int, end: int) -> list[Row]:
            rows = []
            for r in s.retainer_rows(found, start, end):
                w = r.node
                label = f"{edge_title(s, r.edge)} in {s.object_title(w)}"
                cycle = w in path
                rows.append(
                    Row(
                        RETAINER,
                        depth,
                        label,
                        node=w,
                        edge=r.edge,
                        distance=r.distance,
                        shallow=int(s.shallow[w]),
                        retained=int(s.retained[w]),
                        expandable=not cycle and s.has_retainers(w),
                        cycle=cycle,
                        ignored=w in self.ignored,
                        path=path + (w,),
                    )
                )
            return rows

        return paged(rows_for, len(found), depth)

    def children(self, row: Row) -> list[Row]:
        return self._retainer_rows(row.node, row.depth + 1, row.path)

    def is_heavy(self, row: Row) -> bool:
        s = self.snapshot
        return row.node >= 0 and s.retainer_count(row.node) > HEAVY

    def expand_first_chain(self, levels: int = RETAINER_CHAIN_DEPTH) -> None:
        """DevTools' ``expandRetainersChain``: follow the first retainer while it is not a root."""
        index = 0
        for _ in range(levels - 1):
            if index >= len(self.rows):
                return
            row = self.rows[index]
            # DevTools stops at a root (distance 1) and at unreachable retainers, not at system ones.
            if row.kind != RETAINER or row.distance <= 1 or row.distance >= BASE_UNREACHABLE_DISTANCE or row.cycle:
                return
            if not self.expand(index):
                return
            index += 1


def warm_up(s: Snapshot) -> None:
    """Build once, off the UI thread, the kind of rows the grids build on it: the first call of each compiled
    kernel they use (retainers gathered and put in order, names as sort keys, an object's edges) loads it from
    numba's cache, 0.1 to 0.2 s each, which on the UI thread would hold up the first keys that need it.

    Of the first objects of the classes, the one with the most retainers is taken, so that more retainers than
    a page tie on distance and their names are compared (the kernels that order them); then the root, as the
    Containment's first rows. Needs the instance index (built before it).
    """
    firsts = [int(nodes[0]) for nodes in (s.instances(c) for c in range(len(s.classes))) if nodes.shape[0]]
    if firsts:
        busiest = max(firsts, key=s.retainer_count)
        RetainersModel(s, busiest, auto_expand=False)
        edge_rows(s, busiest, 0)
    edge_rows(s, s.root, 0)
