"""The Retainers pane under the main grid: who keeps the selected object alive."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...engine.ignore import IgnoredRetainers, ignore_retainers
from ...engine.snapshot import Snapshot
from ..tree_model import RetainersModel, object_title
from .tree_table import TreeTable


class RetainersPane(Vertical):
    """A title and a tree of retainers, rebuilt when the selection changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.target: int | None = None
        self.ignored = IgnoredRetainers()

    def compose(self) -> ComposeResult:
        yield Static("Retainers", id="retainers-title")
        yield TreeTable(name_title="Object", id="retainers-table")

    @property
    def table(self) -> TreeTable:
        return self.query_one("#retainers-table", TreeTable)

    def show(self, snapshot: Snapshot, target: int | None) -> None:
        """Show the retainers of ``target`` (a node ordinal), or nothing."""
        if snapshot is not self.snapshot:
            self.ignored = IgnoredRetainers()
        self.snapshot = snapshot
        self.target = target
        self._rebuild()

    def _rebuild(self, cursor: int = 0) -> None:
        title = self.query_one("#retainers-title", Static)
        if self.snapshot is None or self.target is None:
            title.update("Retainers")
            self.table.set_model(None)
            return
        ignored = f"  [dim]({len(self.ignored.nodes)} ignored, r resets)[/dim]" if self.ignored.nodes else ""
        title.update(f"Retainers of [b]{object_title(self.snapshot, self.target)}[/b]{ignored}")
        model = RetainersModel(self.snapshot, self.target, self.ignored.distances, self.ignored.nodes,
                               self.ignored.edges)
        self.table.set_model(model, cursor)

    def toggle_ignore(self, node: int) -> None:
        """DevTools' "Ignore this retainer" (or stop ignoring it): distances are recomputed."""
        if self.snapshot is None:
            return
        nodes = set(self.ignored.nodes)
        nodes.symmetric_difference_update({node})
        self.ignored = ignore_retainers(self.snapshot, frozenset(nodes))
        self._rebuild(self.table.cursor)

    def reset_ignored(self) -> None:
        self.ignored = IgnoredRetainers()
        self._rebuild()
