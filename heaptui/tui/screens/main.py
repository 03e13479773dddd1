"""The Memory tab of one snapshot: a view bar, the current view, the Retainers pane and the keys.

Views are listed in the header in the order their number keys select them;
Comparison and Leaks appear when several snapshots are open, with the list of
snapshots beside them (``[`` and ``]`` switch). The Retainers pane follows
the selected object of any grid after a short pause, so holding a cursor key
stays smooth; an object of another snapshot (a deleted one in the Comparison)
shows that snapshot's retainers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tab, Tabs

from ...engine.filters import FILTERS, filter_mask, native_context_filter, native_context_label, native_contexts
from ...engine.snapshot import Snapshot
from ...engine.timeline import interval_id_range
from ...textreport import human_size
from ...visible import visible
from ..allocation_model import FUNCTION, AllocationModel
from ..markup import with_texts
from ..search import ClassMatcher
from ..series_models import COMPARISON_SORTS, ComparisonModel, LeaksModel
from ..tree_model import CLASS, MORE, RETAINER, ContainmentModel, Row, SummaryModel
from ..widgets.allocation import AllocationView
from ..widgets.retainers import RetainersPane
from ..widgets.series import ComparisonView, LeaksView, SnapshotList, stem
from ..widgets.statistics import StatisticsView
from ..widgets.timeline import TimelineChart, TimelineView, interval_text
from ..widgets.tree_table import TreeTable
from .filter_picker import FilterPicker

VIEWS = (("summary", "Summary"), ("containment", "Containment"), ("statistics", "Statistics"),
         ("comparison", "Comparison"), ("leaks", "Leaks"), ("timeline", "Timeline"), ("allocation", "Allocation"))
SORTS = ("retained", "shallow", "count", "distance", "name")
RETAINERS_DELAY = 0.08
GRIDS = ("summary-table", "containment-table", "comparison-table", "leaks-table", "allocation-table")
SIDEBAR_FROM = 110  # columns: below this the snapshot list would take too much room from the grids


def views_for(count: int, snapshot: Snapshot | None = None) -> tuple[tuple[str, str], ...]:
    """The views that make sense with ``count`` snapshots open, ``snapshot`` being the one shown.

    The Timeline needs a recording's samples (a ``.heaptimeline``); the
    Allocation view is there for a recording (saying why it is empty when it
    was made without allocation stacks, as DevTools' default recording is) and
    for any snapshot with stacks (``node --track-heap-objects``).
    """
    stacks = snapshot is not None and snapshot.trace_function_infos is not None and \
        snapshot.trace_function_infos.size > 0
    wanted = {"comparison": count > 1, "leaks": count > 2, "timeline": has_timeline(snapshot),
              "allocation": has_timeline(snapshot) or stacks}
    return tuple(v for v in VIEWS if wanted.get(v[0], True))


def has_timeline(snapshot: Snapshot | None) -> bool:
    return snapshot is not None and snapshot.samples is not None and snapshot.samples.size > 0


def allocation_filters(snapshots: list[Snapshot], index: int) -> list[tuple[str, tuple[int, int] | None]]:
    """DevTools' Summary filters for snapshot ``index``: all objects, or those allocated in a window.

    A window is a range of ids, (newest id of the earlier snapshot, newest id
    of the later one]; "before" starts at 0.
    """
    options: list[tuple[str, tuple[int, int] | None]] = [("All objects", None)]
    if index >= 1:
        options.append((f"Objects allocated before {stem(snapshots[0])}", (0, snapshots[0].max_js_node_id)))
    for j in range(1, index + 1):
        older, newer = snapshots[j - 1], snapshots[j]
        options.append((f"Objects allocated between {stem(older)} and {stem(newer)}",
                        (older.max_js_node_id, newer.max_js_node_id)))
    return options


class MainScreen(Screen):
    """One snapshot's views."""

    BINDINGS = [
        *(Binding(str(number), f"view_number({number})", show=False) for number in range(1, 10)),
        Binding("tab", "switch_pane", "Pane", priority=True),
        Binding("slash", "search", "Filter"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("g", "goto", "Go to"),
        Binding("i", "ignore", "Ignore"),
        Binding("r", "reset_ignored", "Reset ignored", show=False),
        Binding("a", "cycle_allocation_filter", "Allocated"),
        Binding("f", "pick_filter", "Filters"),
        Binding("b", "cycle_base", "Base"),
        Binding("left_square_bracket", "snapshot(-1)", "Prev snapshot", show=False),
        Binding("right_square_bracket", "snapshot(1)", "Next snapshot", show=False),
        Binding("escape", "close_search", "Close filter", show=False),
    ]

    def __init__(self, snapshots: list[Snapshot] | Snapshot, index: int | None = None) -> None:
        super().__init__()
        self.snapshots = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
        self.index = len(self.snapshots) - 1 if index is None else index
        self.snapshot = self.snapshots[self.index]
        self.views = views_for(len(self.snapshots), self.snapshot)
        self.summary_model = SummaryModel(self.snapshot)
        self.matcher = ClassMatcher([row.name for row in self.summary_model.all_classes])
        self.filters = allocation_filters(self.snapshots, self.index)
        self.filter_index = 0
        self._filter_generation = 0
        self.summary_filter: str | None = None  # the Summary filter's banner, None for all objects
        self._pending: Timer | None = None
        self._filtering = False

    def compose(self) -> ComposeResult:
        s = self.snapshot
        many = len(self.snapshots) > 1
        where = f" · snapshot {self.index + 1} of {len(self.snapshots)}" if many else ""
        yield Static(with_texts(f"[b]heaptui[/b] · $file{where} · [dim]{human_size(s.total_size)} in "
                                f"{s.node_count:,} objects[/dim]", file=os.path.basename(s.path)), id="topbar")
        with Horizontal(id="body"):
            if many:
                yield SnapshotList(self.snapshots, self.index, id="snapshots")
            with Vertical(id="main"):
                yield Tabs(*(Tab(f"{i + 1} {title}", id=f"tab-{key}") for i, (key, title) in enumerate(self.views)),
                           id="view-tabs")
                with ContentSwitcher(initial="summary", id="views"):
                    with Vertical(id="summary"):
                        yield Static("", id="summary-filter")
                        yield Input(placeholder="filter classes (fuzzy), or @id and enter to find an object",
                                    id="filter")
                        yield TreeTable(self.summary_model, id="summary-table")
                    with Vertical(id="containment"):
                        # Its model is made when the view is first shown: nothing compiled runs before the
                        # first paint.
                        yield TreeTable(None, name_title="Object", id="containment-table")
                    yield StatisticsView(s, id="statistics")
                    if many:
                        yield ComparisonView(self.snapshots, self.index, id="comparison")
                    if len(self.snapshots) > 2:
                        yield LeaksView(self.snapshots, self.index, id="leaks")
                    if has_timeline(s):
                        yield TimelineView(s, id="timeline")
                    if any(key == "allocation" for key, _ in self.views):
                        yield AllocationView(s, id="allocation")
                yield RetainersPane(id="retainers")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys for several snapshots are hidden (and do nothing) when only one is open."""
        if action == "cycle_allocation_filter" and self.summary_filter is not None:
            return True  # it also undoes a filter chosen in another view (Timeline)
        if action in ("cycle_allocation_filter", "cycle_base", "snapshot") and len(self.snapshots) < 2:
            return False
        return True

    def on_resize(self) -> None:
        for sidebar in self.query("#snapshots"):
            sidebar.display = self.size.width >= SIDEBAR_FROM

    def on_mount(self) -> None:
        for note in self.snapshot.lost:
            self.notify(visible(f"Salvaged a truncated snapshot: {note}"), severity="warning", timeout=10,
                        markup=False)
        # Index every class's instances once the screen is up, off the UI thread, so no expansion waits.
        self.call_after_refresh(lambda: threading.Thread(target=self.snapshot.instances_index,
                                                         name="heaptui-instances", daemon=True).start())
        tabs = next(self.query("#view-tabs").results(Tabs), None)
        table = next(self.query("#summary-table").results(TreeTable), None)
        if tabs is None or table is None:
            return  # the app is closing before this screen finished mounting (a quit as loading ends)
        tabs.can_focus = False
        table.sort_column, table.sort_descending = self.summary_model.sort, self.summary_model.descending
        table.focus()

    # ---------------------------------------------------------------- views

    @property
    def current_view(self) -> str:
        return self.query_one("#views", ContentSwitcher).current or "summary"

    def action_view_number(self, number: int) -> None:
        """Number keys follow the view list in the header (which views it has depends on the files)."""
        if number <= len(self.views):
            self.action_view(self.views[number - 1][0])
        elif len(self.snapshots) < 3:
            self.action_view("comparison" if len(self.snapshots) < 2 else "leaks")

    def action_view(self, key: str) -> None:
        if any(key == k for k, _ in self.views):
            self.query_one("#view-tabs", Tabs).active = f"tab-{key}"
        elif key in ("comparison", "leaks"):
            self.notify(f"The {key} view needs {'two' if key == 'comparison' else 'three'} snapshots: "
                        "open them together (heaptui s1 s2 s3).", timeout=3)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        key = event.tab.id.removeprefix("tab-") if event.tab and event.tab.id else "summary"
        self.query_one("#views", ContentSwitcher).current = key
        self.query_one("#retainers").display = key not in ("statistics", "allocation")
        if key == "containment":
            containment = self.query_one("#containment-table", TreeTable)
            if containment.model is None:
                containment.set_model(ContainmentModel(self.snapshot))
        if key in ("comparison", "leaks"):
            self.query_one(f"#{key}", ComparisonView if key == "comparison" else LeaksView).ensure()
        if key == "allocation":
            self.query_one(AllocationView).ensure()
        if key == "timeline":
            self.query_one(TimelineView).ensure()
            self.query_one("#retainers").display = False
            return
        table = self.main_table
        if table is not None:
            table.focus()
            self._follow(table.current, delay=0)

    @property
    def main_table(self) -> TreeTable | None:
        view = self.current_view
        return None if view in ("statistics", "timeline") else self.query_one(f"#{view}-table", TreeTable)

    def on_timeline_chart_chosen(self, event: TimelineChart.Chosen) -> None:
        """Enter in the Timeline: the Summary of the objects allocated in the selected intervals."""
        view = self.query_one(TimelineView)
        if view.timeline is None or event.first is None or event.last is None:
            return
        window = interval_id_range(view.timeline, event.first, event.last)
        snapshot = self.snapshot
        self.filter_index = 0
        self.filter_summary(f"Objects allocated in {interval_text(view.timeline, event.first, event.last)} "
                            "of the recording", lambda: snapshot.allocated_between(*window),
                            hint="a: all objects")

    @property
    def series_ready(self) -> bool:
        """The Comparison and Leaks views have shown what they were computing (tests wait for this)."""
        views = self.query("ComparisonView, LeaksView, TimelineView, AllocationView").results()
        return all(view.ready for view in views)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- several snapshots

    def action_snapshot(self, step: int) -> None:
        """Switch to the previous or next snapshot, keeping the view."""
        target = self.index + step
        if 0 <= target < len(self.snapshots):
            self.app.show_snapshot(target, self.current_view)  # type: ignore[attr-defined]

    def action_cycle_base(self) -> None:
        if len(self.snapshots) < 2:
            return
        self.action_view("comparison")
        self.query_one(ComparisonView).cycle_base()

    def action_cycle_allocation_filter(self) -> None:
        """DevTools' Summary filter: all objects, or those allocated before or between snapshots."""
        if self.summary_filter is not None and self.filter_index == 0:  # a view's own (Timeline): undo it
            self.filter_summary(None, None)
            return
        if len(self.filters) < 2 or self._filtering:
            if len(self.filters) < 2:
                self.notify("Open several snapshots to filter by when objects were allocated.", timeout=3)
            return
        self.filter_index = (self.filter_index + 1) % len(self.filters)
        label, window = self.filters[self.filter_index]
        snapshot = self.snapshot
        self.filter_summary(None if window is None else label,
                            None if window is None else lambda: snapshot.allocated_between(*window))

    def summary_filters(self) -> list[tuple[str, Callable[[], np.ndarray] | None]]:
        """DevTools' filter menu: all objects, allocated before/between snapshots, the named filters."""
        snapshot = self.snapshot
        options: list[tuple[str, Callable[[], np.ndarray] | None]] = []
        for label, window in self.filters:
            options.append((label, None if window is None else partial(snapshot.allocated_between, *window)))
        for named in FILTERS:
            options.append((named.label, partial(filter_mask, snapshot, named.name)))
        for v in native_contexts(snapshot):
            options.append((native_context_label(snapshot, v),
                            partial(filter_mask, snapshot, native_context_filter(snapshot, v))))
        return options

    def action_pick_filter(self) -> None:
        """The filter menu (key f): every Summary filter DevTools has, in one list.

        Finding the native contexts reads node names: done off the UI thread.
        """
        def work() -> None:
            options = self.summary_filters()
            self.app.call_from_thread(self._show_filter_menu, options)

        threading.Thread(target=work, name="heaptui-filter-menu", daemon=True).start()

    def _show_filter_menu(self, options: list[tuple[str, Callable[[], np.ndarray] | None]]) -> None:
        if isinstance(self.app.screen, FilterPicker) or self.app.screen is not self:
            return  # already open, or the user moved on
        labels = [label for label, _ in options]
        current = labels.index(self.summary_filter) if self.summary_filter in labels else 0

        def picked(index: int | None) -> None:
            if index is None:
                return
            label, mask_of = options[index]
            self.filter_index = index if index < len(self.filters) else 0
            self.filter_summary(None if mask_of is None else label, mask_of, hint="f: filters, a: next")

        self.app.push_screen(FilterPicker(labels, current), picked)

    def filter_summary(self, label: str | None, mask_of: Callable[[], np.ndarray] | None,
                       hint: str = "a: next filter") -> None:
        """Show the Summary of the objects ``mask_of()`` keeps (all objects for None), under a banner.

        The mask and the classes' rows are computed on a thread; the newest
        request wins when several overlap.
        """
        self.action_view("summary")
        self.summary_filter = label
        self.refresh_bindings()
        banner = self.query_one("#summary-filter", Static)
        banner.update(with_texts("[b]$label[/b]  [dim]($hint)[/dim]", label=label, hint=hint) if label else "")
        banner.display = label is not None
        self._filtering = True
        self._filter_generation += 1
        snapshot, wanted = self.snapshot, self._filter_generation

        def work() -> None:
            mask = None if mask_of is None else mask_of()
            rows = snapshot.summary(mask)
            self.app.call_from_thread(self._apply_filter, wanted, rows, mask)

        threading.Thread(target=work, name="heaptui-summary-filter", daemon=True).start()

    def _apply_filter(self, wanted: int, rows: list, mask) -> None:
        if wanted != self._filter_generation:
            return
        self._filtering = False
        sort, descending = self.summary_model.sort, self.summary_model.descending
        self.summary_model = SummaryModel(self.snapshot, rows, mask)
        self.summary_model.set_sort(sort, descending)
        self.matcher = ClassMatcher([row.name for row in self.summary_model.all_classes])
        self.query_one("#summary-table", TreeTable).set_model(self.summary_model)

    @property
    def filter_settled(self) -> bool:
        return not self._filtering

    def action_switch_pane(self) -> None:
        retainers = self.query_one("#retainers-table", TreeTable)
        main = self.main_table
        if main is None:
            return
        (main if retainers.has_focus else retainers).focus()

    # ---------------------------------------------------------------- retainers follow the selection

    def on_tree_table_highlighted(self, event: TreeTable.Highlighted) -> None:
        if event.table.id in GRIDS:
            self._follow(event.row, table=event.table)
        if event.table.id == "leaks-table" and isinstance(event.table.model, LeaksModel):
            self.query_one(LeaksView).select(event.table.model.path_of(event.table.cursor))

    def _follow(self, row: Row | None, delay: float = RETAINERS_DELAY, table: TreeTable | None = None) -> None:
        if self._pending is not None:
            self._pending.stop()
        table = table or self.main_table
        node = row.node if row is not None and row.kind not in (CLASS, MORE) and row.node >= 0 else None
        snapshot = table.model.snapshot_of(row) if table is not None and table.model and row else self.snapshot
        if delay:
            self._pending = self.set_timer(delay, lambda: self._show_retainers(node, snapshot))
        else:
            self._show_retainers(node, snapshot)

    @property
    def retainers_settled(self) -> bool:
        """No Retainers update is waiting or being built (tests and scripts wait for this)."""
        return self._pending is None and not self.query_one(RetainersPane).building

    def _show_retainers(self, node: int | None, snapshot: Snapshot | None = None) -> None:
        self._pending = None
        snapshot = snapshot or self.snapshot
        pane = self.query_one(RetainersPane)
        if node != pane.target or pane.snapshot is not snapshot:
            pane.show(snapshot, node)

    def action_ignore(self) -> None:
        table = self.query_one("#retainers-table", TreeTable)
        row = table.current
        if row is not None and row.kind == RETAINER and table.has_focus:
            self.query_one(RetainersPane).toggle_ignore(row.node)
        else:
            self.notify("Select a retainer in the Retainers pane (tab) to ignore it.", timeout=3)

    def action_reset_ignored(self) -> None:
        self.query_one(RetainersPane).reset_ignored()

    # ---------------------------------------------------------------- summary: sort, filter, go to

    def on_tree_table_sort_requested(self, event: TreeTable.SortRequested) -> None:
        if event.table.id == "summary-table":
            column = event.column
            descending = not self.summary_model.descending if column == self.summary_model.sort else None
            self._sort(column, descending)
        elif isinstance(event.table.model, AllocationModel) and event.column in AllocationModel.SORTS:
            event.table.model.set_sort(event.column)
            event.table.sort_column, event.table.sort_descending = event.column, True
            event.table.set_model(event.table.model)
        elif event.table.id == "comparison-table" and isinstance(event.table.model, ComparisonModel):
            model = event.table.model
            self._sort_comparison(event.table, event.column, not model.descending if event.column == model.sort
                                  else None)

    def action_cycle_sort(self) -> None:
        if self.current_view == "allocation":
            table = self.query_one("#allocation-table", TreeTable)
            if isinstance(table.model, AllocationModel):
                sorts = AllocationModel.SORTS
                table.model.set_sort(sorts[(sorts.index(table.model.sort) + 1) % len(sorts)])
                table.sort_column, table.sort_descending = table.model.sort, True
                table.set_model(table.model)
                self.notify(f"Sorted by {table.model.sort.replace('_', ' ')}", timeout=1.5)
            return
        if self.current_view == "comparison":
            table = self.query_one("#comparison-table", TreeTable)
            if isinstance(table.model, ComparisonModel):
                sorts = COMPARISON_SORTS
                self._sort_comparison(table, sorts[(sorts.index(table.model.sort) + 1) % len(sorts)])
            return
        if self.current_view != "summary":
            return
        self._sort(SORTS[(SORTS.index(self.summary_model.sort) + 1) % len(SORTS)])

    def _sort_comparison(self, table: TreeTable, column: str, descending: bool | None = None) -> None:
        model = table.model
        assert isinstance(model, ComparisonModel)
        model.set_sort(column, descending)
        table.sort_column, table.sort_descending = column, model.descending
        table.set_model(model)
        self.notify(f"Sorted by {column}", timeout=1.5)

    def _sort(self, column: str, descending: bool | None = None) -> None:
        self.summary_model.set_sort(column, descending)
        table = self.query_one("#summary-table", TreeTable)
        table.sort_column, table.sort_descending = column, self.summary_model.descending
        table.set_model(self.summary_model)
        self.notify(f"Sorted by {column}", timeout=1.5)

    def action_search(self) -> None:
        self.action_view("summary")
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_close_search(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one("#summary-table", TreeTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter" or event.value.startswith("@"):
            return
        classes = self.summary_model.all_classes
        query = event.value.strip()
        if not query and self.summary_model.wanted is None:
            return  # nothing filtered, nothing to undo (keeps what an @id jump expanded)
        indices = None if not query else [classes[i].class_index for i in self.matcher.matching(query)]
        self.summary_model.set_filter(indices)
        self.query_one("#summary-table", TreeTable).set_model(self.summary_model)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        text = event.value.strip()
        if text.startswith("@"):
            digits = text[1:]
            node = self.snapshot.node_for_id(int(digits)) if digits.isdigit() else None
            if node is None:
                self.notify(visible(f"No object {text} in this snapshot."), severity="warning", timeout=3,
                            markup=False)
                return
            event.input.value = ""
            self.reveal(node)
        self.query_one("#summary-table", TreeTable).focus()

    def reveal(self, node: int) -> None:
        """Show an object in the Summary: its class expanded around it, the cursor on it."""
        self.action_view("summary")
        if self.summary_model.wanted is not None:
            self.summary_model.set_filter(None)
        index = self.summary_model.reveal(node)
        table = self.query_one("#summary-table", TreeTable)
        if index is None:
            self.notify("That object is not listed in the Summary (it has no shallow size).", timeout=3)
            self._show_retainers(node)
            return
        table.set_model(self.summary_model, index)
        table.focus()
        self._follow(table.current, delay=0)

    def action_goto(self) -> None:
        """Jump from a retainer or an edge to its object in the Summary (DevTools' "Reveal in Summary").

        On a function of the Allocation view: the Summary of the live objects it allocated.
        """
        focused = self.focused
        if isinstance(focused, TreeTable) and isinstance(focused.model, AllocationModel):
            row = focused.current
            if row is not None and row.kind == FUNCTION:
                self.show_allocated_by(focused.model, row)
            return
        if not isinstance(focused, TreeTable) or focused.current is None or focused.current.node < 0:
            return
        row = focused.current
        holder = focused.model.snapshot_of(row) if focused.model is not None else self.snapshot
        if holder is self.snapshot:
            self.reveal(row.node)
        else:  # an object of another snapshot (deleted in the Comparison): show it there
            self.app.show_snapshot(self.snapshots.index(holder), "summary", row.node)  # type: ignore

    def show_allocated_by(self, model: AllocationModel, row: Row) -> None:
        """The Summary of the objects a function (with the callers on the way to it) allocated."""
        found = row.values[0]
        where = f" ({found.location.rsplit('/', 1)[-1]})" if found.location else ""
        self.filter_index = 0
        self.filter_summary(f"Objects allocated by {found.function or '(anonymous)'}{where}",
                            lambda: model.tree.live_mask(found), hint="a: all objects")

    def show_class(self, class_index: int) -> None:
        """From the command palette: filter the Summary to one class and expand it."""
        self.action_view("summary")
        self.summary_model.set_filter([class_index])
        table = self.query_one("#summary-table", TreeTable)
        self.summary_model.expand(0)
        table.set_model(self.summary_model, 0)
        table.focus()
