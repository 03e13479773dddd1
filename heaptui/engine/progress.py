"""Progress reporting shared by the CLI (stderr) and the TUI (a progress bar).

A loader phase calls ``report(phase, done, total)`` between chunks of work. The
callback may raise :class:`~heaptui.engine.errors.Cancelled` to stop the load;
that is how the TUI's escape key and the CLI's ctrl+c end a load cleanly.
"""

from __future__ import annotations

from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(self, phase: str, done: int, total: int) -> None: ...


def no_progress(phase: str, done: int, total: int) -> None:
    """The default callback: report nothing, never cancel."""
