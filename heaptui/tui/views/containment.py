"""The Containment view: the heap from its root down, edge by edge (DevTools' Containment)."""

from __future__ import annotations

from textual.app import ComposeResult

from ...engine.snapshot import Snapshot
from ..models.tree import ContainmentModel
from ..widgets.tree_table import TreeTable
from .base import GridView


class ContainmentView(GridView):
    """The root's edges; its model is made when the view is first shown (nothing compiled runs before the
    first paint)."""

    key, title = "containment", "Containment"

    def __init__(self, snapshot: Snapshot, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        yield TreeTable(None, name_title="Object", id="containment-table")

    def shown(self) -> None:
        if self.table.model is None:
            self.table.set_model(ContainmentModel(self.snapshot))
        super().shown()
