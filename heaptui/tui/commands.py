"""Command palette (ctrl+p) entries: the views, the other snapshots, and every class of the Summary."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from ..engine.sizes import format_size
from ..visible import visible
from .format import plural
from .messages import SnapshotSwitched
from .screens.main import MainScreen


def highlighted(matcher: Matcher, label: str) -> Content:
    """``label`` as plain text (it holds class and file names, never markup), its matched letters marked.

    Textual's ``Matcher.highlight`` reads its candidate as markup; this does what it does on plain text.
    """
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    if score:
        for offset in offsets:
            if not label[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class HeapCommands(Provider):
    """Views by name, and classes by fuzzy name (the same matcher as the filter box)."""

    def _screen(self) -> MainScreen | None:
        """The Memory tab under the palette (the palette is a screen of its own)."""
        return next((s for s in reversed(self.app.screen_stack) if isinstance(s, MainScreen)), None)

    def _commands(self, screen: MainScreen) -> list[tuple[str, Callable[[], object], str]]:
        """(label, action, help) of the views and, with several snapshots open, of the snapshots."""
        found: list[tuple[str, Callable[[], object], str]] = [
            (f"View: {title}", partial(screen.action_view, key), f"Show the {title} view")
            for key, title in screen.views
        ]
        if len(screen.snapshots) > 1:
            found += [
                (
                    f"Snapshot {i + 1}: {visible(s.stem)}",
                    partial(screen.post_message, SnapshotSwitched(i, screen.current_view)),
                    f"{format_size(s.total_size)} heap",
                )
                for i, s in enumerate(screen.snapshots)
                if i != screen.index
            ]
        return found

    async def discover(self) -> Hits:
        screen = self._screen()
        if screen is None:
            return
        for label, action, help_text in self._commands(screen):
            yield DiscoveryHit(Content(label), action, text=label, help=help_text)

    async def search(self, query: str) -> Hits:
        screen = self._screen()
        if screen is None:
            return
        matcher = self.matcher(query)
        for label, action, help_text in self._commands(screen):
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, highlighted(matcher, label), action, text=label, help=help_text)
        summary = screen.summary
        classes = summary.model.all_classes
        for rank, i in enumerate(summary.matcher.best(query, limit=30)):
            row = classes[i]
            label = f"Class: {visible(row.name)}"
            yield Hit(
                max(0.1, 0.9 - rank * 0.02),
                highlighted(matcher, label),
                partial(screen.show_class, row.class_index),
                text=label,
                help=f"{row.count:,} {plural(row.count, 'object')}, retained {row.retained_size:,} bytes",
            )
