"""The key bar at the bottom of every screen: Textual's Footer, without the keys it keeps after replacing them.

Textual's Footer builds its keys again whenever the screen's bindings change
(every view switch and focus move) and binds each key's ``compact`` to its
own. Textual (up to 8.2.8 at least, issue Textualize/textual#6666) only
forgets the keys watching a reactive when that reactive changes, and the
footer's ``compact`` never does: every key ever shown stayed alive with its
styles, caches and message queue, about 1,700 Python objects per view
switch. Besides the memory, each full garbage collection walked all of them,
so its pause grew through a session (40 ms more per hundred switches), a
pause every key pressed then waited for.
"""

from __future__ import annotations

from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that lets its replaced keys go."""

    async def recompose(self) -> None:
        await super().recompose()
        # Setting ``compact`` again (unchanged) runs Textual's own clean-up of its watchers, which drops the
        # keys just removed; the keys shown get the value they already have.
        self.mutate_reactive(Footer.compact)
