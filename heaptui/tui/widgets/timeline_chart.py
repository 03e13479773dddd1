"""The Timeline chart of a ``.heaptimeline``: what each moment of the recording allocated that still lives.

As DevTools' allocation timeline overview: one bar per sample interval, at
its time, as tall as the shallow size of the objects allocated in it that are
alive in the final snapshot (interval 0, what existed before the recording,
is not drawn). When the intervals outnumber the columns, a column sums the
intervals that end in its slice of time. The cursor moves over the columns
that hold intervals; shift extends a selection; enter filters the Summary to
the objects allocated in the selected intervals (exactly their id ranges:
DevTools' own window also takes in the interval after its right edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ...engine.sizes import format_size
from ...engine.timeline import Timeline

EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS_WIDTH = 10  # the size labels left of the bars


@dataclass(frozen=True)
class Columns:
    """The chart's columns: which intervals each holds, and their live size."""

    first: np.ndarray  # per column, its first interval (or -1: no interval ends in its slice of time)
    last: np.ndarray  # per column, its last interval
    size: np.ndarray  # per column, the live size of its intervals
    count: np.ndarray


def columns_for(timeline: Timeline, width: int) -> Columns:
    """Spread intervals 1..n-1 over ``width`` columns by their end time."""
    width = max(1, width)
    first = np.full(width, -1, dtype=np.int64)
    last = np.full(width, -1, dtype=np.int64)
    size = np.zeros(width, dtype=np.int64)
    count = np.zeros(width, dtype=np.int64)
    n = len(timeline)
    if n < 2:
        return Columns(first, last, size, count)
    ends = timeline.end_us[1:]
    start, span = int(timeline.timestamp_us[0]), max(1, int(ends[-1] - timeline.timestamp_us[0]))
    column = np.minimum(((ends - start) * width) // span, width - 1).astype(np.int64)
    column = np.maximum(column, 0)
    intervals = np.arange(1, n, dtype=np.int64)
    np.add.at(size, column, timeline.live_size[1:])
    np.add.at(count, column, timeline.live_count[1:])
    # intervals come in time order, so a column's first is its smallest and its last its largest
    last[column] = intervals
    first[column[::-1]] = intervals[::-1]
    return Columns(first, last, size, count)


class TimelineChart(Widget, can_focus=True):
    """The bars, a cursor and a selection, driven from the keyboard or the mouse."""

    BINDINGS = [
        Binding("left,h", "move(-1)", "Earlier", show=False),
        Binding("right,l", "move(1)", "Later", show=False),
        Binding("shift+left,H", "extend(-1)", "Select earlier", show=False),
        Binding("shift+right,L", "extend(1)", "Select later"),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("shift+home", "edge(0, True)", "Select to the first", show=False),
        Binding("shift+end", "edge(1, True)", "Select to the last", show=False),
        Binding("enter", "choose", "Filter Summary"),
    ]

    DEFAULT_CSS = """
    TimelineChart { height: 1fr; min-height: 6; }
    TimelineChart > .timeline--bar { color: $primary; }
    TimelineChart > .timeline--selected { color: $warning; }
    TimelineChart > .timeline--cursor { color: $warning; background: $boost; text-style: bold; }
    TimelineChart > .timeline--axis { color: $text-muted; }
    """

    COMPONENT_CLASSES = {"timeline--bar", "timeline--selected", "timeline--cursor", "timeline--axis"}

    cursor = reactive(0, repaint=True)  # a column holding intervals
    selection_anchor = reactive(0, repaint=True)  # the other end of the selection

    class Changed(Message):
        """The selection moved: intervals ``first..last``, or none."""

        def __init__(self, chart: TimelineChart, first: int | None, last: int | None) -> None:
            self.chart = chart
            self.first = first
            self.last = last
            super().__init__()

    class Chosen(Changed):
        """Enter on a selection: filter the Summary to it."""

    def __init__(self, timeline: Timeline, **kwargs) -> None:
        super().__init__(**kwargs)
        self.timeline = timeline
        self._columns: Columns | None = None
        self._width = -1

    @property
    def chart_width(self) -> int:
        return max(1, self.size.width - AXIS_WIDTH)

    @property
    def columns(self) -> Columns:
        if self._columns is None or self._width != self.chart_width:
            self._lay_out()
        assert self._columns is not None
        return self._columns

    def _lay_out(self) -> None:
        """Spread the intervals over the columns there are; the cursor starts on the tallest bar."""
        self._width = self.chart_width
        self._columns = columns_for(self.timeline, self._width)
        used = self.used_columns
        if used.size:
            self.set_reactive(TimelineChart.cursor, int(used[np.argmax(self._columns.size[used])]))
            self.set_reactive(TimelineChart.selection_anchor, self.cursor)

    def on_resize(self) -> None:
        self._lay_out()
        self._announce()

    @property
    def used_columns(self) -> np.ndarray:
        assert self._columns is not None
        return np.flatnonzero(self._columns.first >= 0)

    def selection(self) -> tuple[int, int] | None:
        """The selected intervals (first, last), or None when the chart is empty."""
        columns = self.columns
        low, high = sorted((self.cursor, self.selection_anchor))
        held = np.flatnonzero(columns.first[low : high + 1] >= 0) + low
        if not held.size:
            return None
        return int(columns.first[held[0]]), int(columns.last[held[-1]])

    def _step(self, column: int, step: int) -> int:
        used = self.used_columns
        if not used.size:
            return column
        at = int(np.searchsorted(used, column))
        if step > 0:
            at = at + 1 if at < used.size and used[at] == column else at
        else:
            at -= 1
        return int(used[min(max(at, 0), used.size - 1)])

    def _announce(self, message_type: type[Changed] = Changed) -> None:
        selected = self.selection() if self._columns is not None else None
        self.post_message(message_type(self, *(selected or (None, None))))

    def action_move(self, step: int) -> None:
        self.cursor = self.selection_anchor = self._step(self.cursor, step)
        self._announce()

    def action_extend(self, step: int) -> None:
        self.cursor = self._step(self.cursor, step)
        self._announce()

    def action_edge(self, end: int, extend: bool = False) -> None:
        used = self.used_columns
        if used.size:
            self.cursor = int(used[-1] if end else used[0])
            if not extend:
                self.selection_anchor = self.cursor
            self._announce()

    def action_choose(self) -> None:
        self._announce(self.Chosen)

    def on_click(self, event: events.Click) -> None:
        x = event.x - AXIS_WIDTH
        used = self.used_columns if self._columns is not None else np.empty(0, dtype=np.int64)
        if x < 0 or not used.size:
            return
        nearest = int(used[np.argmin(np.abs(used - x))])
        if event.shift:
            self.cursor = nearest
        else:
            self.cursor = self.selection_anchor = nearest
        self._announce()

    def render_line(self, y: int) -> Strip:
        columns = self.columns
        rows = max(1, self.size.height)
        peak = int(columns.size.max()) if columns.size.size else 0
        axis = self.get_component_rich_style("timeline--axis")
        label = format_size(peak) if y == 0 and peak else ("0" if y == rows - 1 else "")
        segments = [Segment(f"{label:>{AXIS_WIDTH - 2}} │", axis)]
        if not peak:
            return Strip(segments)
        bar = self.get_component_rich_style("timeline--bar")
        selected = self.get_component_rich_style("timeline--selected")
        cursor = self.get_component_rich_style("timeline--cursor")
        low, high = sorted((self.cursor, self.selection_anchor))
        eighths = (columns.size * (rows * 8) + peak - 1) // peak  # at least one eighth for any live byte
        floor = (rows - 1 - y) * 8
        run_style: Style | None = None
        run: list[str] = []
        for x in range(columns.size.shape[0]):
            level = int(min(max(eighths[x] - floor, 0), 8))
            style = cursor if x == self.cursor else selected if low <= x <= high else bar
            if style is not run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run_style = style
            run.append(EIGHTHS[level] if columns.first[x] >= 0 else " ")
        if run:
            segments.append(Segment("".join(run), run_style))
        return Strip(segments)


def interval_text(timeline: Timeline, first: int, last: int) -> str:
    """``1.20–1.45 s`` for intervals first..last, from the recording's start."""
    start = int(timeline.timestamp_us[0])
    return f"{(timeline.start_us[first] - start) / 1e6:.2f}–{(timeline.end_us[last] - start) / 1e6:.2f} s"
