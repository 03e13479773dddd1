"""The view bar under the title: each view's number key and name, the shown one marked and underlined.

One widget drawing two lines, where Textual's Tabs are eight widgets (a scroll
container, a bar, a row, one Tab each, an underline): switching views through
them restyled two Tabs, slid the underline for 0.3 s (a dozen frames drawn
while the next key waits) and laid all eight out again, about a fifth of a
view switch's time (medians of a 160x50 screen, 35 -> 27 ms on the ``1`` key).
Here a switch changes one attribute and draws two lines. It looks as the Tabs
did (the same component styles, the same underline), and a click on a name
shows that view, as a click on a tab did.
"""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.renderables.bar import Bar
from textual.widget import Widget

PADDING = 1  # spaces on each side of a name, as a Tab has


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

    def render(self) -> Group:
        tab, active = self.get_component_rich_style("view-bar--tab"), self.get_component_rich_style("view-bar--active")
        names = Text(no_wrap=True, overflow="crop")
        highlight = (0, 0)
        spans = self.spans()
        shift = -spans[0][1] if spans else 0
        for (key, label), (_, start, end) in zip(self.views, spans, strict=True):
            names.append(f"{' ' * PADDING}{label}{' ' * PADDING}", active if key == self.active else tab)
            if key == self.active:
                highlight = (start + PADDING, end - PADDING)
        if shift:
            names = names[shift:]
        bar = self.get_component_rich_style("view-bar--bar")
        underline = Bar(
            highlight_range=highlight,
            highlight_style=Style.from_color(bar.color),
            background_style=Style.from_color(bar.bgcolor),
        )
        return Group(names, underline)

    def on_click(self, event: events.Click) -> None:
        for key, start, end in self.spans():
            if start <= event.x < end:
                event.stop()
                self.post_message(self.Chosen(key))
                return
