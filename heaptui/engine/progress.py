"""Progress reporting and cancellation: one contract for all long engine work.

The contract, for every front end (CLI on stderr, the app's progress bars, an MCP server):

* Long engine work takes a keyword ``progress: ProgressCallback | None = None``: loading
  (:func:`~heaptui.engine.load.load_snapshots`), the Comparison (:func:`~heaptui.engine.compare.compare`),
  the leak report (:func:`~heaptui.engine.leaks.leak_report`), the Summary filters
  (:func:`~heaptui.engine.filters.filter_mask`), a class's instance index
  (:meth:`~heaptui.engine.snapshot.Snapshot.instances_index`), the retainer paths
  (:func:`~heaptui.engine.leaks.shortest_paths`) and the allocation windows
  (:meth:`~heaptui.engine.snapshot.Snapshot.allocated_between`).
* It calls ``progress(phase, done, total)`` between chunks of work: ``phase`` names the step in a few words,
  ``done``/``total`` measure it (``done == total`` at its end). Loops over nodes go in chunks of
  :data:`PROGRESS_CHUNK`, so the callback is called about every 0.1 s of work; one numpy sort of a very
  large array is a single step.
* A callback that raises :class:`~heaptui.engine.errors.Cancelled` (a superseded job, the escape key,
  ctrl+c) stops the work there: the exception propagates to the caller, and no half-made result is left
  in a :class:`~heaptui.engine.snapshot.Snapshot`; it answers every question as before and the same work
  can be started again.
* A callback must be cheap (it is called often) and may be called from a worker thread.

This module imports nothing heavy, so ``heaptui.capture`` can share these types without numpy.
"""

from __future__ import annotations

from typing import Protocol

PROGRESS_CHUNK = 1 << 22  # nodes or edges per step of a chunked loop: a few milliseconds of numpy


class ProgressCallback(Protocol):
    def __call__(self, phase: str, done: int, total: int, /) -> None: ...


def no_progress(phase: str, done: int, total: int) -> None:
    """The default callback: report nothing, never cancel."""
