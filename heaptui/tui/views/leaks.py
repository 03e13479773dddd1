"""The Leaks view: objects allocated between the two snapshots before this one and still alive in it."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from ...engine.sizes import format_size
from ...visible import visible
from ..format import plural
from ..markup import with_texts
from ..models.paths import fold_path
from ..models.series import LeaksModel
from ..models.tree import TreeModel
from ..screens.path import PathScreen
from ..widgets.tree_table import TreeTable
from ..work import Job
from .series import SeriesView

PREFETCH_AFTER = 1.0  # seconds after the screen is up: the instance index and the first paint come first
# Unasked only while it is a few seconds of work (three 100 MB snapshots hold 4.2M nodes); three 1 GB ones would
# keep a core and the memory busy for a report the user may never open.
PREFETCH_NODES = 12_000_000


class LeaksView(SeriesView):
    """The leak report for this snapshot and the two before it (memlab's baseline, target, final)."""

    key, title = "leaks", "Leaks"
    table_id = "leaks-table"
    name_title = "Leaked classes (cluster)"
    what = "Leak report"
    busy = "computing the leak report…"
    # The report takes a second or two of a 100 MB series: started once the app has settled, unasked, so that
    # the key shows it sooner (three snapshots open say what the user came for).
    prefetch_after = PREFETCH_AFTER

    BINDINGS = [Binding("p", "whole_path", "Whole path")]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.selected_path = ""

    def compose(self) -> ComposeResult:
        yield Static("", classes="series-title")
        yield Static("", id="leak-path")
        yield TreeTable(name_title=self.name_title, id=self.table_id)

    @property
    def path_line(self) -> Static:
        return self.query_one("#leak-path", Static)

    def inputs(self) -> Hashable:
        return (self.index - 2, self.index - 1, self.index) if self.index >= 2 else None

    def prefetch(self) -> None:
        key = self.inputs()
        if isinstance(key, tuple) and sum(self.snapshots[i].node_count for i in key) <= PREFETCH_NODES:
            super().prefetch()

    def compute(self, job: Job[TreeModel], inputs: Hashable) -> TreeModel:
        from ...engine.leaks import leak_report

        assert isinstance(inputs, tuple)
        return LeaksModel(job.call(leak_report, *(self.snapshots[i] for i in inputs)))

    def describe(self, model: TreeModel | None) -> Content | str:
        if self.index < 2:
            return (
                "The leak report needs two older snapshots: open three (heaptui s1 s2 s3) "
                "and switch to the last one with ]."
            )
        a, b, c = (self.snapshots[i].stem for i in (self.index - 2, self.index - 1, self.index))
        if self.failure is not None:
            return (
                with_texts("Objects allocated between [b]$a[/b] and [b]$b[/b], still alive in [b]$c[/b]", a=a, b=b, c=c)
                + self.failure_line()
            )
        if not isinstance(model, LeaksModel):
            return (
                with_texts("Objects allocated between [b]$a[/b] and [b]$b[/b], still alive in [b]$c[/b]", a=a, b=b, c=c)
                + self.busy_text()
            )
        r = model.report
        text = with_texts(
            f"{r.leaked_count:,} {plural(r.leaked_count, 'object')} allocated between [b]$a[/b] and [b]$b[/b] "
            f"{'is' if r.leaked_count == 1 else 'are'} alive in [b]$c[/b]: {format_size(r.retained_size)} in "
            f"{len(r.clusters):,} {plural(len(r.clusters), 'cluster')}",
            a=a,
            b=b,
            c=c,
        )
        for warning in r.warnings:
            text += with_texts("\n[yellow]⚠ $warning[/yellow]", warning=warning)
        return text

    def path_lines(self, path: str) -> str:
        """The path (as shown, escaped) at the width the path line has now: both ends kept (the root side
        and the leaked object), the middle folded when it needs more lines than there is room for."""
        width = self.path_line.content_size.width or self.size.width - 2
        room = 2 if self.app.size.height < 30 else 4
        return "\n".join(fold_path(path, max(20, width), room))

    def show_path(self) -> None:
        line = self.path_line
        line.display = bool(self.selected_path)
        if self.selected_path:
            line.update(Content(self.path_lines(visible(self.selected_path))))

    def on_resize(self) -> None:
        """Wrap the path again at the new width (the first wrap may come before layout gave it a size)."""
        self.call_after_refresh(self.show_path)

    def action_whole_path(self) -> None:
        """The whole path, one step a line, in a window that scrolls."""
        if self.selected_path:
            self.app.push_screen(PathScreen("Retainer path", self.selected_path))
        else:
            self.notify("Select a leaked cluster to see its retainer path.", timeout=3)

    def on_tree_table_highlighted(self, event: TreeTable.Highlighted) -> None:
        """The selected cluster's retainer path under the title; the Retainers pane follows the cursor."""
        super().on_tree_table_highlighted(event)
        model = self.table.model
        path = model.path_of(self.table.cursor) if isinstance(model, LeaksModel) else ""
        if path != self.selected_path:
            self.selected_path = path
            self.show_path()
