"""A tree grid drawn line by line from a :class:`~heaptui.tui.models.tree.TreeModel`.

One widget, whatever the number of rows: ``render_line`` asks the model for
the row at that screen line, so a class with half a million instances costs
the same to draw as one with ten. Line 0 is a sticky column header; clicking
it sorts (where the model can, see :mod:`~heaptui.tui.models.sorting`), and
the footer lists the keys. A heavy expansion runs as background work.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...engine.snapshot import Snapshot
from ...visible import clip
from ..format import keep_id, size_cell
from ..messages import WorkFailed
from ..models.tree import CLASS, EDGE, MORE, Column, Row, TreeModel
from ..work import Job, work_of

WIDE = (
    Column("distance", "Distance", 9),
    Column("shallow", "Shallow Size", 16),
    Column("retained", "Retained Size", 16),
)
# On an 80-column terminal the object names need the room more than the headers.
NARROW = (Column("distance", "Dist", 5), Column("shallow", "Shallow", 14), Column("retained", "Retained", 14))
NARROW_BELOW = 110


class TreeTable(ScrollView, can_focus=True, inherit_bindings=False):
    """A keyboard- and mouse-driven tree grid over a model of visible rows (its keys are its own: the
    scroll container's ctrl+pageup "Page Left" and the like would only clutter ``?``)."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("right,l,enter", "expand", "Expand"),
        Binding("left,h", "collapse", "Collapse"),
        Binding("space", "toggle_row", "Toggle", show=False),
    ]

    DEFAULT_CSS = """
    TreeTable { height: 1fr; overflow-x: hidden; }
    """

    COMPONENT_CLASSES = {
        "tree-table--header",
        "tree-table--header-focused",
        "tree-table--cursor",
        "tree-table--cursor-blurred",
        "tree-table--dim",
        "tree-table--class",
        "tree-table--more",
        "tree-table--cycle",
        "tree-table--edge",
        "tree-table--empty",
        "tree-table--stale",
    }

    cursor = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The cursor is on another row."""

        def __init__(self, table: TreeTable, row: Row | None) -> None:
            self.table = table
            self.row = row
            super().__init__()

    def __init__(
        self,
        model: TreeModel | None = None,
        *,
        name_title: str = "Constructor",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.model = model
        self.name_title = name_title
        self._expanding: dict[str, Row] = {}  # heavy expansions under way, by job kind
        self.empty_text = ""  # why there are no rows ("no class matches 'Dta'"), drawn where they would be
        self.empty_hint = False  # the text is a hint (dim), not a warning
        self.stale = False  # the rows are being replaced (new ones are computed): drawn faded
        self._line_style: Style | None = None  # the widget's own style while its lines are drawn
        self._line_width: int | None = None  # and the width of its rows then

    def set_empty_text(self, text: str, hint: bool = False) -> None:
        """What to say where the rows would be when there are none: a warning, or a dim ``hint``."""
        if (text, hint) != (self.empty_text, self.empty_hint):
            self.empty_text, self.empty_hint = text, hint
            self.refresh()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.refresh()

    # ---------------------------------------------------------------- model

    def set_model(self, model: TreeModel | None, cursor: int = 0) -> None:
        self.model = model
        self._sync(cursor)

    def _sync(self, cursor: int | None = None) -> None:
        count = len(self.model) if self.model else 0
        self.virtual_size = Size(0, count + 1)
        if cursor is not None:
            self.cursor = max(0, min(cursor, count - 1))
        else:
            self.cursor = max(0, min(self.cursor, count - 1))
        self.refresh()

    @property
    def current(self) -> Row | None:
        if not self.model or not len(self.model):
            return None
        return self.model.rows[self.cursor]

    @property
    def snapshot(self) -> Snapshot | None:
        return self.model.snapshot if self.model else None

    # ---------------------------------------------------------------- cursor and scrolling

    def watch_cursor(self, old: int, new: int) -> None:
        if old != new and self._on_screen(old) and self._on_screen(new):
            # Only the two rows change: drawing the whole grid again cost most of a key's time.
            self.refresh_line(old + 1)  # line 0 is the header
            self.refresh_line(new + 1)
        else:
            self._scroll_to_cursor()
            self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _on_screen(self, index: int) -> bool:
        """Whether row ``index`` is drawn now (so the cursor moving to it scrolls nothing)."""
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        return height >= 2 and top <= index < top + height - 1

    @property
    def _width(self) -> int:
        if self._line_width is not None:
            return self._line_width
        return self.scrollable_content_region.width

    def _scroll_to_cursor(self) -> None:
        if self.scrollable_content_region.height < 2:
            return  # not laid out yet (a view just shown): on_resize scrolls once it is
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if self.model and len(self.model):
            self.cursor = max(0, min(len(self.model) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        if self.model:
            self.cursor = max(0, len(self.model) - 1)

    def action_expand(self) -> None:
        row = self.current
        if row is None or self.model is None:
            return
        if row.expanded:
            if self.cursor + 1 < len(self.model):
                self.cursor += 1
            return
        if row.kind != MORE and self.model.can_expand(row) and self.model.is_heavy(row):
            self._expand_in_background(row)
            return
        added = self.model.expand(self.cursor)
        if added or row.kind == MORE:
            self._sync()
            self.post_message(self.Highlighted(self, self.current))

    def _expand_in_background(self, row: Row) -> None:
        """Mark the row as loading now; compute its children as background work; insert them when done.

        Each row is a job of its own (expanding another row does not supersede it); should it fail,
        the row is marked as not loading and the failure is shown.
        """
        model = self.model
        assert model is not None
        row.loading = True
        self.refresh()

        def children(job: Job[list[Row]]) -> list[Row]:
            return model.children(row)

        def insert(kids: list[Row]) -> None:
            self._expanding.pop(kind, None)
            row.loading = False
            index = model.index_of(row)
            if model is self.model and index is not None:
                model.insert_children(index, kids)
                self._sync()

        kind = f"expand-{id(row)}"
        self._expanding[kind] = row
        work_of(self.app).run(self, kind, children, insert, what="Expanding")

    def on_work_failed(self, event: WorkFailed) -> None:
        """A heavy expansion failed: its row is no longer loading (the app notifies the failure)."""
        row = self._expanding.pop(event.kind, None)
        if row is not None:
            row.loading = False
            self.refresh()

    def action_collapse(self) -> None:
        row = self.current
        if row is None or self.model is None:
            return
        if row.expanded:
            self.model.collapse(self.cursor)
            self._sync()
        else:
            parent = self.model.parent_index(self.cursor)
            if parent is not None:
                self.cursor = parent

    def action_toggle_row(self) -> None:
        row = self.current
        if row is not None and row.expanded:
            self.action_collapse()
        else:
            self.action_expand()

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column and self.model is not None and self.model.can_sort(column):
                self.sort_by(column, self.model.toggled(column))
            return
        index = round(self.scroll_y) + event.y - 1
        if self.model and 0 <= index < len(self.model):
            self.cursor = index
            row = self.model.rows[index]
            marker_end = 2 * row.depth + 2
            if event.x < marker_end or event.chain > 1 or row.kind == MORE:
                self.action_toggle_row()

    @property
    def columns(self) -> tuple[Column, ...]:
        narrow = self._width < NARROW_BELOW
        own = self.model.columns(narrow) if self.model is not None else None
        if own is not None:
            return own
        return NARROW if narrow else WIDE

    def _column_at(self, x: int) -> str | None:
        right = self._width
        for column in reversed(self.columns):
            if right - column.width <= x < right:
                return column.key
            right -= column.width
        return "name"

    def on_resize(self) -> None:
        self._sync()
        self._scroll_to_cursor()

    def watch_has_focus(self, has_focus: bool) -> None:
        """Repaint the two lines the focus changes (the header and the cursor row), without restyling.

        Textual restyles a widget, its scroll bars and each of its component classes whenever it gains or
        loses the focus (3-4 ms a grid on this project's machines): a view switch or a ``tab`` moves the focus
        off one grid and onto another, so twice per key. No style of the grid depends on its focus (the
        focused header and cursor are component classes of their own, chosen as the lines are drawn; a test
        restyles a grid in both states and checks), so drawing the two lines again is all the change needs.
        """
        self.refresh_line(0)
        if self.model is not None and self._on_screen(self.cursor):
            self.refresh_line(self.cursor + 1)

    # ---------------------------------------------------------------- drawing

    def _name_width(self) -> int:
        return max(10, self._width - sum(c.width for c in self.columns))

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in ``crop``, with the widget's own style worked out once for all of them: Textual works it
        out afresh on each use, from every ancestor's styles (a quarter of a millisecond, per line: a tenth of
        a view switch's time on the 1 GB snapshot), and it cannot change while the lines are drawn. The same
        for the rows' width (asked four times a line, a third of the grid's drawing time)."""
        self._line_style = self.rich_style
        self._line_width = self.scrollable_content_region.width
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None
            self._line_width = None

    @property
    def line_style(self) -> Style:
        """The widget's own style (of the lines being drawn, else worked out now)."""
        return self._line_style if self._line_style is not None else self.rich_style

    def render_line(self, y: int) -> Strip:
        width = self._width
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        if not self.model or index >= len(self.model):
            if y == 1 and self.empty_text and (not self.model or not len(self.model)):
                style = self.get_component_rich_style("tree-table--dim" if self.empty_hint else "tree-table--empty")
                return Strip([Segment(self._fit("  " + self.empty_text, width), style)]).crop_extend(0, width, style)
            return Strip.blank(width, self.line_style)
        strip = self._row_strip(self.model.rows[index], index == self.cursor and not self.stale, width)
        if self.stale:
            stale = self.get_component_rich_style("tree-table--stale")
            strip = Strip(Segment.apply_style(strip, post_style=Style(color=stale.color)), strip.cell_length)
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("tree-table--header-focused" if self.has_focus else "tree-table--header")
        name_title = self._title("name", self.name_title)
        model = self.model
        if model is not None and model.SORTS and model.sort_column not in ("name", *(c.key for c in self.columns)):
            key = model.sort_key(model.sort_column)  # sorted by what no column shows (the Summary's count)
            name_title += f"  (by {key.label if key else model.sort_column} {'▼' if model.descending else '▲'})"
        segments = [Segment(self._fit(name_title, self._name_width()), style)]
        for column in self.columns:
            segments.append(Segment(self._title(column.key, column.title, column.width - 1).rjust(column.width), style))
        return Strip(segments).crop_extend(0, width, style)

    def _title(self, key: str, title: str, room: int | None = None) -> str:
        """A column's title, with the sort's arrow on the sorted column: after it when there is room, else in
        the gap before it (the title is never cut for the arrow); ``room`` is the width less the gap."""
        model = self.model
        if model is None or not model.SORTS or key != model.sort_column:
            return title
        arrow = "▼" if model.descending else "▲"
        if room is None or len(title) + 2 <= room:
            return f"{title} {arrow}"
        if len(title) + 1 <= room + 1:
            return f"{arrow}{title}"
        return title[: max(0, room)] + arrow

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort the model by ``column`` (its usual direction, or ``descending``) and say so."""
        model = self.model
        key = model.sort_key(column) if model is not None else None
        if model is None or key is None:
            return
        kept = self._expansions(model)
        model.sort(column, descending)
        self.set_model(model, self._restore(model, kept))
        self.notify(f"Sorted by {key.label}", timeout=1.5)

    def _expansions(self, model: TreeModel) -> tuple[list[int], tuple[str, int, int] | None]:
        """The expanded classes and the cursor's row (kind, class, node), to keep them over a sort."""
        expanded = [row.class_index for row in model.rows if row.kind == CLASS and row.expanded]
        row = self.current
        at = None
        if row is not None:
            parent = self.cursor
            while parent > 0 and model.rows[parent].depth > 0:
                parent -= 1
            at = (row.kind, model.rows[parent].class_index, row.node)
        return expanded, at

    def _restore(self, model: TreeModel, kept: tuple[list[int], tuple[str, int, int] | None]) -> int:
        """Expand again the classes that were (a sort lists the classes afresh), and find the cursor's row."""
        expanded, at = kept
        for class_index in expanded:
            index = next(
                (i for i, r in enumerate(model.rows) if r.kind == CLASS and r.class_index == class_index), None
            )
            if index is not None and not model.is_heavy(model.rows[index]):
                model.expand(index)
        if at is None:
            return 0
        kind, class_index, node = at
        fallback = 0
        for i, row in enumerate(model.rows):
            if row.kind == CLASS and row.class_index == class_index:
                fallback = i
                if kind == CLASS:
                    return i
            elif row.kind == kind and row.node == node and node >= 0:
                return i
        return fallback

    def cycle_sort(self) -> None:
        """The next column the model sorts by (the ``s`` key of the views that sort)."""
        if self.model is not None and self.model.SORTS:
            self.sort_by(self.model.next_sort())

    @staticmethod
    def _fit(text: str, width: int) -> str:
        """A row's text as drawn: control characters escaped (never cut in half), cut or padded to ``width``."""
        return clip(text, width).ljust(width)

    def _row_strip(self, row: Row, selected: bool, width: int) -> Strip:
        base = self.line_style
        if row.kind == CLASS:
            name_style = self.get_component_rich_style("tree-table--class")
        elif row.kind == MORE:
            name_style = self.get_component_rich_style("tree-table--more")
        elif row.cycle or row.ignored:
            name_style = self.get_component_rich_style("tree-table--cycle")
        else:
            name_style = base
        dim = self.get_component_rich_style("tree-table--dim")
        if row.kind == MORE:
            marker = "  "
        elif row.cycle:
            marker = "↻ "
        elif row.expandable:
            marker = "▾ " if row.expanded else "▸ "
        else:
            marker = "  "
        indent = "  " * row.depth
        name_width = self._name_width()
        label = (
            row.label
            + ("  (cycle)" if row.cycle else "")
            + ("  (ignored)" if row.ignored else "")
            + ("  (loading…)" if row.loading else "")
        )
        label = keep_id(label, name_width - len(indent) - len(marker))
        text = self._fit(indent + marker + label, name_width)
        lead = len(indent) + len(marker)
        segments = [Segment(text[:lead], dim), Segment(text[lead:], name_style)]
        if row.note and len(indent + marker + label) + 2 < name_width:  # the location of a shared class name
            end = len(indent + marker + label)
            note = self._fit("  " + row.note, name_width - end)
            segments = [Segment(text[:lead], dim), Segment(text[lead:end], name_style), Segment(note, dim)]
        if row.kind == EDGE or row.kind == "retainer":
            segments = self._split_edge(segments, text, lead, name_style)
        columns = self.columns
        if row.kind != MORE and self.model is not None and self.model.columns(False) is not None:
            for column, cell in zip(columns, self.model.cells(row, columns)):
                segments.append(Segment(cell.rjust(column.width)[-column.width :], base))
        elif row.kind != MORE:
            snapshot = self.snapshot
            total = snapshot.total_size if snapshot else 0
            distance, shallow, retained = columns
            segments.append(Segment(Snapshot.distance_text(row.distance).rjust(distance.width), dim))
            segments.append(Segment(size_cell(row.shallow, total, shallow.width), base))
            segments.append(Segment(size_cell(row.retained, total, retained.width), base))
        strip = Strip(segments).crop_extend(0, width, base)
        if selected:
            strip = Strip(Segment.apply_style(strip, post_style=self._cursor_style()), strip.cell_length)
        return strip

    def _cursor_style(self) -> Style:
        """The cursor row's colours, laid over every cell's own (each cell has a background already, so a
        style laid under them, as ``Strip.apply_style`` does, never showed); unfocused, the blurred one."""
        name = "tree-table--cursor" if self.has_focus else "tree-table--cursor-blurred"
        style = self.get_component_rich_style(name)
        return Style(
            color=style.color,
            bgcolor=style.bgcolor,
            bold=style.bold,
            underline=style.underline,
            italic=False if self.has_focus else None,
        )

    def _split_edge(self, segments: list[Segment], text: str, lead: int, style: Style) -> list[Segment]:
        """Dim the edge-name part of an edge or retainer row (``name :: Object`` / ``name in Object``)."""
        body = text[lead:]
        for separator in (" :: ", " in "):
            at = body.find(separator)
            if at != -1:
                edge_style = self.get_component_rich_style("tree-table--edge")
                return [
                    segments[0],
                    Segment(body[:at], edge_style),
                    Segment(body[at : at + len(separator)], self.get_component_rich_style("tree-table--dim")),
                    Segment(body[at + len(separator) :], style),
                ]
        return segments
