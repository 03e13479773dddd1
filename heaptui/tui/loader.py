"""Loading snapshots as a background job, started before the app itself (no Textual here).

The ``heaptui FILE`` command starts a :class:`Loader` first and builds the app
while it runs: a :class:`~heaptui.tui.work.Job` on the app's one kind of
thread (there is no app yet to hand a result to). Its progress callbacks
raise Cancelled once the job is cancelled (escape on the loading screen). The
loading screen polls :attr:`Loader.progress`, which needs no call across
threads and cannot miss an update made before it looked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .work import Job, start


@dataclass
class Loader:
    """Loads the files (side by side on several cores); everything it learns is readable from any thread."""

    paths: list[str]
    cache: Any = None  # engine.cache.CacheOptions, or None for no index cache
    salvage: bool = False  # load what is complete of truncated files
    progress: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    snapshots: list = field(default_factory=list)
    error: str | None = None
    job: Job[None] = field(default_factory=lambda: Job("load"))

    started: bool = False
    first_run: bool = False  # numba has no compiled kernels on disk yet: the first load compiles them

    @property
    def finished(self) -> threading.Event:
        """Set once the load ended (loaded, failed or cancelled)."""
        return self.job.finished

    def start(self) -> Loader:
        """Start loading in the background (once)."""
        if not self.started:
            self.started = True
            # Imported by the caller: two threads importing one package at once can see it half made.
            from ..engine import load  # noqa: F401  (the engine package itself imports lazily)
            from ..engine.warmup import kernels_compiled

            self.first_run = not kernels_compiled()

            start(self.job, self._load_all)
        return self

    def cancel(self) -> None:
        self.job.cancel()

    def _load_all(self, job: Job[None]) -> None:
        from ..engine.errors import classify_error
        from ..engine.load import load_snapshots

        def report_for(path: str):  # noqa: ANN202 - a ProgressCallback
            def report(phase: str, done: int, total: int) -> None:
                job.progress(phase, done, total)  # raises Cancelled once the load is cancelled
                self.progress[path] = (phase, done, total)

            return report

        where = ", ".join(self.paths)
        try:
            self.snapshots.extend(load_snapshots(self.paths, report_for, cache=self.cache, salvage=self.salvage))
        except Exception as error:  # one line, as the CLI reports it (a truncated file: with the --salvage hint)
            self.error = classify_error(error, where, salvaging=self.salvage).message
        if not self.error and len(self.snapshots) < len(self.paths):
            self.error = f"{where}: loading cancelled"
