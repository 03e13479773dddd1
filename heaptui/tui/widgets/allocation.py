"""The Allocation view of a ``.heaptimeline``: the functions that allocated the live objects, and their callers."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...engine.allocation import AllocationTree, allocation_tree
from ...engine.snapshot import Snapshot
from ...engine.timeline import timeline_intervals
from ...textreport import human_size
from ..allocation_model import AllocationModel
from ..markup import with_texts
from .tree_table import TreeTable

HINT = "[dim](enter: callers · g: these objects in the Summary)[/dim]"


class AllocationView(Vertical):
    """A title saying what the tree holds (or why it is empty) over the bottom-up grid."""

    DEFAULT_CSS = """
    AllocationView { height: 1fr; }
    AllocationView > .allocation-title { height: auto; padding: 0 1; }
    """

    def __init__(self, snapshot: Snapshot, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot
        self.allocations: AllocationTree | None = None
        self.computing = False

    def compose(self) -> ComposeResult:
        yield Static("Allocation: computing…", classes="allocation-title")
        yield TreeTable(name_title="Function", id="allocation-table")

    @property
    def ready(self) -> bool:
        """Nothing is being computed (tests and scripts wait for this)."""
        return not self.computing

    def ensure(self) -> None:
        """Build the tree the first time the view is shown (parsing the trace tree takes a moment)."""
        if self.allocations is not None or self.computing:
            return
        self.computing = True
        snapshot = self.snapshot

        def work() -> None:
            tree = allocation_tree(snapshot)
            model = AllocationModel(tree) if tree else None
            self.app.call_from_thread(self._computed, tree, model, _untraced(tree))

        threading.Thread(target=work, name="heaptui-allocation", daemon=True).start()

    def _computed(self, tree: AllocationTree, model: AllocationModel | None, untraced: int) -> None:
        self.allocations = tree
        self.computing = False
        title = self.query_one(".allocation-title", Static)
        if model is None:
            title.update(with_texts("[b]No allocation stacks[/b]: $reason", reason=tree.reason or ""))
            self.query_one(TreeTable).display = False
            return
        live = sum(row.values[0].live_size for row in model.rows)
        text = (f"[b]Allocation[/b] · {len(model.rows):,} functions allocated objects still alive "
                f"({human_size(live)})")
        if untraced:
            text += f" · {untraced:,} objects allocated while recording have no stack"
        title.update(f"{text}  {HINT}")
        self.query_one(TreeTable).set_model(model)


def _untraced(tree: AllocationTree) -> int:
    """Live JS objects of the recording that no stack accounts for (V8 drops a moved object's stack)."""
    if not tree or tree.snapshot.samples is None or not tree.snapshot.samples.size:
        return 0
    timeline = timeline_intervals(tree.snapshot)
    return int(tree.untraced(int(timeline.max_id[0])).size) if len(timeline) else 0
