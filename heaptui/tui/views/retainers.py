"""The Retainers pane under the main grid: who keeps the selected object alive.

It follows the selected object of any grid (:meth:`RetainersPane.follow`)
after a short pause, so holding a cursor key stays smooth: the pause is a
background job, and each new selection supersedes the job of the one before.
The tree itself is built as background work too, whatever the object: its
first chain opens up to 20 levels, and on a 1 GB heap a string's tree took
about 100 ms, which on the UI thread held up any key pressed meanwhile (the
builder's Python work shares the GIL with the UI thread, but gives it back
every few milliseconds). Until the new tree arrives the title already names
the new object; a new set of ignored nodes (distances recomputed over the
whole heap) fades the old rows while it is computed.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from ...engine.ignore import IgnoredRetainers, ignore_retainers
from ...engine.snapshot import Snapshot
from ..format import keep_id
from ..markup import with_texts
from ..messages import WorkFailed
from ..models.tree import RETAINER, RetainersModel
from ..widgets.tree_table import TreeTable
from ..work import Job, work_of
from .base import View

RETAINERS_DELAY = 0.08  # seconds of a still cursor before the pane follows it
# Shown in the pane when the selected row is no object (a class, "… more"): says the pane is not broken.
NO_OBJECT = "Select an object to see its retainers."

Built = tuple[IgnoredRetainers, RetainersModel] | None


class RetainersPane(View):
    """A title and a tree of retainers, rebuilt when the selection changes."""

    key, title = "retainers", "Retainers"

    BINDINGS = [
        Binding("i", "ignore", "Ignore"),
        Binding("r", "reset_ignored", "Reset ignored", show=False),
    ]

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

    def _title(self, text: str | Content) -> None:
        """A new title, drawn without laying the screen out again (``Static.update`` does by default, 3-5 ms a
        selection): the title is one line under the pane's rule, whatever its text."""
        self.query_one("#retainers-title", Static).update(text, layout=False)

    def _on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark_focus()

    def _on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark_focus()

    def _mark_focus(self) -> None:
        """Mark the pane while the keys go to it: a class on its title alone, which has no children to
        restyle (Textual restyles every descendant of a node whose class changes; a ``:focus-within`` rule
        on the pane restyled its grid and scroll bars, 4 ms of each ``tab``)."""
        self.query_one("#retainers-title").set_class(self.has_focus_within, "-focused")

    def follow(self, snapshot: Snapshot | None, target: int | None, at_once: bool = False) -> None:
        """Show the retainers of ``target`` (a node ordinal of ``snapshot``), or nothing, after the pause."""
        if at_once:
            self.show(snapshot, target)
            return
        if target == self.target and snapshot is self.snapshot and self._idle():
            return

        def pause(job: Job[None]) -> None:
            job.pause(RETAINERS_DELAY)

        work_of(self.app).run(self, "retainers", pause, lambda _: self.show(snapshot, target), what="Retainers")

    def _idle(self) -> bool:
        return work_of(self.app).current(self, "retainers") is None

    def show(self, snapshot: Snapshot | None, target: int | None) -> None:
        """Show the retainers of ``target`` now (a heavy tree: once built)."""
        if snapshot is not self.snapshot:
            self.ignored = IgnoredRetainers()
        shown = self.table.model is not None or target is None  # the tree, or the "select an object" hint
        if target == self.target and snapshot is self.snapshot and shown and self._idle():
            return  # what the pane shows already (a view shown again re-selects its object): nothing to redo
        self.snapshot = snapshot
        self.target = target
        self._rebuild()

    def _rebuild(self, cursor: int = 0, ignore: frozenset[int] | None = None) -> None:
        """Show the new title now, and the tree (with its first chain opened) when it is built."""
        work = work_of(self.app)
        snapshot, target, state = self.snapshot, self.target, self.ignored
        if snapshot is None or target is None:
            work.cancel(self, "retainers")
            self._title("Retainers")
            self.table.set_stale(False)
            self.table.set_empty_text(NO_OBJECT, hint=True)
            self.table.set_model(None)
            return
        self.table.set_empty_text("")
        count = len(state.nodes if ignore is None else ignore)
        ignored = f"  [dim]({count} ignored, r resets)[/dim]" if count else ""
        name = keep_id(snapshot.object_title(target), max(20, self.size.width - 16 - len(ignored) // 2))
        title_text = with_texts(f"Retainers of [b]$name[/b]{ignored}", name=name)
        self._title(title_text)

        def build(job: Job[Built]) -> Built:
            new_state = state if ignore is None else job.call(ignore_retainers, snapshot, ignore)
            return new_state, RetainersModel(snapshot, target, new_state.distances, new_state.nodes, new_state.edges)

        if ignore is not None:  # distances over the whole heap: the old rows stay, faded, until the new arrive
            self.table.set_stale(True)
            self._title(with_texts(f"Retainers of [b]$name[/b]  [b $warning]updating…[/]{ignored}", name=name))
        work.run(self, "retainers", build, lambda built: self._apply(built, cursor, title_text), what="Retainers")

    def _apply(self, built: Built, cursor: int, title_text: Content | None = None) -> None:
        self.table.set_stale(False)
        if title_text is not None:
            self._title(title_text)
        if built is not None:
            self.ignored, model = built
            self.table.set_model(model, cursor)

    def on_work_failed(self, event: WorkFailed) -> None:
        if event.kind == "retainers":
            self.table.set_stale(False)
            self.table.set_model(None)
            self._title(with_texts("[red]$text[/red]", text=event.text))

    def action_ignore(self) -> None:
        """DevTools' "Ignore this retainer" (or stop ignoring it): distances are recomputed."""
        row = self.table.current
        if self.snapshot is None or row is None or row.kind != RETAINER or not self.table.has_focus:
            self.notify("Select a retainer in the Retainers pane (tab) to ignore it.", timeout=3)
            return
        nodes = set(self.ignored.nodes)
        nodes.symmetric_difference_update({row.node})
        self._rebuild(self.table.cursor, frozenset(nodes))

    def action_reset_ignored(self) -> None:
        self.ignored = IgnoredRetainers()
        self._rebuild()
