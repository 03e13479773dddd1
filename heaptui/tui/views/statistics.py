"""The Statistics view: the heap by category, as bars drawn with text (any terminal, no images)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...engine.sizes import format_percent, format_size
from ...engine.snapshot import Snapshot

CATEGORIES = (
    ("Code", "code", "magenta"),
    ("Strings", "strings", "green"),
    ("JS arrays", "js_arrays", "yellow"),
    ("Typed arrays", "typed_arrays", "cyan"),
    ("System objects", "system", "blue"),
    ("Other JS objects", "other_js", "red"),
    ("Other non-JS objects", "other_native", "white"),
)


class RenderedLines:
    """Lines rendered already, handed out again as they are: the Statistics table drawn once per width."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


class StatisticsView(Static):
    """DevTools' Statistics pie, as one bar per category plus the totals (a view of its own: no Retainers pane)."""

    key: ClassVar[str] = "statistics"
    title: ClassVar[str] = "Statistics"
    shows_retainers: ClassVar[bool] = False

    DEFAULT_CSS = """
    StatisticsView { padding: 1 2; height: 1fr; }
    """

    def __init__(self, snapshot: Snapshot | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot
        self._rendered: tuple[int, RenderedLines] | None = None  # the table drawn, and for which width

    def shown(self) -> None:
        """Nothing to compute: the statistics come with the snapshot."""

    def render(self) -> RenderedLines | Text:
        """The table, laid out once per width: Rich's layout of it took 10-17 ms each time the view was shown
        (showing a view draws it again), most of the ``3`` key's time; the statistics never change."""
        if self.snapshot is None:
            return Text("")
        width = self.size.width
        if self._rendered is None or self._rendered[0] != width:
            console = self.app.console
            lines = console.render_lines(self._table(width), console.options.update_width(width), pad=False)
            self._rendered = (width, RenderedLines(lines))
        return self._rendered[1]

    def _table(self, width: int) -> Table:
        assert self.snapshot is not None
        st = self.snapshot.statistics
        bar_width = max(10, width - 48)
        table = Table.grid(padding=(0, 1))
        table.add_column(min_width=20)
        table.add_column(width=bar_width)
        table.add_column(justify="right", min_width=10)
        table.add_column(justify="right", min_width=5)
        table.add_row(Text("Total", style="bold"), Text(f"{st.total:,} bytes"), format_size(st.total), "")
        table.add_row("", "", "", "")
        for title, key, color in CATEGORIES:
            value = getattr(st, key)
            filled = round(bar_width * value / st.total) if st.total else 0
            bar = Text("█" * filled, style=color) + Text("░" * (bar_width - filled), style="dim")
            table.add_row(title, bar, format_size(value), format_percent(value, st.total))
        table.add_row("", "", "", "")
        table.add_row(Text("V8 heap", style="bold"), "", format_size(st.v8heap), format_percent(st.v8heap, st.total))
        table.add_row(Text("Native", style="bold"), "", format_size(st.native), format_percent(st.native, st.total))
        table.add_row("", "", "", "")
        table.add_row("Nodes", f"{st.node_count:,}", "", "")
        table.add_row("Edges", f"{st.edge_count:,}", "", "")
        return table
