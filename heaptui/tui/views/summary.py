"""The Summary view: classes by retained size, a fuzzy class filter, ``@id`` jumps, and DevTools' Summary filters.

The view owns its model, its sort (the model's) and its filter: the search
box picks which classes to list; a Summary filter (all objects, allocated
before or between snapshots, a named DevTools filter, a native context, or a
selection of another view) recomputes the classes over the objects it keeps,
as background work (the newest request supersedes an older one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Static

from ...engine.filters import FILTERS, filter_mask_for, native_context_label, native_contexts, parse_filter
from ...engine.search import Found, search
from ...engine.snapshot import Snapshot
from ...engine.windows import ALL_OBJECTS, AllocationWindow, allocation_windows
from ...visible import visible
from ..format import plural
from ..markup import with_texts
from ..messages import ObjectSelected, WorkFailed
from ..models.paths import fold_path
from ..models.tree import SummaryModel
from ..screens.filter_picker import FilterPicker
from ..search import ClassMatcher
from ..widgets.tree_table import TreeTable
from ..work import Job, work_of
from .base import GridView

MaskOf = Callable[[], np.ndarray]


def window_options(snapshots: list[Snapshot], index: int) -> list[tuple[str, AllocationWindow | None]]:
    """What ``a`` cycles through: all objects, then the engine's allocation windows for snapshot ``index``."""
    return [(ALL_OBJECTS, None), *((w.label, w) for w in allocation_windows(snapshots, index))]


@dataclass(frozen=True)
class SummaryFilter:
    """The Summary filter shown (or being computed): its banner, and where ``a`` goes on from."""

    label: str | None = None  # None: all objects
    window: int = 0  # the allocation window ``a`` last chose (0: all objects, or another kind of filter)
    hint: str = "a: next filter"


class SummaryView(GridView):
    """DevTools' Summary: the class grid under a filter banner and a search box."""

    key, title = "summary", "Summary"

    BINDINGS = [
        Binding("slash", "open_search", "Filter"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("a", "next_window", "Allocated"),
        Binding("f", "pick_filter", "Filters"),
        Binding("escape", "close_search", "Close filter", show=False),
        Binding("n", "next_hit(1)", "Next hit", show=False),
        Binding("N", "next_hit(-1)", "Previous hit", show=False),
    ]

    def __init__(self, snapshots: list[Snapshot], index: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots = snapshots
        self.snapshot = snapshots[index]
        self.model = SummaryModel(self.snapshot)
        self.matcher = ClassMatcher([row.name for row in self.model.all_classes])
        self.windows = window_options(snapshots, index)
        self.filter = SummaryFilter()
        self._shown_filter = self.filter  # the filter of the model on screen (a failed one falls back to it)
        self.found: Found | None = None  # objects found by name, value or @id for the search box's text
        self.hit = -1  # the hit n/N last went to
        self._banner_after: Content | None = None  # the banner once the filter being computed is shown

    def compose(self) -> ComposeResult:
        yield Static("", id="summary-filter")
        yield Input(placeholder="classes (fuzzy), property names, strings, @id · enter, n/N: go to hits", id="filter")
        yield Static("", id="search-hits")
        yield TreeTable(self.model, id="summary-table")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``a`` is hidden (and does nothing) with one snapshot, unless it undoes another view's filter."""
        if action == "next_window":
            return self.filter.label is not None or len(self.windows) > 1
        return True

    # ---------------------------------------------------------------- search box and @id

    def action_open_search(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.take_focus(box)
        if not self.snapshot.search_index_ready:  # built once, while the user types the first letters
            snapshot = self.snapshot
            work_of(self.app).run(
                self, "search-index", lambda job: snapshot.search_index(), lambda _: None, what="The search index"
            )

    def action_close_search(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.take_focus(self.table)

    @on(Input.Changed, "#filter")
    def _search(self, event: Input.Changed) -> None:
        if event.value.startswith("@"):
            return
        classes = self.model.all_classes
        query = event.value.strip()
        if not query and self.model.wanted is None:
            return  # nothing filtered, nothing to undo (keeps what an @id jump expanded)
        self._find(query)
        indices = None if not query else [classes[i].class_index for i in self.matcher.matching(query)]
        self.model.set_filter(indices)
        self.table.set_empty_text(f"no class matches {query!r}" if indices is not None and not indices else "")
        self.table.set_model(self.model)

    # ---------------------------------------------------------------- objects by name, value and @id

    def _find(self, query: str) -> None:
        """Search property/edge names and string values for ``query`` as background work (three letters or more;
        each keystroke supersedes the search before it), saying how far it got."""
        work = work_of(self.app)
        line = self.query_one("#search-hits", Static)
        if len(query) < 3:
            work.cancel(self, "search")
            if query:
                line.display = False
            return
        snapshot = self.snapshot
        line.display = True
        line.update(with_texts("[b $warning]searching names and strings for $q…[/]", q=repr(query)))
        job = work.run(self, "search", lambda job: job.call(search, snapshot, query), self._found, what="The search")

        def tick() -> None:
            if job.finished.is_set() or work.current(self, "search") is not job:
                ticker.stop()
            elif job.last_progress is not None:
                phase, done, total = job.last_progress
                share = f" {100 * done // total}%" if total else ""
                line.update(with_texts(f"[b $warning]searching $q… $phase{share}[/]", q=repr(query), phase=phase))

        ticker = self.set_interval(0.2, tick)

    def _found(self, found: Found) -> None:
        self.found = found
        self.hit = -1
        line = self.query_one("#search-hits", Static)
        if not found.hits:
            line.update(with_texts("no property, string or @id matches $q", q=repr(found.query)))
            return
        more = f" (first {len(found.hits):,})" if found.total > len(found.hits) else ""
        line.update(
            with_texts(
                f"{found.total:,} {plural(found.total, 'object')}{more} for $q by name or value", q=repr(found.query)
            )
            + with_texts("  [dim]enter or n: go to the first, N: the last[/dim]")
        )

    def action_next_hit(self, step: int) -> None:
        """Go to the next (or previous) object the search found: shown in the Summary, its path named."""
        found = self.found
        if found is None or not found.hits:
            self.notify("Type / and a property name, a string or @id to find objects.", timeout=3)
            return
        self.hit = (self.hit + step) % len(found.hits) if self.hit >= 0 or step > 0 else len(found.hits) - 1
        hit = found.hits[self.hit]
        self._close_box()
        self.reveal(hit.node)
        snapshot, number = self.snapshot, self.hit + 1
        line = self.query_one("#search-hits", Static)
        line.display = True
        head = with_texts(
            f"hit {number:,}/{len(found.hits):,}  [b]$what[/b]  $class @{int(snapshot.node_id[hit.node])}",
            what=hit.text if hit.how != "id" else hit.text,
            **{"class": snapshot.class_name(hit.node)},
        )
        line.update(head + with_texts("  [dim]finding its path…[/dim]"))

        def path(job: Job[str]) -> str:
            from ...engine.retainer_paths import path_of, path_text

            steps, _ = path_of(snapshot, hit.node)
            return path_text(steps)

        def show(text: str) -> None:
            width = max(20, line.content_size.width or self.size.width - 2)
            line.update(head + "\n" + Content("\n".join(fold_path(text, width, 2))).stylize("dim"))

        work_of(self.app).run(self, "search-path", path, show, what="The hit's retainer path")

    def _close_box(self) -> None:
        """The search box closes (its text would no longer be the filter in effect); the hits stay."""
        box = self.query_one("#filter", Input)
        if box.display or box.value:
            with box.prevent(Input.Changed):
                box.value = ""
            box.display = False
        if self.model.wanted is not None:
            self.model.set_filter(None)
            self.table.set_empty_text("")

    @on(Input.Submitted, "#filter")
    def _jump(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text.startswith("@") and len(self.model) == 0 and self.found is not None and self.found.hits:
            self.action_next_hit(1)  # no class by that name: the objects found by name or value
            return
        if text.startswith("@"):
            digits = text[1:]
            node = self.snapshot.node_for_id(int(digits)) if digits.isdigit() else None
            if node is None:
                self.notify(visible(f"No object {text} in this snapshot."), severity="warning", timeout=3, markup=False)
                return
            self._close_box()
            self.reveal(node)
        self.take_focus(self.table)

    def reveal(self, node: int) -> None:
        """Show an object: its class expanded around it, the cursor on it (the class filter and its box
        cleared: the box never shows a filter that is not in effect)."""
        self._close_box()
        index = self.model.reveal(node)
        if index is None:
            self.notify("That object is not listed in the Summary (it has no shallow size).", timeout=3)
            self.post_message(ObjectSelected(self.snapshot, node, at_once=True))
            return
        self.table.set_model(self.model, index)
        self.take_focus(self.table)
        self.post_message(self.selection(at_once=True))

    def show_class(self, class_index: int) -> None:
        """Only one class, expanded (the command palette's "Class: …")."""
        self.model.set_filter([class_index])
        self.model.expand(0)
        self.table.set_model(self.model, 0)
        self.take_focus(self.table)

    # ---------------------------------------------------------------- Summary filters

    def action_next_window(self) -> None:
        """DevTools' Summary filter: all objects, or those allocated before or between snapshots."""
        if self.filter.label is not None and self.filter.window == 0:  # another view's filter: undo it
            self.apply(None, None)
            return
        if len(self.windows) < 2:
            self.notify("Open several snapshots to filter by when objects were allocated.", timeout=3)
            return
        window = (self.filter.window + 1) % len(self.windows)
        label, found = self.windows[window]
        self.apply(
            None if found is None else label,
            None if found is None else partial(found.mask, self.snapshot),
            window=window,
        )

    def filter_options(self) -> list[tuple[str, MaskOf | None]]:
        """DevTools' filter menu: all objects, allocated before/between snapshots, the named filters."""
        snapshot = self.snapshot
        options: list[tuple[str, MaskOf | None]] = []
        for label, window in self.windows:
            options.append((label, None if window is None else partial(window.mask, snapshot)))
        for named in FILTERS:
            options.append((named.label, partial(filter_mask_for, snapshot, parse_filter(named.name))))
        for v in native_contexts(snapshot):
            spec = parse_filter(f"native-context=@{snapshot.node_id[v]}")
            options.append((native_context_label(snapshot, v), partial(filter_mask_for, snapshot, spec)))
        return options

    def action_pick_filter(self) -> None:
        """The filter menu (key f): every Summary filter DevTools has, in one list (found off the UI thread:
        finding the native contexts reads node names)."""
        work_of(self.app).run(
            self, "filter-menu", lambda job: self.filter_options(), self._pick, what="The filter menu"
        )

    def _pick(self, options: list[tuple[str, MaskOf | None]]) -> None:
        if isinstance(self.app.screen, FilterPicker) or self.app.screen is not self.screen:
            return  # already open, or the user moved on
        labels = [label for label, _ in options]
        current = labels.index(self.filter.label) if self.filter.label in labels else 0

        def picked(index: int | None) -> None:
            if index is not None:
                label, mask_of = options[index]
                self.apply(
                    None if mask_of is None else label,
                    mask_of,
                    hint="f: filters, a: next",
                    window=index if index < len(self.windows) else 0,
                )

        self.app.push_screen(FilterPicker(labels, current), picked)

    def apply(self, label: str | None, mask_of: MaskOf | None, hint: str = "a: next filter", window: int = 0) -> None:
        """Show the classes of the objects ``mask_of()`` keeps (all objects for None), under a banner ``label``.

        The mask and the classes are background work; the newest request supersedes the others.
        """
        self.filter = SummaryFilter(label, window, hint)
        self.screen.refresh_bindings()
        banner = with_texts("[b]$label[/b]  [dim]($hint)[/dim]", label=label, hint=hint) if label else None
        # Until the classes arrive, the banner says the ones listed are still the filter's before.
        self._banner(
            (banner or with_texts("[b]All objects[/b]")) + with_texts("  [b $warning]computing the classes…[/]")
        )
        self._banner_after = banner
        snapshot = self.snapshot

        def classes(job: Job[tuple[list, np.ndarray | None]]) -> tuple[list, np.ndarray | None]:
            mask = None if mask_of is None else job.call(mask_of)
            return job.call(snapshot.summary, mask), mask

        work_of(self.app).run(self, "summary-filter", classes, self._filtered, what="The Summary filter")

    def _filtered(self, found: tuple[list, np.ndarray | None]) -> None:
        rows, mask = found
        sort, descending = self.model.sort_column, self.model.descending
        self.model = SummaryModel(self.snapshot, rows, mask)
        self.model.sort(sort, descending)
        self.matcher = ClassMatcher([row.name for row in self.model.all_classes])
        self._shown_filter = self.filter
        self._banner(self._banner_after)
        self.table.set_model(self.model)

    def _banner(self, text: Content | None) -> None:
        banner = self.query_one("#summary-filter", Static)
        banner.update(text if text is not None else "")
        banner.display = text is not None

    def on_work_failed(self, event: WorkFailed) -> None:
        """A filter that failed: its line in the banner, the classes shown before it kept."""
        if event.kind == "summary-filter":
            self.filter = self._shown_filter
            self.screen.refresh_bindings()
            self._banner(with_texts("[red]$text[/red]  [dim](the classes shown are unchanged)[/dim]", text=event.text))
