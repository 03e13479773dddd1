"""The Memory tab of one snapshot: a view bar, the current view, the Retainers pane and the keys.

The screen only switches views and routes the views' messages: an object
selected in a grid goes to the Retainers pane, a filter chosen in the
Timeline or Allocation view goes to the Summary, a request to reveal an
object goes to the Summary of the snapshot that holds it. Each view owns its
keys, its sort and its filter. Views are listed in the header in the order
their number keys select them; Comparison and Leaks appear when several
snapshots are open, with the list of snapshots beside them (``[`` and ``]``
switch).
"""

from __future__ import annotations

import os
from typing import cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ...engine.sizes import format_size
from ...engine.snapshot import Snapshot
from ...visible import visible
from ..collector import start_collecting
from ..markup import with_texts
from ..messages import FilterApplied, ObjectSelected, RevealRequested, SnapshotSwitched
from ..models.tree import warm_up
from ..views.allocation import AllocationView
from ..views.base import Shown
from ..views.comparison import ComparisonView
from ..views.containment import ContainmentView
from ..views.leaks import LeaksView
from ..views.retainers import RetainersPane
from ..views.statistics import StatisticsView
from ..views.summary import SummaryView
from ..views.timeline import TimelineView
from ..widgets.footer import KeysFooter
from ..widgets.snapshot_list import SnapshotList
from ..widgets.tree_table import TreeTable
from ..widgets.view_bar import ViewBar
from ..work import Job, work_of

VIEWS = (
    ("summary", "Summary"),
    ("containment", "Containment"),
    ("statistics", "Statistics"),
    ("comparison", "Comparison"),
    ("leaks", "Leaks"),
    ("timeline", "Timeline"),
    ("allocation", "Allocation"),
)
SIDEBAR_FROM = 110  # columns: below this the snapshot list would take too much room from the grids
# Below this many columns the view tabs use short names, so that all of them show, the first one whole.
SHORT_TABS_BELOW = 100
SHORT_TITLES = {
    "containment": "Contain",
    "statistics": "Stats",
    "comparison": "Compare",
    "timeline": "Time",
    "allocation": "Alloc",
}


def views_for(count: int, snapshot: Snapshot | None = None) -> tuple[tuple[str, str], ...]:
    """The views that make sense with ``count`` snapshots open, ``snapshot`` being the one shown.

    The Timeline needs a recording's samples (a ``.heaptimeline``); the
    Allocation view is there for a recording (saying why it is empty when it
    was made without allocation stacks, as DevTools' default recording is) and
    for any snapshot with stacks (``node --track-heap-objects``).
    """
    timeline = snapshot is not None and snapshot.has_timeline
    stacks = snapshot is not None and snapshot.has_allocation_stacks
    wanted = {"comparison": count > 1, "leaks": count > 2, "timeline": timeline, "allocation": timeline or stacks}
    return tuple(v for v in VIEWS if wanted.get(v[0], True))


class MainScreen(Screen, inherit_bindings=False):
    """One snapshot's views.

    Its keys are its own (Screen's generic ones, copy and focus cycling, are not inherited: ``?`` lists
    only what heaptui does), and the number keys are bound per view that exists, named after it.
    """

    BINDINGS = [
        Binding("tab", "switch_pane", "Pane", priority=True),
        Binding("shift+tab", "switch_pane", "Pane", show=False),
        Binding("g", "goto", "Go to"),
        Binding("left_square_bracket", "snapshot(-1)", "Prev snapshot", show=False),
        Binding("right_square_bracket", "snapshot(1)", "Next snapshot", show=False),
        # Keys of the Summary and the Comparison that work from any view: they show it first.
        Binding("slash", "in_view('summary', 'open_search')", "Filter", show=False),
        Binding("f", "in_view('summary', 'pick_filter')", "Filters", show=False),
        Binding("a", "in_view('summary', 'next_window')", "Allocated", show=False),
        Binding("b", "in_view('comparison', 'cycle_base')", "Base", show=False),
    ]

    def __init__(self, snapshots: list[Snapshot] | Snapshot, index: int | None = None) -> None:
        super().__init__()
        self.snapshots = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
        self.index = len(self.snapshots) - 1 if index is None else index
        self.snapshot = self.snapshots[self.index]
        self.views = views_for(len(self.snapshots), self.snapshot)
        self._current_view = "summary"  # the key of the view shown
        for number, (_, title) in enumerate(self.views, 1):
            self._bindings.bind(str(number), f"view_number({number})", title, show=False)

    def compose(self) -> ComposeResult:
        s = self.snapshot
        many = len(self.snapshots) > 1
        where = f" · snapshot {self.index + 1} of {len(self.snapshots)}" if many else ""
        yield Static(
            with_texts(
                f"[b]heaptui[/b] · $file{where} · [dim]{format_size(s.total_size)} in {s.node_count:,} objects[/dim]",
                file=os.path.basename(s.path),
            ),
            id="topbar",
        )
        keys = {key for key, _ in self.views}
        with Horizontal(id="body"):
            if many:
                yield SnapshotList(self.snapshots, self.index, id="snapshots")
            with Vertical(id="main"):
                yield ViewBar(self.tab_labels(short=False), "summary", id="view-tabs")
                views: list[Widget] = [
                    SummaryView(self.snapshots, self.index, id="summary"),
                    ContainmentView(s, id="containment"),
                    StatisticsView(s, id="statistics"),
                ]
                if "comparison" in keys:
                    views.append(ComparisonView(self.snapshots, self.index, id="comparison"))
                if "leaks" in keys:
                    views.append(LeaksView(self.snapshots, self.index, id="leaks"))
                if "timeline" in keys:
                    views.append(TimelineView(s, id="timeline"))
                if "allocation" in keys:
                    views.append(AllocationView(s, id="allocation"))
                for view in views:
                    view.display = view.id == self._current_view
                    view.add_class("-view", update=False)
                    if cast(Shown, view).shows_retainers:
                        view.add_class("-over-retainers", update=False)
                    yield view
                yield RetainersPane(id="retainers")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys for several snapshots are hidden (and do nothing) when only one is open."""
        if action == "snapshot" and len(self.snapshots) < 2:
            return False
        if action == "in_view" and not any(key == parameters[0] for key, _ in self.views):
            return False
        return True

    def on_resize(self) -> None:
        for sidebar in self.query("#snapshots"):
            sidebar.display = self.size.width >= SIDEBAR_FROM
        for bar in self.query("#view-tabs").results(ViewBar):
            bar.set_labels([label for _, label in self.tab_labels(self.size.width < SHORT_TABS_BELOW)])

    def tab_labels(self, short: bool) -> list[tuple[str, str]]:
        """Each view's key and its name in the view bar, after its number key (short names: ``short``)."""
        return [
            (key, f"{i + 1} {SHORT_TITLES.get(key, title) if short else title}")
            for i, (key, title) in enumerate(self.views)
        ]

    def on_mount(self) -> None:
        for note in self.snapshot.lost:
            self.notify(visible(f"Salvaged a truncated snapshot: {note}"), severity="warning", timeout=10, markup=False)
        # Index every class's instances once the screen is up, off the UI thread, so no expansion waits; then
        # load the kernels the grids' rows need (loaded on the UI thread, the first keys that need them would wait).
        snapshot = self.snapshot

        def settled() -> None:
            # Python's full garbage collections walk every object alive: once numba, the kernels and the screen
            # are loaded, that took up to 0.1 s on the app thread, several times a minute of use (a key pressed
            # then waits for it). Objects alive now stay alive, so they are left out of later collections, and
            # the later ones run while the user is idle (tui/collector.py).
            start_collecting(self.app)

        def prepare(job: Job[None]) -> None:
            job.call(snapshot.instances_index)
            job.call(warm_up, snapshot)

        self.call_after_refresh(
            lambda: work_of(self.app).run(self, "instances", prepare, lambda _: settled(), what="The instance index")
        )
        table = next(self.query("#summary-table").results(TreeTable), None)
        if table is None:
            return  # the app is closing before this screen finished mounting (a quit as loading ends)
        table.focus()

    # ---------------------------------------------------------------- views

    @property
    def current_view(self) -> str:
        return self._current_view

    def view(self, key: str) -> Widget:
        return self.query_one(f"#{key}", Widget)

    def shown_view(self, key: str) -> Shown:
        return cast(Shown, self.view(key))

    @property
    def summary(self) -> SummaryView:
        return self.query_one(SummaryView)

    def action_view_number(self, number: int) -> None:
        """Number keys follow the view list in the header (which views it has depends on the files)."""
        if number <= len(self.views):
            self.action_view(self.views[number - 1][0])
        elif len(self.snapshots) < 3:
            self.action_view("comparison" if len(self.snapshots) < 2 else "leaks")

    def action_view(self, key: str) -> None:
        if any(key == k for k, _ in self.views):
            self.query_one("#view-tabs", ViewBar).show(key)
            if self.current_view != key:
                self._show(key)
        elif key in ("comparison", "leaks"):
            self.notify(
                f"The {key} view needs {'two' if key == 'comparison' else 'three'} snapshots: "
                "open them together (heaptui s1 s2 s3).",
                timeout=3,
            )

    def action_in_view(self, key: str, action: str) -> None:
        """A key of one view pressed in another: show that view, then do what the key does there."""
        self.action_view(key)
        getattr(self.view(key), f"action_{action}")()

    @on(ViewBar.Chosen)
    def _tab(self, event: ViewBar.Chosen) -> None:
        """A click on a view's name."""
        self.action_view(event.key)

    def _show(self, key: str) -> None:
        """Show view ``key`` in place of the one shown, with the Retainers pane under it or not.

        The views are the main column's own children, one displayed at a time (no ContentSwitcher: one
        container less to lay out and draw on each switch). A view over the pane takes the same room whichever
        it is, and a view without the pane (the Statistics) takes the pane's room too, so switching resizes no
        grid: a resize lays the screen out twice and draws every grid again.
        """
        shown, view = self.view(self._current_view), self.shown_view(key)
        with self.app.batch_update():
            shown.display = False
            self.view(key).display = True
            self.query_one(RetainersPane).display = view.shows_retainers
        self._current_view = key
        view.shown()

    def action_switch_pane(self) -> None:
        retainers = self.query_one("#retainers-table", TreeTable)
        if not retainers.display or not self.query_one(RetainersPane).display:
            return
        main = next(iter(self.view(self.current_view).query(TreeTable).results(TreeTable)), None)
        if main is not None:
            (main if retainers.has_focus else retainers).focus()

    # ---------------------------------------------------------------- routing

    @on(ObjectSelected)
    def _follow(self, event: ObjectSelected) -> None:
        """The Retainers pane follows the selected object of any grid."""
        self.query_one(RetainersPane).follow(event.snapshot, event.node, event.at_once)

    @on(FilterApplied)
    def _filter(self, event: FilterApplied) -> None:
        """Another view chose a set of objects (the Timeline's selection, a function's allocations)."""
        self.action_view("summary")
        self.summary.apply(event.label, event.mask_of, hint=event.hint)

    @on(RevealRequested)
    def _reveal(self, event: RevealRequested) -> None:
        if event.snapshot is self.snapshot:
            self.reveal(event.node)
        else:  # an object of another snapshot (deleted in the Comparison): show it there
            self.post_message(SnapshotSwitched(self.snapshots.index(event.snapshot), "summary", event.node))

    def reveal(self, node: int) -> None:
        """Show an object in the Summary (DevTools' "Reveal in Summary view")."""
        self.action_view("summary")
        self.summary.reveal(node)

    def show_class(self, class_index: int) -> None:
        """From the command palette: the Summary of one class, expanded."""
        self.action_view("summary")
        self.summary.show_class(class_index)

    def action_goto(self) -> None:
        """Jump from a retainer or an edge to its object in the Summary (DevTools' "Reveal in Summary")."""
        focused = self.focused
        if not isinstance(focused, TreeTable) or focused.model is None or focused.current is None:
            return
        row = focused.current
        if row.node >= 0:
            self.post_message(RevealRequested(focused.model.snapshot_of(row), row.node))

    def action_snapshot(self, step: int) -> None:
        """Switch to the previous or next snapshot, keeping the view."""
        target = self.index + step
        if 0 <= target < len(self.snapshots):
            self.post_message(SnapshotSwitched(target, self.current_view))
