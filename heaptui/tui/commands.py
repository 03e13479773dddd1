"""Command palette (ctrl+p) entries: the views, and every class of the Summary."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .screens.main import MainScreen


class HeapCommands(Provider):
    """Views by name, and classes by fuzzy name (the same matcher as the filter box)."""

    def _screen(self) -> MainScreen | None:
        """The Memory tab under the palette (the palette is a screen of its own)."""
        return next((s for s in reversed(self.app.screen_stack) if isinstance(s, MainScreen)), None)

    async def discover(self) -> Hits:
        screen = self._screen()
        if screen is None:
            return
        for key, title in screen.views:
            yield DiscoveryHit(f"View: {title}", partial(screen.action_view, key), help=f"Show the {title} view")

    async def search(self, query: str) -> Hits:
        screen = self._screen()
        if screen is None:
            return
        matcher = self.matcher(query)
        for key, title in screen.views:
            score = matcher.match(f"View: {title}")
            if score > 0:
                yield Hit(score, matcher.highlight(f"View: {title}"), partial(screen.action_view, key))
        classes = screen.summary_model.all_classes
        for rank, i in enumerate(screen.matcher.best(query, limit=30)):
            row = classes[i]
            label = f"Class: {row.name}"
            yield Hit(max(0.1, 0.9 - rank * 0.02), matcher.highlight(label) if matcher.match(label) else label,
                      partial(screen.show_class, row.class_index),
                      help=f"{row.count:,} objects, retained {row.retained_size:,} bytes")
