"""Tree grids over several snapshots: the Comparison and the leak report (no Textual here).

Both reuse :class:`~heaptui.tui.models.tree.TreeModel`'s flat rows. A
Comparison row is a class; it expands into its new objects (nodes of the
newer snapshot) and then its deleted ones (nodes of the base, marked as such
so that their edges and retainers are read from the base). A leak row is a
cluster; it expands into its leaked objects, largest first.
"""

from __future__ import annotations

import numpy as np

from ...engine.compare import ClassDiff, Comparison
from ...engine.growth import GrowingCollection
from ...engine.jsnames import js_sort_key
from ...engine.leaks import LeakCluster, LeakReport, path_text
from ...engine.sizes import format_size
from ...engine.snapshot import Snapshot
from .sorting import SortKey
from .tree import CLASS, OBJECT, Column, Row, TreeModel, paged

# Sizes get room for their title and the sort's arrow ("Alloc. Size ▼").
COMPARISON_WIDE = (
    Column("new", "# New", 8),
    Column("deleted", "# Deleted", 10),
    Column("delta", "# Delta", 9),
    Column("alloc", "Alloc. Size", 14),
    Column("freed", "Freed Size", 14),
    Column("size_delta", "Size Delta", 14),
)
COMPARISON_NARROW = (
    Column("new", "New", 6),
    Column("deleted", "Del", 6),
    Column("delta", "Δ", 7),
    Column("alloc", "Alloc", 9),
    Column("freed", "Freed", 9),
    Column("size_delta", "ΔSize", 9),
)
_DIFF_FIELD = {
    "new": "new_count",
    "deleted": "deleted_count",
    "delta": "delta",
    "alloc": "alloc_size",
    "freed": "freed_size",
    "size_delta": "size_delta",
}

NOTE = "note"  # a line of text between groups of rows

LEAKS_WIDE = (Column("count", "Objects", 10), Column("retained", "Retained Size", 16))
LEAKS_NARROW = (Column("count", "Objs", 7), Column("retained", "Retained", 10))


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _size(value: int, width: int, signed: bool = False) -> str:
    text = f"{value:+,}" if signed and value else f"{value:,}"
    if len(text) < width:
        return text
    return ("+" if signed and value > 0 else "") + format_size(value)


class ComparisonModel(TreeModel):
    """DevTools' Comparison grid: classes by Alloc. Size, each expanding into its new and deleted objects."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(comparison.snapshot)
        self.comparison = comparison
        # snapshots of separate sessions have no new and deleted objects to sort by: Size Delta
        first = self.SORTS[0] if comparison.ids_carry else self.SORTS[2]
        self.sort_column, self.descending = first.column, first.descending
        self._class_rows = [self.class_row(i, d) for i, d in enumerate(comparison.rows)]
        self.reorder()

    SORTS = (
        SortKey("alloc", "alloc. size"),
        SortKey("freed", "freed size"),
        SortKey("size_delta", "size delta"),
        SortKey("new", "# new"),
        SortKey("deleted", "# deleted"),
        SortKey("delta", "# delta"),
        SortKey("name", "name", descending=False),
    )

    def columns(self, narrow: bool) -> tuple[Column, ...]:
        return COMPARISON_NARROW if narrow else COMPARISON_WIDE

    def class_row(self, index: int, diff: ClassDiff) -> Row:
        label = diff.name if diff.info.location is None else f"{diff.name} @{diff.info.location_text}"
        count = (diff.new_count or 0) + (diff.deleted_count or 0)
        return Row(CLASS, 0, label, class_index=index, count=count, expandable=count > 0, values=(diff,))

    def reorder(self) -> None:
        rows = self._class_rows
        if self.sort_column == "name":
            ordered = sorted(rows, key=lambda r: js_sort_key(r.values[0].name), reverse=self.descending)
        else:
            field = _DIFF_FIELD[self.sort_column]
            sign = -1 if self.descending else 1
            ordered = sorted(
                rows,
                key=lambda r: (
                    sign * (getattr(r.values[0], field) or 0),  # None: unknown
                    js_sort_key(r.values[0].name),
                ),
            )
        for row in ordered:
            row.expanded = False
        self.rows = ordered

    def cells(self, row: Row, columns: tuple[Column, ...]) -> list[str]:
        if row.kind == CLASS:
            d: ClassDiff = row.values[0]
            # None: unknown (snapshots of separate inspector sessions), left blank
            values = {"new": _count(d.new_count), "deleted": _count(d.deleted_count), "delta": _signed(d.delta)}
            sizes = {"alloc": (d.alloc_size, False), "freed": (d.freed_size, False), "size_delta": (d.size_delta, True)}
            cells = []
            for c in columns:
                if c.key in values:
                    cells.append(values[c.key])
                else:
                    value, signed = sizes[c.key]
                    cells.append("" if value is None else _size(value, c.width, signed))
            return cells
        if row.kind == OBJECT:
            deleted = row.snapshot is not None
            size = row.shallow
            values = {
                "new": "" if deleted else "•",
                "deleted": "•" if deleted else "",
                "delta": "",
                "alloc": "" if deleted else _size(size, 12),
                "freed": _size(size, 12) if deleted else "",
                "size_delta": _size(-size if deleted else size, 12, True),
            }
            return [values[c.key] for c in columns]
        return [""] * len(columns)

    def children(self, row: Row) -> list[Row]:
        if row.kind != CLASS:
            return super().children(row)
        depth = row.depth + 1
        added = self.comparison.new_objects(row.class_index)
        deleted = self.comparison.deleted_objects(row.class_index)
        base = self.comparison.base

        def rows_for(start: int, end: int) -> list[Row]:
            out = []
            for i in range(start, end):
                if i < added.shape[0]:
                    out.append(self.object_row(self.snapshot, int(added[i]), depth, None))
                else:
                    out.append(self.object_row(base, int(deleted[i - added.shape[0]]), depth, base))
            return out

        return paged(rows_for, int(added.shape[0] + deleted.shape[0]), depth)

    @staticmethod
    def object_row(s: Snapshot, v: int, depth: int, holder: Snapshot | None) -> Row:
        label = s.object_title(v) + ("  (deleted)" if holder is not None else "")
        return Row(
            OBJECT,
            depth,
            label,
            node=v,
            distance=int(s.distances[v]),
            shallow=int(s.shallow[v]),
            retained=int(s.retained[v]),
            expandable=s.has_children(int(v)),
            path=(v,),
            snapshot=holder,
        )


class LeaksModel(TreeModel):
    """The leak report: clusters by retained size, each expanding into its leaked objects."""

    def __init__(self, report: LeakReport) -> None:
        super().__init__(report.final)
        self.report = report
        self.rows = [self.cluster_row(i, c) for i, c in enumerate(report.clusters)]
        if report.growing:
            self.rows.append(Row(NOTE, 0, f"Collections that grew in every snapshot ({len(report.growing)})"))
            self.rows += [self.collection_row(g) for g in report.growing]

    def columns(self, narrow: bool) -> tuple[Column, ...]:
        return LEAKS_NARROW if narrow else LEAKS_WIDE

    @staticmethod
    def cluster_row(index: int, cluster: LeakCluster) -> Row:
        classes = ", ".join(f"{name} ×{count:,}" for name, count in list(cluster.classes.items())[:3])
        return Row(
            CLASS,
            0,
            classes,
            class_index=index,
            count=cluster.count,
            retained=cluster.retained_size,
            expandable=True,
            values=(cluster,),
        )

    def cells(self, row: Row, columns: tuple[Column, ...]) -> list[str]:
        if row.kind == CLASS:
            values = {"count": f"{row.count:,}", "retained": _size(row.retained, 16)}
        elif row.kind in (OBJECT, "edge"):
            values = {"count": "", "retained": _size(row.retained, 16)}
        else:
            values = {}
        return [values.get(c.key, "") for c in columns]

    def collection_row(self, g: GrowingCollection) -> Row:
        s = self.snapshot
        v = g.node
        label = f"{s.object_title(v)}  {g.kind.lower()} of " + " → ".join(f"{n:,}" for n in g.sizes)
        return Row(
            OBJECT,
            0,
            label,
            node=v,
            distance=int(s.distances[v]),
            shallow=int(s.shallow[v]),
            retained=int(s.retained[v]),
            expandable=s.has_children(int(v)),
            path=(v,),
            values=(g,),
        )

    def cluster(self, row: Row) -> LeakCluster | None:
        return row.values[0] if row.kind == CLASS and row.values else None

    def path_of(self, index: int) -> str:
        """The retainer path of the cluster or growing collection the row at ``index`` belongs to."""
        while index > 0 and self.rows[index].depth > 0:
            index -= 1
        row = self.rows[index] if self.rows else None
        if row is None or not row.values:
            return ""
        item = row.values[0]
        return item.path_text if isinstance(item, LeakCluster) else path_text(item.path)

    def children(self, row: Row) -> list[Row]:
        if row.kind != CLASS:
            return super().children(row)
        s = self.snapshot
        nodes: np.ndarray = self.report.clusters[row.class_index].nodes
        depth = row.depth + 1

        def rows_for(start: int, end: int) -> list[Row]:
            return [
                Row(
                    OBJECT,
                    depth,
                    s.object_title(int(v)),
                    node=int(v),
                    distance=int(s.distances[v]),
                    shallow=int(s.shallow[v]),
                    retained=int(s.retained[v]),
                    expandable=s.has_children(int(v)),
                    path=(int(v),),
                )
                for v in nodes[start:end]
            ]

        return paged(rows_for, int(nodes.shape[0]), depth)
