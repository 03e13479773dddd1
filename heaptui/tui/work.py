"""The one way the app runs work off the UI thread: jobs with a generation, a cancel event and errors shown.

Every background computation of the app (the loader, the instance index, a
Comparison, a leak report, a Summary filter, a Retainers tree, a heavy
expansion, …) is a :class:`Job` run by :func:`start` on a daemon thread (not a
Textual worker: a worker thread is joined when the program exits, so quitting
in the middle of a multi-GB load would wait for it).

:class:`Work` is the app's list of current jobs, at most one per owner widget
and kind. Starting a job of a kind supersedes the one before it: the old job's
cancel event is set, so its progress callback (:meth:`Job.progress`, passed to
the engine wherever it takes ``progress=``) raises
:class:`~heaptui.engine.errors.Cancelled` and the engine stops cleanly, and its
result, should it still arrive, is dropped. A current job's result is handed to
its ``done`` callback on the app thread. An exception (in the job or in
``done``) becomes a :class:`~heaptui.tui.messages.WorkFailed` message posted to
the owner, which shows "<what> failed: <one line>" where the work was asked
for; the app turns it into an error notification. Tests wait for the work
itself with :meth:`Work.idle`.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..engine.errors import Cancelled
from ..visible import visible

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

T = TypeVar("T")
IDLE_BOUND = 120.0  # seconds: how long idle() waits by default before it says what is still running


class Job(Generic[T]):
    """One run of a background computation: its cancel event, and what it returned or raised."""

    def __init__(self, kind: str, generation: int = 0) -> None:
        self.kind = kind
        self.generation = generation  # which request of its kind this is (a newer one supersedes it)
        self.cancel_event = threading.Event()
        self.finished = threading.Event()
        self.result: T | None = None
        self.error: Exception | None = None
        self.last_progress: tuple[str, int, int] | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the job to stop: its next progress report or check raises Cancelled."""
        self.cancel_event.set()

    def check(self) -> None:
        """Stop here (raise Cancelled) if the job was cancelled or superseded."""
        if self.cancel_event.is_set():
            raise Cancelled()

    def progress(self, phase: str, done: int, total: int) -> None:
        """An engine progress callback: notes the progress and raises Cancelled once the job is cancelled."""
        self.check()
        self.last_progress = (phase, done, total)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the job is cancelled meanwhile (then raise Cancelled)."""
        if self.cancel_event.wait(seconds):
            raise Cancelled()

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, given this job's progress callback when it accepts ``progress=``."""
        self.check()
        try:
            takes_progress = "progress" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            takes_progress = False
        if takes_progress:
            kwargs.setdefault("progress", self.progress)
        result = function(*args, **kwargs)
        self.check()
        return result


def start(job: Job[T], function: Callable[[Job[T]], T], then: Callable[[Job[T]], None] | None = None) -> Job[T]:
    """Run ``function(job)`` on a daemon thread named after the job; ``then(job)`` on that thread when it ends.

    This is the app's only place that starts a thread.
    """

    def run() -> None:
        try:
            job.result = function(job)
        except Exception as error:  # kept for the app thread: Cancelled, MemoryError, a bug
            job.error = error
        finally:
            job.finished.set()
            if then is not None:
                then(job)

    threading.Thread(target=run, name=f"heaptui-{job.kind}", daemon=True).start()
    return job


def one_line(error: BaseException) -> str:
    """An exception as one line of plain text (its first line, control characters escaped)."""
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    if isinstance(error, MemoryError):
        line = "not enough memory"
    return visible(line if len(line) <= 200 else line[:199] + "…")


def work_of(app: App) -> Work:
    """The app's :class:`Work` (made on first use, so any App can host heaptui's screens and views)."""
    work = getattr(app, "work", None)
    if not isinstance(work, Work):
        work = Work(app)
        app.work = work  # type: ignore[attr-defined]
    return work


class Work:
    """The app's background jobs: at most one current job per (owner, kind)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._generations = itertools.count(1)
        self._current: dict[tuple[int, str], Job[Any]] = {}
        self._pending: set[Job[Any]] = set()  # started and not yet handed back to the app thread
        self._lock = threading.Lock()
        self.delivered_at = time.monotonic()  # when a job's result was last handed back (the screen changed)

    def run(
        self, owner: DOMNode, kind: str, function: Callable[[Job[T]], T], done: Callable[[T], None], *, what: str
    ) -> Job[T]:
        """Start ``function(job)`` off the UI thread, superseding ``owner``'s current job of ``kind``.

        ``done(result)`` runs on the app thread if the job is still current and
        ``owner`` still attached; ``what`` names the work in a failure ("Comparison").
        """
        key = (id(owner), kind)
        self.cancel(owner, kind)
        job: Job[T] = Job(kind, next(self._generations))
        self._current[key] = job
        with self._lock:
            self._pending.add(job)

        def finished(job: Job[T]) -> None:  # on the job's thread
            if not self.app.call_later(self._deliver, job, owner, key, done, what):
                self._forget(job)  # the app is closing

        return start(job, function, finished)

    def cancel(self, owner: DOMNode, kind: str) -> None:
        """Cancel ``owner``'s current job of ``kind`` (if any); its result will be dropped."""
        old = self._current.pop((id(owner), kind), None)
        if old is not None:
            old.cancel()

    def current(self, owner: DOMNode, kind: str) -> Job[Any] | None:
        return self._current.get((id(owner), kind))

    @property
    def busy(self) -> bool:
        """Some job has not been handed back to the app thread yet."""
        with self._lock:
            return bool(self._pending)

    def running(self) -> list[str]:
        with self._lock:
            return sorted(job.kind for job in self._pending)

    def _forget(self, job: Job[Any]) -> None:
        with self._lock:
            self._pending.discard(job)

    def _deliver(self, job: Job[T], owner: DOMNode, key: tuple[int, str], done: Callable[[T], None], what: str) -> None:
        """On the app thread: hand a current job's result over, or show its failure."""
        self._forget(job)
        self.delivered_at = time.monotonic()
        if self._current.get(key) is not job:
            return  # superseded (its replacement is on its way) or cancelled
        del self._current[key]
        if not owner.is_attached:
            return
        if job.error is None:
            try:
                done(job.result)  # type: ignore[arg-type]
                return
            except Exception as error:  # showing the result failed: a bug, shown like the job's own
                job.error = error
        if isinstance(job.error, Cancelled):
            return
        from .messages import WorkFailed

        owner.post_message(WorkFailed(job.kind, what, f"{what} failed: {one_line(job.error)}"))

    async def idle(self, timeout: float = IDLE_BOUND) -> None:
        """Wait until every job started so far (and any started meanwhile) has been handed back.

        Raises TimeoutError naming the jobs still running after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.busy:
            if loop.time() > deadline:
                raise TimeoutError(
                    f"background work did not finish within {timeout:.0f} s: {', '.join(self.running())}"
                )
            await asyncio.sleep(0.02)
