"""The screen shown while snapshots load: one progress bar per file, phase by phase.

Loading runs on a daemon thread, not a Textual worker: a worker thread is
joined when the program exits, so quitting in the middle of a multi-GB load
would wait for it; a daemon thread is simply dropped. Progress comes back to
the UI thread through ``call_from_thread``, at most a few times a second.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar

from ...engine import Cancelled, Snapshot, SnapshotError, load_snapshot
from ...engine.load import PHASES


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
        yield Label(f"[b]{os.path.basename(self.path)}[/b]  ({size / 1e6:,.1f} MB)")
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
    """Loads every file, then hands the snapshots over (or the first error)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel loading")]

    def __init__(self, paths: list[str], on_done: Callable[[list[Snapshot]], None],
                 on_error: Callable[[str], None]) -> None:
        super().__init__()
        self.paths = paths
        self.on_done = on_done
        self.on_error = on_error
        self.cancelled = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="loading"):
            yield Label("[b]heaptui[/b] is indexing:", id="loading-title")
            for path in self.paths:
                yield FileProgress(path)
        yield Footer()

    def on_mount(self) -> None:
        threading.Thread(target=self._load_all, name="heaptui-load", daemon=True).start()

    def _load_all(self) -> None:
        snapshots = []
        for path, bar in zip(self.paths, self.query(FileProgress)):
            last = [0.0]

            def report(phase: str, done: int, total: int, bar: FileProgress = bar, last: list = last) -> None:
                if self.cancelled.is_set():
                    raise Cancelled()
                now = time.monotonic()
                if now - last[0] > 0.1 or done >= total:
                    last[0] = now
                    self.app.call_from_thread(bar.show, phase, done, total)

            try:
                snapshots.append(load_snapshot(path, report))
            except Cancelled:
                self.app.call_from_thread(self.on_error, f"{path}: loading cancelled")
                return
            except SnapshotError as error:
                self.app.call_from_thread(self.on_error, str(error))
                return
            except MemoryError:
                self.app.call_from_thread(self.on_error, f"{path}: not enough memory to load this snapshot")
                return
            except Exception as error:  # a bug: one line, as the CLI reports it
                self.app.call_from_thread(self.on_error, f"{path}: internal error ({type(error).__name__}: {error})")
                return
        self.app.call_from_thread(self.on_done, snapshots)

    def action_cancel(self) -> None:
        self.cancelled.set()
