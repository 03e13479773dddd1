"""What every view of the Memory tab shares: a key and a title, being shown, and (for grids) following the cursor."""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from ..messages import ObjectSelected
from ..models.tree import CLASS, MORE
from ..widgets.tree_table import TreeTable


class Shown(Protocol):
    """What the main screen asks of a view (a :class:`View`, or the Statistics, a Static of its own)."""

    shows_retainers: ClassVar[bool]

    def shown(self) -> None: ...


class View(Vertical):
    """One view of the Memory tab: the main screen shows it, and calls :meth:`shown` each time it is."""

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    shows_retainers: ClassVar[bool] = True  # the Retainers pane is under it

    DEFAULT_CSS = """
    View { height: 1fr; }
    """

    def shown(self) -> None:
        """The view is now the one on screen: compute what it shows the first time, take the focus."""

    def take_focus(self, widget: Widget) -> None:
        """Focus ``widget`` now, not after the pending messages (``Widget.focus`` waits): keys typed right
        after the one that showed the view go to it, not to the view it replaced."""
        self.screen.set_focus(widget)


class GridView(View):
    """A view around one tree grid: its cursor drives the Retainers pane; ``s`` sorts where the model can."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = []

    @property
    def table(self) -> TreeTable:
        return self.query_one(TreeTable)

    def shown(self) -> None:
        self.take_focus(self.table)
        self.post_message(self.selection(at_once=True))

    def selection(self, at_once: bool = False) -> ObjectSelected:
        """The object under the grid's cursor (None on a class or "more" row), with its snapshot."""
        table = self.table
        row = table.current
        model = table.model
        if model is None or row is None:
            return ObjectSelected(None, None, at_once)
        node = row.node if row.kind not in (CLASS, MORE) and row.node >= 0 else None
        return ObjectSelected(model.snapshot_of(row), node, at_once)

    def on_tree_table_highlighted(self, event: TreeTable.Highlighted) -> None:
        if event.table is self.table:
            self.post_message(self.selection())

    def action_cycle_sort(self) -> None:
        self.table.cycle_sort()
