"""The Leaks view: objects allocated between the two snapshots before this one and still alive in it."""

from __future__ import annotations

from collections.abc import Hashable

from textual.content import Content

from ...engine.sizes import format_size
from ...textreport import wrap_path
from ...visible import visible
from ..markup import with_texts
from ..models.series import LeaksModel
from ..models.tree import TreeModel
from ..widgets.tree_table import TreeTable
from ..work import Job
from .series import SeriesView


class LeaksView(SeriesView):
    """The leak report for this snapshot and the two before it (memlab's baseline, target, final)."""

    key, title = "leaks", "Leaks"
    table_id = "leaks-table"
    name_title = "Leaked classes (cluster)"
    what = "Leak report"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.selected_path = ""

    def inputs(self) -> Hashable:
        return (self.index - 2, self.index - 1, self.index) if self.index >= 2 else None

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
            return with_texts(
                "Objects allocated between [b]$a[/b] and [b]$b[/b], still alive in [b]$c[/b]  [dim]finding them…[/dim]",
                a=a,
                b=b,
                c=c,
            )
        r = model.report
        text = with_texts(
            f"{r.leaked_count:,} objects allocated between [b]$a[/b] and [b]$b[/b] are alive in "
            f"[b]$c[/b]: {format_size(r.retained_size)} in {len(r.clusters):,} clusters",
            a=a,
            b=b,
            c=c,
        )
        for warning in r.warnings:
            text += with_texts("\n[yellow]⚠ $warning[/yellow]", warning=warning)
        if self.selected_path:
            # Escaped before it is wrapped (so the lines fit as shown), and its line breaks are wrap_path's.
            text += Content.from_markup("\n[dim]$path[/dim]", path=self.path_lines(visible(self.selected_path)))
        return text

    def path_lines(self, path: str) -> str:
        """The path (as shown, escaped) wrapped to the view's width; when it needs too many lines, its
        end (where the leak is) with ``…`` for the start."""
        width = max(40, (self.title_line.content_size.width or self.size.width - 2) - 1)  # the title's own width
        lines = wrap_path(path, width, "").split("\n")
        room = 2 if self.app.size.height < 30 else 4
        if len(lines) <= room:
            return "\n".join(lines)
        tail = path.split(" → ")
        while len(wrap_path("… → " + " → ".join(tail), width, "").split("\n")) > room:
            tail = tail[1:]
        return wrap_path("… → " + " → ".join(tail), width, "")

    def on_resize(self) -> None:
        """Wrap the path again at the new width: the first wrap may come before layout gave the view its size."""
        if self.selected_path:
            self.title_line.update(self.describe(self.models.get(self.wanted)))

    def on_tree_table_highlighted(self, event: TreeTable.Highlighted) -> None:
        """The selected cluster's retainer path under the title; the Retainers pane follows the cursor."""
        super().on_tree_table_highlighted(event)
        model = self.table.model
        path = model.path_of(self.table.cursor) if isinstance(model, LeaksModel) else ""
        if path != self.selected_path:
            self.selected_path = path
            self.title_line.update(self.describe(self.models.get(self.wanted)))
