"""The key bar at the bottom of every screen: Textual's Footer, rebuilt only when its keys change, and without
the keys it keeps after replacing them.

Textual's Footer builds its keys again whenever the screen says its bindings
may have changed: every focus move, view switch and binding check, four to six
times per view switch, mostly with the very keys it shows already. Each
rebuild mounts a dozen widgets, styles them and lays the bar out again: on the
1 GB snapshot a fifth to a third of the app thread's time on a view switch, a
Retainers ``tab`` or the filter's ``/`` and ``escape`` (20-40 ms a key with
everything else). So the bar is rebuilt only when what it would show differs
from what it shows.

Textual (up to 8.2.8 at least, issue Textualize/textual#6666) also only forgets
the keys watching a reactive when that reactive changes, and the footer's
``compact`` never does: every key ever shown stayed alive with its styles,
caches and message queue, about 1,700 Python objects per view switch. Besides
the memory, each full garbage collection walked all of them, so its pause grew
through a session (40 ms more per hundred switches), a pause every key pressed
then waited for.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that rebuilds its keys only when they change, and lets its replaced keys go."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_keys: tuple[object, ...] | None = None  # what the keys shown were built from
        self.rebuilds = 0  # times the keys were built (for tests)

    def keys_wanted(self) -> tuple[object, ...]:
        """What :meth:`Footer.compose` builds its keys from, as a value to compare: the screen's bindings
        shown (key, its display, description, action, whether enabled, tooltips, group), whether the bindings
        are ready, and the command palette's key."""
        if not getattr(self, "_bindings_ready", True):  # Textual's own flag (8.x); a release without it: ready
            return ()
        app = self.app
        return (
            tuple(
                (binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
                + (binding.tooltip, binding.group)
                for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
            ),
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE,
        )

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        wanted = self.keys_wanted()
        if wanted == self.shown_keys:
            return
        self.shown_keys = wanted
        self.rebuilds += 1
        await super().recompose()
        # Setting ``compact`` again (unchanged) runs Textual's own clean-up of its watchers, which drops the
        # keys just removed; the keys shown get the value they already have.
        self.mutate_reactive(Footer.compact)
