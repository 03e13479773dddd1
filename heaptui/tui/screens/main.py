"""The Memory tab: a view bar, the current view, the Retainers pane and the keys.

Views are listed in the header in the order their number keys select them.
The Retainers pane follows the selected object of the Summary or the
Containment view after a short pause, so holding a cursor key stays smooth.
"""

from __future__ import annotations

import os
import threading

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tab, Tabs

from ...engine.snapshot import Snapshot
from ...textreport import human_size
from ..search import ClassMatcher
from ..tree_model import CLASS, MORE, RETAINER, ContainmentModel, Row, SummaryModel
from ..widgets.retainers import RetainersPane
from ..widgets.statistics import StatisticsView
from ..widgets.tree_table import TreeTable

VIEWS = (("summary", "Summary"), ("containment", "Containment"), ("statistics", "Statistics"))
SORTS = ("retained", "shallow", "count", "distance", "name")
RETAINERS_DELAY = 0.08


class MainScreen(Screen):
    """One snapshot's views."""

    BINDINGS = [
        *(Binding(str(i + 1), f"view('{key}')", title, show=False) for i, (key, title) in enumerate(VIEWS)),
        Binding("tab", "switch_pane", "Pane", priority=True),
        Binding("slash", "search", "Filter"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("g", "goto", "Go to object"),
        Binding("i", "ignore", "Ignore retainer"),
        Binding("r", "reset_ignored", "Reset ignored", show=False),
        Binding("escape", "close_search", "Close filter", show=False),
    ]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.summary_model = SummaryModel(snapshot)
        self.matcher = ClassMatcher([row.name for row in self.summary_model.all_classes])
        self._pending: Timer | None = None

    def compose(self) -> ComposeResult:
        s = self.snapshot
        yield Static(f"[b]heaptui[/b] · {os.path.basename(s.path)} · [dim]{human_size(s.total_size)} in "
                     f"{s.node_count:,} objects[/dim]", id="topbar")
        yield Tabs(*(Tab(f"{i + 1} {title}", id=f"tab-{key}") for i, (key, title) in enumerate(VIEWS)),
                   id="view-tabs")
        with ContentSwitcher(initial="summary", id="views"):
            with Vertical(id="summary"):
                yield Input(placeholder="filter classes (fuzzy), or @id and enter to find an object",
                            id="filter")
                yield TreeTable(self.summary_model, id="summary-table")
            with Vertical(id="containment"):
                yield TreeTable(ContainmentModel(s), name_title="Object", id="containment-table")
            yield StatisticsView(s, id="statistics")
        yield RetainersPane(id="retainers")
        yield Footer()

    def on_mount(self) -> None:
        # Index every class's instances now, off the UI thread, so no expansion waits for it.
        threading.Thread(target=self.snapshot.instances_index, name="heaptui-instances", daemon=True).start()
        self.query_one("#view-tabs", Tabs).can_focus = False
        table = self.query_one("#summary-table", TreeTable)
        table.sort_column, table.sort_descending = self.summary_model.sort, self.summary_model.descending
        table.focus()

    # ---------------------------------------------------------------- views

    @property
    def current_view(self) -> str:
        return self.query_one("#views", ContentSwitcher).current or "summary"

    def action_view(self, key: str) -> None:
        self.query_one("#view-tabs", Tabs).active = f"tab-{key}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        key = event.tab.id.removeprefix("tab-") if event.tab and event.tab.id else "summary"
        self.query_one("#views", ContentSwitcher).current = key
        self.query_one("#retainers").display = key != "statistics"
        table = self.main_table
        if table is not None:
            table.focus()
            self._follow(table.current, delay=0)

    @property
    def main_table(self) -> TreeTable | None:
        view = self.current_view
        return None if view == "statistics" else self.query_one(f"#{view}-table", TreeTable)

    def action_switch_pane(self) -> None:
        retainers = self.query_one("#retainers-table", TreeTable)
        main = self.main_table
        if main is None:
            return
        (main if retainers.has_focus else retainers).focus()

    # ---------------------------------------------------------------- retainers follow the selection

    def on_tree_table_highlighted(self, event: TreeTable.Highlighted) -> None:
        if event.table.id in ("summary-table", "containment-table"):
            self._follow(event.row)

    def _follow(self, row: Row | None, delay: float = RETAINERS_DELAY) -> None:
        if self._pending is not None:
            self._pending.stop()
        node = row.node if row is not None and row.kind not in (CLASS, MORE) else None
        if delay:
            self._pending = self.set_timer(delay, lambda: self._show_retainers(node))
        else:
            self._show_retainers(node)

    @property
    def retainers_settled(self) -> bool:
        """No Retainers update is waiting or being built (tests and scripts wait for this)."""
        return self._pending is None and not self.query_one(RetainersPane).building

    def _show_retainers(self, node: int | None) -> None:
        self._pending = None
        pane = self.query_one(RetainersPane)
        if node != pane.target or pane.snapshot is not self.snapshot:
            pane.show(self.snapshot, node)

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

    def action_cycle_sort(self) -> None:
        if self.current_view != "summary":
            return
        self._sort(SORTS[(SORTS.index(self.summary_model.sort) + 1) % len(SORTS)])

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
                self.notify(f"No object {text} in this snapshot.", severity="warning", timeout=3)
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
        """Jump from a retainer or an edge to its object in the Summary (DevTools' "Reveal in Summary")."""
        focused = self.focused
        if isinstance(focused, TreeTable) and focused.current is not None and focused.current.node >= 0:
            self.reveal(focused.current.node)

    def show_class(self, class_index: int) -> None:
        """From the command palette: filter the Summary to one class and expand it."""
        self.action_view("summary")
        self.summary_model.set_filter([class_index])
        table = self.query_one("#summary-table", TreeTable)
        self.summary_model.expand(0)
        table.set_model(self.summary_model, 0)
        table.focus()
