"""Python's full garbage collections, run when no key waits for them.

CPython collects when allocations pass its thresholds, in whichever thread
allocates, and holds the GIL meanwhile: a collection stops the app thread
wherever it is. Young collections (generations 0 and 1) walk the objects made
since the last one and take a few milliseconds; a full one (generation 2)
walks every object alive, and the garbage that reached that generation. On the
1 GB snapshot, with the screen's objects frozen out of them, full collections
still took 20-64 ms of the app thread, several a minute of use, and as
allocations trigger them they came while keys were being handled (drawing
allocates most): a key pressed then waited for the whole collection.

So, once the screen has settled (:meth:`Collector.start`):

* the objects alive then are frozen (``gc.freeze``: never walked again; numba,
  the kernels, the snapshot's Python side and the screen stay anyway);
* young collections stay CPython's own, with a larger first threshold (fewer
  and still short: about 2,000 objects, 1-3 ms);
* full collections no longer start by themselves: the app runs one once a
  collection of generation 1 passed since the last one (``FULL_AFTER``) and
  the user has left the keys and mouse alone for ``IDLE`` seconds, with no
  background job running and none of their results shown meanwhile. That is
  much sooner than CPython would (after 10), on purpose: a full collection's
  pause grows with the garbage it frees (each focus move or view switch
  leaves Textual's styling objects in cycles), about 10-25 ms of CPU after 3
  collections of generation 1 against 50-70 ms after 10 on the 1 GB
  snapshot, and a key pressed as it runs (the user came back just then)
  waits for all of it: collecting at every short pause keeps each small.
  Should the user never pause, one runs anyway after ``FORCED_AFTER`` of them
  (on the 1 GB snapshot the benchmark's two and a half minutes of keys without
  a pause make 25-38), so the garbage waiting for a full collection stays
  bounded: what survived at most 40 young collections, a few tens of MB at
  worst however long the session (a full collection then frees 20,000-40,000
  objects), as with CPython's own schedule, just later.

Python 3.14's incremental collector already splits the old generation's work
into small steps: there only the freeze is done.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

YOUNG_THRESHOLD = 2000  # allocations (net) between collections of generation 0; CPython's default is 700
FULL_AFTER = 1  # collections of generation 1 after which a full collection is due (CPython's threshold2 is 10)
FORCED_AFTER = 40  # ... after which the app collects everything even while keys are being pressed
IDLE = 0.5  # seconds without a key, a mouse event or a job's result shown (and no job running) before a due full
# collection runs: a user who waited seconds for a search presses the next key as soon as its hits show
CHECK_EVERY = 0.25  # seconds between looks at whether one is due
NEVER = 1 << 30  # a generation-2 threshold no count reaches
INCREMENTAL = sys.version_info >= (3, 14)


class Collector:
    """When the app's full garbage collections run (see the module's docstring)."""

    def __init__(
        self,
        busy: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
        shown_at: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.busy = busy  # whether background work is running (a user waiting for it may press a key any moment)
        self.clock = clock
        self.shown_at = shown_at  # when a job's result last came on screen (the user reacts to it: not idle)
        self.last_input = clock()
        self.started = False
        self.full_collections = 0  # run by the app (idle or forced), for tests and benchmarks
        self._saved: tuple[int, int, int] | None = None
        self._frozen_at = 0  # collections of generation 1 counted before the freeze (their objects are frozen)

    def start(self) -> bool:
        """Freeze the objects alive now and take full collections over; False if started already."""
        if self.started:
            return False
        self.started = True
        gc.freeze()
        self._frozen_at = gc.get_count()[2]
        if not INCREMENTAL:
            self._saved = gc.get_threshold()
            gc.set_threshold(YOUNG_THRESHOLD, self._saved[1], NEVER)
        return True

    def stop(self) -> None:
        """CPython's own thresholds back (the app is closing; other code may run in this process)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        self.started = False

    def touched(self) -> None:
        """A key or mouse event arrived: the user is not idle."""
        self.last_input = self.clock()

    def pending(self) -> int:
        """Collections of generation 1 since the last full collection or the freeze (what they kept alive
        before it is frozen: no full collection is due for them)."""
        count = gc.get_count()[2]
        if count < self._frozen_at:  # a full collection ran since (someone called gc.collect)
            self._frozen_at = 0
        return count - self._frozen_at

    def due(self) -> bool:
        """Whether a full collection should run now."""
        if not self.started or INCREMENTAL:
            return False
        pending = self.pending()
        if pending >= FORCED_AFTER:
            return True
        quiet_since = max(self.last_input, self.shown_at())
        return pending >= FULL_AFTER and self.clock() - quiet_since >= IDLE and not self.busy()

    def tick(self) -> bool:
        """Run a full collection if one is due; whether it ran."""
        if not self.due():
            return False
        gc.collect()
        self._frozen_at = 0
        self.full_collections += 1
        return True


def collector_of(app: App) -> Collector:
    """The app's :class:`Collector`, its look every ``CHECK_EVERY`` seconds started with it (made on first use, so
    any App can host heaptui's screens)."""
    collector = getattr(app, "collector", None)
    if not isinstance(collector, Collector):
        from .work import work_of

        work = work_of(app)
        collector = Collector(lambda: work.busy, shown_at=lambda: work.delivered_at)
        app.collector = collector  # type: ignore[attr-defined]
    return collector


def start_collecting(app: App) -> None:
    """Freeze what is alive and run full collections at idle moments from now on (once per app)."""
    collector = collector_of(app)
    if collector.start():
        app.set_interval(CHECK_EVERY, collector.tick)
