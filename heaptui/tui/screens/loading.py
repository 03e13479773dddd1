"""The screen shown while snapshots load: one progress bar per file, phase by phase."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, ProgressBar

from ...engine.load import PHASES
from ..loader import Loader
from ..markup import with_texts
from ..widgets.footer import KeysFooter

POLL = 0.05
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
FIRST_RUN_NOTE = (
    "First run of this heaptui: a second process compiles its kernels, once ({estimate}); "
    "meanwhile a small snapshot is indexed by them as plain Python. Later runs start at once."
)
FIRST_RUN_ESTIMATE = "15 to 25 s of one core"  # measured: benchmarks/first_run.py


class FileProgress(Vertical):
    """A file's name, the phase being run and a bar for the whole load."""

    DEFAULT_CSS = """
    FileProgress { height: auto; margin: 1 2 0 2; }
    FileProgress Label { width: 100%; }
    """

    def __init__(self, path: str, compiling: bool = False) -> None:
        super().__init__()
        self.path = path
        self.compiling = compiling  # a first run: phases compile their kernels, or run them as Python
        self.started = time.monotonic()
        self.phase: str | None = None
        self.phase_started = self.started

    def compose(self) -> ComposeResult:
        size = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        yield Label(with_texts(f"[b]$name[/b]  ({size / 1e6:,.1f} MB)", name=os.path.basename(self.path)))
        yield Label("waiting…", classes="phase")
        yield ProgressBar(total=100, show_eta=False)

    def show(self, phase: str | None, done: int = 0, total: int = 0) -> None:
        """The phase, its percent, and the time spent in it and in all (they move while a kernel compiles).

        Parsing reads the file (most of the time); each later phase is a step of the rest.
        """
        now = time.monotonic()
        if phase != self.phase:
            self.phase, self.phase_started = phase, now
        spin = SPINNER[int(now * 4) % len(SPINNER)]
        if phase is None:
            self.query_one(".phase", Label).update(f"{spin} waiting…  {now - self.started:4.1f} s")
            return
        step = PHASES.index(phase) if phase in PHASES else 0
        fraction = done / total if total else 0.0
        if phase == "parse":
            overall = 60 * fraction
        else:
            overall = 60 + 40 * (step - 1 + fraction) / (len(PHASES) - 1)
        doing = " (first run)" if self.compiling and fraction < 1 and phase in PHASES else ""
        self.query_one(".phase", Label).update(
            f"{spin} {phase}{doing} {100 * fraction:.0f}%  {now - self.phase_started:.1f} s"
            f" of {now - self.started:.1f} s"
        )  # this phase's time of all so far; fits 60 columns unwrapped
        self.query_one(ProgressBar).update(progress=overall)


class LoadingScreen(Screen):
    """Shows a :class:`Loader`'s progress, then hands its snapshots over (or its error)."""

    DEFAULT_CSS = """
    #first-run { width: 100%; height: auto; margin: 1 2 0 2; }
    """

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
                yield Label(f"[yellow]{FIRST_RUN_NOTE.format(estimate=FIRST_RUN_ESTIMATE)}[/yellow]", id="first-run")
            for path in self.loader.paths:
                yield FileProgress(path, compiling=self.loader.first_run)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._poll()
        self.set_interval(POLL, self._poll)

    def _poll(self) -> None:
        loader = self.loader
        for bar in self.query(FileProgress):
            bar.show(*loader.progress.get(bar.path, (None, 0, 0)))
        if loader.finished.is_set() and self.is_current:
            if loader.error:
                self.on_error(loader.error)
            else:
                self.on_done(loader.snapshots)

    def action_cancel(self) -> None:
        self.loader.cancel()
