"""The screen shown while snapshots load: one progress bar per file, phase by phase."""

from __future__ import annotations

import os
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar

from ...engine.load import PHASES
from ..loader import Loader
from ..markup import with_texts

POLL = 0.05


class FileProgress(Vertical):
    """A file's name, the phase being run and a bar for the whole load."""

    DEFAULT_CSS = """
    FileProgress { height: auto; margin: 1 2 0 2; }
    FileProgress Label { width: 100%; }
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        size = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        yield Label(with_texts(f"[b]$name[/b]  ({size / 1e6:,.1f} MB)", name=os.path.basename(self.path)))
        yield Label("waiting…", classes="phase")
        yield ProgressBar(total=100, show_eta=False)

    def show(self, phase: str, done: int, total: int) -> None:
        """Parsing reads the file (most of the time); each later phase is a step of the rest."""
        step = PHASES.index(phase) if phase in PHASES else 0
        fraction = done / total if total else 0.0
        if phase == "parse":
            overall = 60 * fraction
        else:
            overall = 60 + 40 * (step - 1 + fraction) / (len(PHASES) - 1)
        self.query_one(".phase", Label).update(f"{phase} {100 * fraction:3.0f}%")
        self.query_one(ProgressBar).update(progress=overall)


class LoadingScreen(Screen):
    """Shows a :class:`Loader`'s progress, then hands its snapshots over (or its error)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel loading")]

    def __init__(self, loader: Loader, on_done: Callable[[list], None], on_error: Callable[[str], None]) -> None:
        super().__init__()
        self.loader = loader
        self.on_done = on_done
        self.on_error = on_error

    def compose(self) -> ComposeResult:
        with Vertical(id="loading"):
            yield Label("[b]heaptui[/b] is indexing:", id="loading-title")
            if self.loader.first_run:
                yield Label("[yellow]First run on this machine: compiling heaptui's kernels "
                            "(once, about 20 s on 2 cores). Later runs start at once.[/yellow]", id="first-run")
            for path in self.loader.paths:
                yield FileProgress(path)
        yield Footer()

    def on_mount(self) -> None:
        self._poll()
        self.set_interval(POLL, self._poll)

    def _poll(self) -> None:
        loader = self.loader
        for bar in self.query(FileProgress):
            if bar.path in loader.progress:
                bar.show(*loader.progress[bar.path])
        if loader.finished.is_set() and self.is_current:
            if loader.error:
                self.on_error(loader.error)
            else:
                self.on_done(loader.snapshots)

    def action_cancel(self) -> None:
        self.loader.cancel()
