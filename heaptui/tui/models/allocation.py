"""Tree grids of who allocated what: a timeline's Allocation view and a sampling profile (no Textual here).

The Allocation view is DevTools' bottom-up tree over a ``.heaptimeline``'s
allocation stacks: the allocating functions first, each expanding into its
callers, with the live count and size of what they allocated next to all they
allocated. A ``.heapprofile`` (sampling) lists its functions by self size, the
way DevTools' Heavy (bottom-up) view starts.
"""

from __future__ import annotations

from ...engine.allocation import AllocationRow, AllocationTree
from ...engine.heapprofile import SampledFunction, SamplingProfile
from ...engine.sizes import format_size
from .sorting import SortKey
from .tree import Column, Row, TreeModel

FUNCTION = "function"

ALLOCATION_WIDE = (
    Column("live_count", "Live Count", 11),
    Column("live_size", "Live Size", 12),
    Column("count", "Count", 9),
    Column("size", "Size", 12),
)
ALLOCATION_NARROW = (
    Column("live_count", "Live #", 7),
    Column("live_size", "Live", 9),
    Column("count", "#", 7),
    Column("size", "Size", 9),
)
PROFILE_WIDE = (
    Column("self_size", "Self Size", 12),
    Column("total_size", "Total Size", 12),
    Column("samples", "Samples", 9),
)
PROFILE_NARROW = (Column("self_size", "Self", 9), Column("total_size", "Total", 9), Column("samples", "#", 6))


def function_label(function: str, location: str) -> str:
    """``handleRequest  server.js:57:23``, the script shortened to its file name."""
    name = function or "(anonymous)"
    if not location:
        return name
    return f"{name}  {location.rsplit('/', 1)[-1]}"


def _cell(value: int, width: int) -> str:
    text = f"{value:,}"
    return text if len(text) < width else format_size(value)


class AllocationModel(TreeModel):
    """DevTools' Allocation grid: allocating functions by size, each expanding into its callers."""

    SORTS = (
        SortKey("size", "size"),
        SortKey("live_size", "live size"),
        SortKey("live_count", "live count"),
        SortKey("count", "count"),
    )  # DevTools' default column first

    def __init__(self, tree: AllocationTree) -> None:
        super().__init__(tree.snapshot)
        self.tree = tree
        self.sort_column, self.descending = "size", True
        self._tops = tree.tops()
        self.rows = [self.function_row(r, 0) for r in self._tops]

    def reorder(self) -> None:
        """Sort the functions (and callers shown later) by a column; expanded rows close."""
        self.rows = [self.function_row(r, 0) for r in self._ordered(self._tops)]

    def _ordered(self, rows: list[AllocationRow]) -> list[AllocationRow]:
        ordered = self.tree.sorted_rows(rows, self.sort_column)  # largest first
        return ordered if self.descending else ordered[::-1]

    def function_row(self, found: AllocationRow, depth: int) -> Row:
        return Row(
            FUNCTION,
            depth,
            function_label(found.function, found.location),
            count=found.live_count,
            expandable=found.has_callers,
            values=(found,),
        )

    def columns(self, narrow: bool) -> tuple[Column, ...]:
        return ALLOCATION_NARROW if narrow else ALLOCATION_WIDE

    def cells(self, row: Row, columns: tuple[Column, ...]) -> list[str]:
        if row.kind != FUNCTION:
            return [""] * len(columns)
        found: AllocationRow = row.values[0]
        return [_cell(getattr(found, c.key), c.width) for c in columns]

    def is_heavy(self, row: Row) -> bool:
        return False

    def children(self, row: Row) -> list[Row]:
        if row.kind != FUNCTION:
            return []
        callers = self.tree.callers(row.values[0])
        if self.sort_column != "size" or not self.descending:
            callers = self._ordered(callers)
        return [self.function_row(r, row.depth + 1) for r in callers]


class ProfileModel(TreeModel):
    """A sampling heap profile's functions, largest self size first."""

    def __init__(self, profile: SamplingProfile) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # no heap snapshot behind a sampling profile
        self.profile = profile
        self.rows = [self.function_row(f, 0) for f in profile.by_function()]

    def function_row(self, found: SampledFunction, depth: int) -> Row:
        return Row(
            FUNCTION,
            depth,
            function_label(found.function, found.location),
            count=found.samples,
            expandable=True,
            values=(found,),
        )

    def columns(self, narrow: bool) -> tuple[Column, ...]:
        return PROFILE_NARROW if narrow else PROFILE_WIDE

    def cells(self, row: Row, columns: tuple[Column, ...]) -> list[str]:
        found: SampledFunction = row.values[0]
        return [_cell(getattr(found, c.key), c.width) for c in columns]

    def is_heavy(self, row: Row) -> bool:
        return False

    def children(self, row: Row) -> list[Row]:
        callers = self.profile.callers(row.values[0])
        if not callers:
            row.expandable = False
        return [self.function_row(f, row.depth + 1) for f in callers]
