"""The key bar at the bottom of every screen: the keys that work now, drawn as one line by one widget.

Textual's Footer is a container of one widget per key, built again (mounted,
styled, laid out) whenever the screen's keys may have changed, and a view
switch does change them. That rebuild took about 60 ms of the app thread after
each view switch or ``tab`` between panes (the keys drawn first, then the bar
rebuilt: 110-140 ms of work per switch against 50-70 ms without it, on a
160x50 screen), so a key typed meanwhile waited for it; its replaced keys also
stayed alive (Textual issue #6666), walked by every full garbage collection.
This bar keeps the keys as a list and draws them as the Footer does: the key
in bold, its description, the command palette's key at the right edge, keys
the screen disables dimmed; a click on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class ShownKey:
    """A key as the bar shows it."""

    key: str  # the key pressed on a click
    display: str  # how the key is written ("^p", "→")
    description: str
    enabled: bool


class KeysFooter(Widget):
    """The keys of the focused widget, its views and the screen (those bound with ``show``), in one line."""

    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeysFooter > .keys-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeysFooter > .keys-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeysFooter > .keys-footer--rule {
        color: $foreground 20%;
    }
    """

    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description", "keys-footer--rule"}
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: tuple[ShownKey, ...] = ()  # the keys shown, left to right
        self.palette: ShownKey | None = None  # the command palette's key, at the right edge
        self.rebuilds = 0  # times the keys shown changed (for tests)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        """The screen's keys may have changed (focus moved, a view shown, a check changed its mind)."""
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette = self.wanted()
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self.rebuilds += 1
            self.refresh()

    def wanted(self) -> tuple[tuple[ShownKey, ...], ShownKey | None]:
        """The keys to show, as Textual's Footer picks them: each action once (its first key), in the order
        the bindings come (focused widget first); and the command palette's key."""
        app = self.app
        keys: list[ShownKey] = []
        actions: set[str] = set()
        palette = None
        for key, (_, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            shown = ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = shown
            elif binding.show and binding.action not in actions:
                actions.add(binding.action)
                keys.append(shown)
        return tuple(keys), palette

    def _parts(self) -> tuple[list[tuple[ShownKey, int, int]], int]:
        """Each key shown with the columns it takes (start, end), the palette's first, and where the palette's key
        starts."""
        parts, x = [], 0
        for key in self.keys:
            width = len(key.display) + 2 + len(key.description) + 1
            parts.append((key, x, x + width))
            x += width
        palette_at = self.size.width
        if self.palette is not None:
            palette_at -= len(self.palette.display) + len(self.palette.description) + 3
            parts.insert(0, (self.palette, palette_at + 1, self.size.width))  # drawn over keys that overflow
        return parts, palette_at

    def render_line(self, y: int) -> Strip:
        """The keys as segments (Textual's way from a Rich Text to the screen took 1.5-5 ms a redraw)."""
        width, base = self.size.width, self.rich_style
        if y != 0:
            return Strip.blank(width, base)
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        dim = Style(dim=True)
        segments = []
        parts, palette_at = self._parts()
        for key, _, _ in parts:
            if key is not self.palette:
                segments.append(Segment(f" {key.display} ", key_style if key.enabled else key_style + dim))
                description = description_style if key.enabled else description_style + dim
                segments.append(Segment(f"{key.description} ", description))
        strip = Strip(segments)
        if self.palette is None or palette_at <= 0:
            return strip.crop_extend(0, width, base)
        palette = [
            Segment("▏", self.get_component_rich_style("keys-footer--rule")),
            Segment(self.palette.display, key_style),
            Segment(f" {self.palette.description} ", description_style),
        ]
        return Strip.join([strip.crop_extend(0, palette_at, base), Strip(palette)]).crop_extend(0, width, base)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for key, start, end in self._parts()[0]:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
