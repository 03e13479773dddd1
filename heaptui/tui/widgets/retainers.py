"""The Retainers pane under the main grid: who keeps the selected object alive."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...engine.ignore import IgnoredRetainers, ignore_retainers
from ...engine.snapshot import Snapshot
from ..markup import with_texts
from ..tree_model import HEAVY, RetainersModel, object_title
from .tree_table import TreeTable


class RetainersPane(Vertical):
    """A title and a tree of retainers, rebuilt when the selection changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.target: int | None = None
        self.ignored = IgnoredRetainers()
        self._generation = 0  # which selection the tree being built is for
        self.building = False  # a tree is being built for the current selection

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

    def _rebuild(self, cursor: int = 0, ignore: frozenset[int] | None = None) -> None:
        """Show the new title now, and the tree (with its first chain opened) when it is built.

        Most objects have a few retainers and their tree is built at once. An
        object held by a hundred thousand others, or a new set of ignored nodes
        (``ignore``: distances recomputed over the whole heap), is built on a
        thread so the screen stays live, and a result for a selection that has
        since changed is dropped. (Building every tree on a thread would not help:
        the builder's Python work would hold the GIL while keys arrive.)
        """
        title = self.query_one("#retainers-title", Static)
        self._generation += 1
        if self.snapshot is None or self.target is None:
            title.update("Retainers")
            self.table.set_model(None)
            self.building = False
            return
        self.building = True
        count = len(self.ignored.nodes if ignore is None else ignore)
        ignored = f"  [dim]({count} ignored, r resets)[/dim]" if count else ""
        title.update(with_texts(f"Retainers of [b]$name[/b]{ignored}", name=object_title(self.snapshot, self.target)))
        generation, snapshot, target, state = self._generation, self.snapshot, self.target, self.ignored

        def build() -> tuple[IgnoredRetainers, RetainersModel]:
            new_state = state if ignore is None else ignore_retainers(snapshot, ignore)
            return new_state, RetainersModel(snapshot, target, new_state.distances, new_state.nodes,
                                             new_state.edges)

        held_by = int(snapshot.first_retainer[target + 1] - snapshot.first_retainer[target])
        if ignore is None and held_by <= HEAVY:
            self._apply(generation, *build(), cursor)
            return
        threading.Thread(target=lambda: self.app.call_from_thread(self._apply, generation, *build(), cursor),
                         name="heaptui-retainers", daemon=True).start()

    def _apply(self, generation: int, state: IgnoredRetainers, model: RetainersModel, cursor: int) -> None:
        if generation == self._generation:
            self.ignored = state
            self.table.set_model(model, cursor)
            self.building = False

    def toggle_ignore(self, node: int) -> None:
        """DevTools' "Ignore this retainer" (or stop ignoring it): distances are recomputed."""
        if self.snapshot is None:
            return
        nodes = set(self.ignored.nodes)
        nodes.symmetric_difference_update({node})
        self._rebuild(self.table.cursor, frozenset(nodes))

    def reset_ignored(self) -> None:
        self.ignored = IgnoredRetainers()
        self._rebuild()
