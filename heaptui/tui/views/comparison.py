"""The Comparison view: this snapshot against a base (DevTools' Comparison; ``b`` changes the base)."""

from __future__ import annotations

from collections.abc import Hashable

from textual.binding import Binding
from textual.content import Content

from ...engine.snapshot import Snapshot
from ..markup import with_texts
from ..models.series import ComparisonModel
from ..models.tree import TreeModel
from ..work import Job
from .series import SeriesView


class ComparisonView(SeriesView):
    """DevTools' Comparison: classes by Alloc. Size against the previous snapshot by default."""

    key, title = "comparison", "Comparison"
    table_id = "comparison-table"
    what = "Comparison"
    busy = "comparing…"

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort"),
        Binding("b", "cycle_base", "Base"),
    ]

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(snapshots, index, **kwargs)
        # The snapshot before this one; the first (oldest) has none: it says so, and b picks a newer one.
        self.base_index = index - 1 if index > 0 else None

    def inputs(self) -> Hashable:
        return self.base_index

    def action_cycle_base(self) -> None:
        """The next other snapshot as the base."""
        others = [i for i in range(len(self.snapshots)) if i != self.index]
        if not others:
            return
        at = others.index(self.base_index) if self.base_index in others else -1
        self.base_index = others[(at + 1) % len(others)]
        self.ensure()

    def compute(self, job: Job[TreeModel], inputs: Hashable) -> TreeModel:
        from ...engine.compare import compare

        assert isinstance(inputs, int)
        return ComparisonModel(job.call(compare, self.snapshots[inputs], self.snapshots[self.index]))

    def describe(self, model: TreeModel | None) -> Content | str:
        s = self.snapshots[self.index]
        if self.base_index is None:
            if len(self.snapshots) > 1:
                return with_texts(
                    "[b]$name[/b] is the oldest snapshot: there is no older base to compare it with.  "
                    "[dim](b: compare with a newer one, ] : the next snapshot)[/dim]",
                    name=s.stem,
                )
            return "The Comparison needs a second snapshot: open several files (heaptui s1 s2 …)."
        base = self.snapshots[self.base_index]
        head = with_texts(
            "[b]$name[/b] compared with base [b]$base[/b]  [dim](b: change the base)[/dim]",
            name=s.stem,
            base=base.stem,
        )
        if self.failure is not None:
            return head + self.failure_line()
        if not isinstance(model, ComparisonModel):
            return head + self.busy_text()
        total = model.comparison.totals
        if total.new_count is None or total.deleted_count is None:  # separate sessions: only the counts hold
            head += f"\n{total.delta:+,} objects, size delta {total.size_delta:+,} bytes"
        else:
            head += (
                f"\n{total.new_count:,} new, {total.deleted_count:,} deleted, size delta {total.size_delta:+,} bytes"
            )
        for warning in model.comparison.warnings:
            head += with_texts("\n[yellow]⚠ $warning[/yellow]", warning=warning)
        return head
