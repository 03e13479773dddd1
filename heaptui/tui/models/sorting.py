"""One sort API for the grids' models: the columns a model sorts by, and ``model.sort(column, descending)``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SortKey:
    """A column a model can sort by: its key, the words for it, and the direction a first sort takes."""

    column: str
    label: str
    descending: bool = True  # sizes and counts largest first; names and distances from the start


class Sortable:
    """A model whose rows can be reordered by one of its :attr:`SORTS`; expanded rows close when it sorts.

    Subclasses set :attr:`SORTS` (the first is the default) and implement :meth:`reorder`.
    """

    SORTS: tuple[SortKey, ...] = ()
    sort_column: str = ""
    descending: bool = True

    def sort_key(self, column: str) -> SortKey | None:
        return next((key for key in self.SORTS if key.column == column), None)

    def can_sort(self, column: str) -> bool:
        return self.sort_key(column) is not None

    def sort(self, column: str, descending: bool | None = None) -> None:
        """Sort by ``column`` (one of :attr:`SORTS`), in its usual direction unless ``descending`` says."""
        key = self.sort_key(column)
        if key is None:
            raise ValueError(f"cannot sort by {column!r}")
        self.sort_column = column
        self.descending = key.descending if descending is None else descending
        self.reorder()

    def toggled(self, column: str) -> bool | None:
        """The direction a click on ``column``'s header asks for: the other one when it is already sorted by it."""
        return not self.descending if column == self.sort_column else None

    def next_sort(self) -> str:
        """The column after the current one (the ``s`` key cycles through them)."""
        columns = [key.column for key in self.SORTS]
        at = columns.index(self.sort_column) if self.sort_column in columns else -1
        return columns[(at + 1) % len(columns)]

    def reorder(self) -> None:
        raise NotImplementedError
