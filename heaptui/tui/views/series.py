"""The views over several snapshots (Comparison, Leaks): a title and a grid whose model is background work.

A model is computed once per set of inputs (the base of a Comparison) and
kept; asking for other inputs supersedes the computation under way. A failed
computation leaves a line in the title and the view usable (``b`` asks again).

A view with :attr:`SeriesView.prefetch_after` set (the Leaks view) starts its
model that many seconds after it is mounted, before it is first shown, so that
its key shows the result (or the rest of the computation) sooner; showing the
view while that computation runs waits for it rather than starting another.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from ...engine.snapshot import Snapshot
from ..markup import with_texts
from ..messages import WorkFailed
from ..models.tree import TreeModel
from ..widgets.tree_table import TreeTable
from ..work import Job, work_of
from .base import GridView


class SeriesView(GridView):
    """A title line and a grid whose model is computed off the UI thread, once per set of inputs."""

    DEFAULT_CSS = """
    SeriesView { height: 1fr; }
    """

    table_id = ""
    name_title = "Constructor"
    what = ""  # the work's name in a failure ("Comparison failed: …")
    busy = "computing…"  # what the title says at once while the model is computed
    prefetch_after: float | None = None  # seconds after mounting to start the model unasked (None: when shown)

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots = snapshots
        self.index = index
        self.models: dict[Hashable, TreeModel] = {}
        self.wanted: Hashable = None  # the inputs of the model being shown or computed
        self.failure: str | None = None  # the last computation's failure, shown in the title
        self.computing: Hashable = None  # the inputs of the model being computed (if a job is current)

    def compose(self) -> ComposeResult:
        yield Static("", classes="series-title")
        yield TreeTable(name_title=self.name_title, id=self.table_id)

    @property
    def title_line(self) -> Static:
        return self.query_one(".series-title", Static)

    def inputs(self) -> Hashable:
        raise NotImplementedError

    def compute(self, job: Job[TreeModel], inputs: Hashable) -> TreeModel:
        raise NotImplementedError

    def describe(self, model: TreeModel | None) -> Content | str:
        raise NotImplementedError

    def on_mount(self) -> None:
        if self.prefetch_after is not None:
            self.set_timer(self.prefetch_after, self.prefetch)

    def shown(self) -> None:
        self.ensure()
        super().shown()

    def prefetch(self) -> None:
        """Start computing the model for the current inputs, unless it is known, under way, or has failed."""
        key = self.inputs()
        if key is None or key in self.models or self.failure is not None or self._under_way(key):
            return
        self._start(key)

    def _under_way(self, key: Hashable) -> bool:
        return self.computing == key and work_of(self.app).current(self, "model") is not None

    def _start(self, key: Hashable) -> Job[TreeModel]:
        self.computing = key
        return work_of(self.app).run(
            self, "model", lambda job: self.compute(job, key), lambda model: self._computed(key, model), what=self.what
        )

    def ensure(self) -> None:
        """Show the model for the current inputs, computing it as background work the first time."""
        key = self.inputs()
        self.wanted = key
        self.failure = None
        if key is None or key in self.models:
            work_of(self.app).cancel(self, "model")
            self._show(key)
            return
        self.table.set_model(None)
        current = work_of(self.app).current(self, "model")
        job = current if current is not None and self._under_way(key) else self._start(key)
        self.title_line.update(self.describe(None))
        timers: list[Timer] = []
        timers.append(self.set_interval(0.25, lambda: self._tick(job, timers[0])))

    def _tick(self, job: Job[TreeModel], ticker: Timer) -> None:
        """While the model is computed, the title says how far the engine got (its progress callbacks)."""
        if job.finished.is_set() or work_of(self.app).current(self, "model") is not job:
            ticker.stop()
            return
        self.title_line.update(self.describe(None))

    def busy_text(self) -> Content:
        """``computing the leak report…`` and, once the engine reports it, the phase and done/total."""
        job = work_of(self.app).current(self, "model")
        progress = job.last_progress if job is not None else None
        text = self.busy
        if progress is not None:
            phase, done, total = progress
            text += f" {phase}" if phase else ""
            if total > 0:
                text += f" {done:,}/{total:,} ({100 * done // total}%)"
        return with_texts("  [b $warning]$text[/]", text=text)

    def _computed(self, key: Hashable, model: TreeModel) -> None:
        self.computing = None
        self.models[key] = model
        if key == self.wanted:
            self._show(key)

    def _show(self, key: Hashable) -> None:
        model = self.models.get(key) if key is not None else None
        self.title_line.update(self.describe(model))
        self.table.set_model(model)
        if self.table.has_focus:
            self.post_message(self.selection(at_once=True))

    def on_work_failed(self, event: WorkFailed) -> None:
        if event.kind == "model":
            self.computing = None
            self.failure = event.text
            self.title_line.update(self.describe(None))

    def failure_line(self) -> Content:
        return with_texts("\n[red]$text[/red]", text=self.failure or "")
