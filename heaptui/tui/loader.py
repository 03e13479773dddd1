"""Loading snapshots on a daemon thread, started before the app itself (no Textual here).

The ``heaptui FILE`` command starts a :class:`Loader` first and builds the app
while it runs. It is a daemon thread, not a Textual worker: a worker thread
is joined when the program exits, so quitting in the middle of a multi-GB load
would wait for it. The loading screen polls :attr:`Loader.progress`, which
needs no call across threads and cannot miss an update made before it looked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Loader:
    """Loads the files (side by side on several cores); everything it learns is readable from any thread."""

    paths: list[str]
    cache: Any = None  # engine.cache.CacheOptions, or None for no index cache
    salvage: bool = False  # load what is complete of truncated files
    progress: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    snapshots: list = field(default_factory=list)
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)

    started: bool = False
    first_run: bool = False  # numba has no compiled kernels on disk yet: the first load compiles them

    def start(self) -> Loader:
        """Start loading on a daemon thread (once)."""
        if not self.started:
            self.started = True
            # Imported by the caller: two threads importing one package at once can see it half made.
            from ..engine import load  # noqa: F401  (the engine package itself imports lazily)
            from ..engine.warmup import kernels_compiled

            self.first_run = not kernels_compiled()

            threading.Thread(target=self._run, name="heaptui-load", daemon=True).start()
        return self

    def cancel(self) -> None:
        self.cancelled.set()

    def _run(self) -> None:
        try:
            self._load_all()
        finally:
            self.finished.set()

    def _load_all(self) -> None:
        from ..engine import Cancelled, SnapshotError, load_snapshots
        from ..engine.errors import describe

        def report_for(path: str):  # noqa: ANN202 - a ProgressCallback
            def report(phase: str, done: int, total: int) -> None:
                if self.cancelled.is_set():
                    raise Cancelled()
                self.progress[path] = (phase, done, total)
            return report

        where = ", ".join(self.paths)
        try:
            self.snapshots.extend(load_snapshots(self.paths, report_for, cache=self.cache, salvage=self.salvage))
        except Cancelled:
            self.error = f"{where}: loading cancelled"
        except SnapshotError as error:
            self.error = describe(error, self.salvage)  # a truncated file: the --salvage hint, as the CLI gives
        except MemoryError:
            self.error = f"{where}: not enough memory to load"
        except Exception as error:  # a bug: one line, as the CLI reports it
            self.error = f"{where}: internal error ({type(error).__name__}: {error})"
        if not self.error and len(self.snapshots) < len(self.paths):
            self.error = f"{where}: loading cancelled"
