"""The view bar under the title: each view's number key and name, the shown one marked and underlined.

One widget drawing two lines, where Textual's Tabs are eight widgets (a scroll
container, a bar, a row, one Tab each, an underline): switching views through
them restyled two Tabs, slid the underline for 0.3 s (a dozen frames drawn
while the next key waits) and laid all eight out again, 5-8 ms of a view
switch on a 160x50 screen. Here a switch changes one attribute and draws two
lines. It looks as the Tabs did (the same colours, the same underline), save
that the shown view's name is brighter than the others, as Textual meant it to
be (the app's own colour for every Tab had hidden it); a click on a name shows
that view, as a click on a tab did.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

PADDING = 1  # spaces on each side of a name, as a Tab has
BAR, HALF_RIGHT, HALF_LEFT = "━", "╸", "╺"  # Textual's underline bar and its ends


class ViewBar(Widget):
    """The names of the views (``views``: key and label, in number-key order) with ``active`` marked."""

    DEFAULT_CSS = """
    ViewBar { height: 2; width: 1fr; }
    /* Textual's Tabs draw the other names at 50% of the text colour: 4.3:1 on the dark background. */
    ViewBar > .view-bar--tab { color: $foreground 60%; }
    ViewBar > .view-bar--active { color: $foreground; }
    ViewBar > .view-bar--bar { color: $block-cursor-background; background: $foreground 10%; }
    ViewBar:ansi > .view-bar--tab { text-style: dim; }
    ViewBar:ansi > .view-bar--active { text-style: not dim bold; }
    ViewBar:ansi > .view-bar--bar { color: $block-cursor-background; background: $border-blurred; }
    """

    COMPONENT_CLASSES = {"view-bar--tab", "view-bar--active", "view-bar--bar"}

    class Chosen(Message):
        """A view's name was clicked."""

        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, views: list[tuple[str, str]], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views = list(views)
        self.active = active

    def show(self, key: str) -> None:
        """Mark ``key``'s view as the one shown."""
        if key != self.active:
            self.active = key
            self.refresh()

    def set_labels(self, labels: list[str]) -> None:
        """New names, in the same order (short ones on a narrow terminal)."""
        views = [(key, label) for (key, _), label in zip(self.views, labels, strict=True)]
        if views != self.views:
            self.views = views
            self.refresh()

    def spans(self) -> list[tuple[str, int, int]]:
        """Each view's key and the columns its name takes, padding included (start, end), as drawn: shifted
        left when the names overflow, so that the active one shows."""
        spans, x = [], 0
        for key, label in self.views:
            width = len(label) + 2 * PADDING
            spans.append((key, x, x + width))
            x += width
        active_end = next((end for key, _, end in spans if key == self.active), 0)
        shift = max(0, active_end - self.size.width)
        return [(key, start - shift, end - shift) for key, start, end in spans]

    def render_line(self, y: int) -> Strip:
        """Line 0: the names, the shown one in its own colour; line 1: the underline, heavy under it.

        Drawn as segments, not a Rich renderable: Textual's way from a Text to the screen cost 1.5-3 ms a
        switch (the bar is drawn again each time), the segments a tenth of that."""
        width, base = self.size.width, self.rich_style
        spans = self.spans()
        if y == 0:
            tab, active = (
                self.get_component_rich_style("view-bar--tab"),
                self.get_component_rich_style("view-bar--active"),
            )
            pad = " " * PADDING
            segments = [
                Segment(f"{pad}{label}{pad}", active if key == self.active else tab) for (key, label) in self.views
            ]
            shift = -spans[0][1] if spans else 0  # names cut on the left so that the shown one shows
            return Strip(segments).crop_extend(shift, shift + width, base)
        if y != 1:
            return Strip.blank(width, base)
        bar = self.get_component_rich_style("view-bar--bar")
        highlight, background = base + Style.from_color(bar.color), base + Style.from_color(bar.bgcolor)
        start, end = next(((s + PADDING, e - PADDING) for key, s, e in spans if key == self.active), (0, 0))
        start, end = max(0, start), min(width, end)
        if end <= start:
            return Strip([Segment(BAR * width, background)])
        # As Textual's underline draws it: half bars either side of the heavy part.
        segments = [Segment(BAR * (start - 1) + HALF_RIGHT, background)] if start > 0 else []
        segments.append(Segment(BAR * (end - start), highlight))
        if end < width:
            segments.append(Segment(HALF_LEFT + BAR * (width - end - 1), background))
        return Strip(segments).crop_extend(0, width, base)

    def on_click(self, event: events.Click) -> None:
        for key, start, end in self.spans():
            if start <= event.x < end:
                event.stop()
                self.post_message(self.Chosen(key))
                return
