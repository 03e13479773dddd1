"""The Allocation view of a ``.heaptimeline`` (or of a snapshot with allocation stacks).

The functions that allocated the live objects, and their callers. The tree
is background work started when the view is first shown (parsing the trace
tree takes a moment); ``g`` on a function asks the main screen to filter the
Summary to the live objects it allocated.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ...engine.allocation import AllocationTree, allocation_tree
from ...engine.sizes import format_size
from ...engine.snapshot import Snapshot
from ...engine.timeline import timeline_intervals
from ..format import plural
from ..markup import with_texts
from ..messages import FilterApplied, WorkFailed
from ..models.allocation import FUNCTION, AllocationModel
from ..widgets.tree_table import TreeTable
from ..work import Job, work_of
from .base import GridView

HINT = "[dim](enter: callers · g: these objects in the Summary)[/dim]"


class AllocationView(GridView):
    """A title saying what the tree holds (or why it is empty) over the bottom-up grid."""

    key, title = "allocation", "Allocation"
    shows_retainers = False

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort"),
        Binding("g", "allocated_by", "Go to"),
    ]

    DEFAULT_CSS = """
    AllocationView { height: 1fr; }
    AllocationView > .allocation-title { height: auto; padding: 0 1; }
    """

    def __init__(self, snapshot: Snapshot, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot
        self.allocations: AllocationTree | None = None

    def compose(self) -> ComposeResult:
        yield Static("Allocation: computing…", classes="allocation-title")
        yield TreeTable(name_title="Function", id="allocation-table")

    def shown(self) -> None:
        """Build the tree the first time the view is shown (or after a failure)."""
        self.take_focus(self.table)
        work = work_of(self.app)
        if self.allocations is not None or work.current(self, "allocation") is not None:
            return
        self.query_one(".allocation-title", Static).update("Allocation: computing…")
        snapshot = self.snapshot

        def tree(
            job: Job[tuple[AllocationTree, AllocationModel | None, int]],
        ) -> tuple[AllocationTree, AllocationModel | None, int]:
            found = job.call(allocation_tree, snapshot)
            return found, AllocationModel(found) if found else None, _untraced(job, found)

        work.run(self, "allocation", tree, self._computed, what="Allocation tree")

    def _computed(self, found: tuple[AllocationTree, AllocationModel | None, int]) -> None:
        tree, model, untraced = found
        self.allocations = tree
        title = self.query_one(".allocation-title", Static)
        if model is None:
            title.update(with_texts("[b]No allocation stacks[/b]: $reason", reason=tree.reason or ""))
            self.table.display = False
            return
        live = sum(row.values[0].live_size for row in model.rows)
        functions = len(model.rows)
        text = (
            f"[b]Allocation[/b] · {functions:,} {plural(functions, 'function')} allocated objects still alive "
            f"({format_size(live)})"
        )
        if untraced:
            text += (
                f" · {untraced:,} {plural(untraced, 'object')} allocated while recording "
                f"{'has' if untraced == 1 else 'have'} no stack"
            )
        title.update(f"{text}  {HINT}")
        self.table.set_model(model)

    def on_work_failed(self, event: WorkFailed) -> None:
        if event.kind == "allocation":
            self.query_one(".allocation-title", Static).update(
                with_texts("[red]$text[/red]  [dim](show the view again to retry)[/dim]", text=event.text)
            )

    def action_allocated_by(self) -> None:
        """The Summary of the objects a function (with the callers on the way to it) allocated."""
        model, row = self.table.model, self.table.current
        if not isinstance(model, AllocationModel) or row is None or row.kind != FUNCTION:
            return
        found = row.values[0]
        where = f" ({found.location.rsplit('/', 1)[-1]})" if found.location else ""
        self.post_message(
            FilterApplied(
                f"Objects allocated by {found.function or '(anonymous)'}{where}", lambda: model.tree.live_mask(found)
            )
        )


def _untraced(job: Job, tree: AllocationTree) -> int:
    """Live JS objects of the recording that no stack accounts for (V8 drops a moved object's stack)."""
    if not tree or not tree.snapshot.has_timeline:
        return 0
    timeline = job.call(timeline_intervals, tree.snapshot)
    return int(tree.untraced(int(timeline.max_id[0])).size) if len(timeline) else 0
