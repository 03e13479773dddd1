"""A long-lived inspector session with one running Node process: what ``heaptui attach`` works through.

V8 numbers objects anew when an inspector session ends, so snapshots compare
by id only when they come from one session. :class:`LiveSession` keeps one
session (attached as :func:`~.inspector.attach` attaches: ``/proc`` checks,
SIGUSR1, the pid verified over the connection) for as long as the user looks
at the process, and takes snapshots, allocation timelines and sampling
profiles through it on demand, and the heap use for a header every second.

Thread-safe: the app calls it from worker threads and a timer. One message
exchange runs at a time (a lock); :meth:`heap_usage` never waits for a
snapshot (V8 could not answer meanwhile anyway) and says ``None`` instead.

The inspector heaptui opened is closed on every way out: :meth:`close`
(idempotent, from any thread, bounded even while a snapshot streams: the
snapshot is cancelled at its next chunk), the ``with`` block's end, an
exception, interpreter exit (``atexit``), and SIGINT, SIGTERM, SIGHUP or
SIGQUIT while the ``with`` block runs in the main thread (turned into
:class:`~.interrupt.Interrupted` by :func:`~.interrupt.handling_signals`,
which ends the block). An open inspector lets any local user run code in the
process, so this matters more than anything else here.

Files go into ``output_dir`` (checked as a place for private files) or a new
0700 directory ``heaptui-PID-YYYYmmdd-HHMMSS`` in the working directory, each
named by its number in the session and its time (``1-20261203-021500.heapsnapshot``),
written privately and published whole (:mod:`heaptui.private_files`).
"""

from __future__ import annotations

import atexit
import os
import threading
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from ..private_files import UnsafePath, private_directory
from . import proc as procfs
from .errors import CaptureError
from .inspector import DEFAULT_TIMEOUT, Session, Warn, attach, no_warning
from .interrupt import handling_signals, run_whole
from .proc import NodeProcess
from .record import PUMP_EVERY, SAMPLING_INTERVAL, write_profile
from .snapshot import (
    SNAPSHOT_IDLE_TIMEOUT,
    ProgressCallback,
    check_output,
    no_progress,
    stream_to_file,
)

SNAPSHOT = ".heapsnapshot"
TIMELINE = ".heaptimeline"
PROFILE = ".heapprofile"
CLOSE_WAIT = 5.0  # seconds close() waits for a running exchange to notice it is cancelled before cutting it off


class SessionClosed(CaptureError):
    """The session was closed (by the user, a signal, the program's end) while this call ran or before it."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"the session with process {pid} is closed")


def new_output_directory(pid: int, parent: Path | None = None, when: datetime | None = None) -> Path:
    """A new 0700 directory ``heaptui-PID-YYYYmmdd-HHMMSS`` (``-2``, ``-3``… when taken) in ``parent``."""
    parent = parent or Path.cwd()
    stem = f"heaptui-{pid}-{(when or datetime.now()).strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 1000):
        path = parent / (stem if n == 1 else f"{stem}-{n}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise CaptureError(f"{path}: cannot create the output directory ({error.strerror or error})") from None
        os.chmod(path, 0o700)
        return path
    raise CaptureError(f"{parent}: cannot create a new output directory named {stem}")


def output_directory(directory: str | os.PathLike[str] | None, pid: int) -> Path:
    """Where a session's files go: ``directory`` (made 0700 when missing; an existing one must be the user's
    and writable by nobody else), or a new 0700 directory in the working directory."""
    if directory is None:
        return new_output_directory(pid)
    try:
        return private_directory(directory, tighten=False)
    except UnsafePath as error:
        raise CaptureError(str(error)) from None
    except OSError as error:
        raise CaptureError(f"{directory}: cannot create the output directory ({error.strerror or error})") from None


class LiveSession:
    """One inspector session with the Node process ``pid``, open from construction until :meth:`close`.

    Raises :class:`CaptureError` with a one-line reason when the process cannot be attached to. ``warn``
    receives what goes wrong without stopping anything (an inspector that would not close).
    ``handle_signals``: while used as a ``with`` block in the main thread, the ending signals raise
    :class:`~.interrupt.Interrupted` there (the app handles them itself and passes False).
    """

    def __init__(
        self,
        pid: int,
        output_dir: str | os.PathLike[str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT,
        warn: Warn = no_warning,
        handle_signals: bool = True,
    ) -> None:
        self.pid = pid
        self.process: NodeProcess = procfs.read_process(pid)
        self._timeout = timeout
        self._idle_timeout = idle_timeout
        self._handle_signals = handle_signals
        self._lock = threading.RLock()  # one exchange with the process at a time
        self._state = threading.Lock()  # guards the fields below
        self._closing = threading.Event()
        self._closed = False
        self._count = 0
        self._recording: str | None = None  # "timeline" or "sampling"
        self._pump: threading.Thread | None = None
        self._signals = ExitStack()
        self._stack = ExitStack()
        # -o DIR is checked (and made) before the process is touched; the default directory only with a first file
        self._directory: Path | None = None if output_dir is None else output_directory(output_dir, pid)
        try:
            self._session: Session = self._stack.enter_context(attach(pid, timeout=timeout, warn=warn))
        except BaseException:
            self._stack.close()
            raise
        atexit.register(self.close)

    # ------------------------------------------------------------ life

    def __enter__(self) -> LiveSession:
        if self._handle_signals and threading.current_thread() is threading.main_thread():
            self._signals.enter_context(handling_signals())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            self.close()
        finally:
            self._signals.close()

    @property
    def directory(self) -> Path | None:
        """Where the session's files go (None until the first one when no directory was given)."""
        return self._directory

    @property
    def alive(self) -> bool:
        """Whether the process still runs (the same one: a reused pid has another start time)."""
        return procfs.is_alive(self.pid, self.process.start_time)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def recording(self) -> str | None:
        """``"timeline"`` or ``"sampling"`` while one is recorded, else None."""
        return self._recording

    @property
    def command(self) -> str:
        """The process's command line, for a header (its text is the process's: escape it before display)."""
        return " ".join(self.process.argv) or procfs.comm(self.pid)

    def close(self) -> None:
        """Close the inspector heaptui opened (or just the connection, if it was open before); idempotent.

        A snapshot or recording being written is cancelled (its partial file removed); a call waiting meanwhile
        raises :class:`SessionClosed`. Bounded: if the running exchange does not end within ``CLOSE_WAIT`` s,
        its connection is cut and the inspector is closed over a new one.
        """
        with self._state:
            if self._closed:
                return
            self._closed = True
        self._closing.set()
        atexit.unregister(self.close)
        held = self._lock.acquire(timeout=CLOSE_WAIT)
        if not held:
            self._session.close()  # the exchange in another thread fails at once; the close uses a new session
            held = self._lock.acquire(timeout=CLOSE_WAIT)
        try:
            run_whole(self._stack.close)  # the attachment's own cleanup: schedule the close, wait for the port
        finally:
            if held:
                self._lock.release()
        if self._pump is not None and self._pump is not threading.current_thread():
            self._pump.join(timeout=CLOSE_WAIT)

    def _check_open(self) -> None:
        if self._closing.is_set():
            raise SessionClosed(self.pid)

    def _guarded(self, progress: ProgressCallback) -> ProgressCallback:
        """``progress`` that first cancels the exchange when the session is being closed."""

        def report(phase: str, done: int, total: int) -> None:
            if self._closing.is_set():
                raise SessionClosed(self.pid)
            progress(phase, done, total)

        return report

    def _exchange(self) -> _Exchange:
        return _Exchange(self)

    # ------------------------------------------------------------ files

    def next_path(self, suffix: str) -> Path:
        """The next file's name: ``N-YYYYmmdd-HHMMSS`` and ``suffix``, N counting this session's files."""
        with self._state:
            if self._directory is None:
                self._directory = output_directory(None, self.pid)
            self._count += 1
            n = self._count
        path = self._directory / f"{n}-{datetime.now().strftime('%Y%m%d-%H%M%S')}{suffix}"
        check_output(path)
        return path

    # ------------------------------------------------------------ what the app asks

    def heap_usage(self) -> tuple[int, int] | None:
        """(used, total) bytes of the JavaScript heap (``Runtime.getHeapUsage``); None while the process is busy
        with another exchange (a snapshot), rather than waiting for it."""
        if self._closing.is_set() or not self._lock.acquire(blocking=False):
            return None
        try:
            self._check_open()
            result = self._session.call("Runtime.getHeapUsage", timeout=self._timeout)
        finally:
            self._lock.release()
        return int(result.get("usedSize", 0)), int(result.get("totalSize", 0))

    def take_snapshot(
        self,
        path: str | os.PathLike[str] | None = None,
        progress: ProgressCallback = no_progress,
        collect_garbage: bool = False,
    ) -> Path:
        """Take a heap snapshot and write it to ``path`` (by default the session's next file); returns the path.

        ``progress(phase, done, total)`` as :func:`~.snapshot.stream_to_file` reports it; it may raise to cancel
        (the partial file is removed, the session stays usable). ``collect_garbage`` first runs a full GC, as
        DevTools' button does (the snapshot itself collects garbage too, but not what only weak refs hold).
        """
        with self._exchange():
            output = Path(path) if path is not None else self.next_path(SNAPSHOT)
            check_output(output)
            self._session.call("HeapProfiler.enable")
            if collect_garbage:
                self._session.call("HeapProfiler.collectGarbage", timeout=self._idle_timeout)
            return stream_to_file(
                self._session,
                output,
                "HeapProfiler.takeHeapSnapshot",
                progress=self._guarded(progress),
                idle_timeout=self._idle_timeout,
            )

    def start_timeline(self) -> None:
        """Start an allocation timeline with allocation stacks (DevTools' "Allocations on timeline")."""
        with self._exchange():
            self._start("timeline")
            self._session.call("HeapProfiler.enable")
            self._session.call("HeapProfiler.startTrackingHeapObjects", {"trackAllocations": True})
            self._started()

    def stop_timeline(
        self, path: str | os.PathLike[str] | None = None, progress: ProgressCallback = no_progress
    ) -> Path:
        """Stop the timeline and write it (a snapshot carrying the samples and stacks) to ``path``."""
        with self._exchange():
            self._expect("timeline")
            output = Path(path) if path is not None else self.next_path(TIMELINE)
            try:
                return stream_to_file(
                    self._session,
                    output,
                    "HeapProfiler.stopTrackingHeapObjects",
                    progress=self._guarded(progress),
                    idle_timeout=self._idle_timeout,
                    what="recording",
                )
            finally:
                self._recording = None

    def start_sampling(self, interval: int = SAMPLING_INTERVAL) -> None:
        """Start a sampling heap profile (DevTools' "Allocation sampling"): a sample every ``interval`` bytes."""
        with self._exchange():
            self._start("sampling")
            self._session.call("HeapProfiler.enable")
            self._session.call("HeapProfiler.startSampling", {"samplingInterval": interval})
            self._started()

    def stop_sampling(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Stop sampling and write the profile to ``path`` (a ``.heapprofile``)."""
        with self._exchange():
            self._expect("sampling")
            try:
                profile = self._session.call("HeapProfiler.stopSampling").get("profile")
            finally:
                self._recording = None
            output = Path(path) if path is not None else self.next_path(PROFILE)
            check_output(output)
            if not isinstance(profile, dict) or "head" not in profile:
                raise CaptureError(f"{output}: the process sent no sampling profile")
            return write_profile(output, profile)

    # ------------------------------------------------------------ recordings

    def _start(self, kind: str) -> None:
        if self._recording is not None:
            raise CaptureError(f"a {self._recording} is being recorded already: stop it first")
        self._recording = kind

    def _started(self) -> None:
        """Read (and drop) what V8 sends while recording, so the connection's buffers never fill."""
        if self._pump is None or not self._pump.is_alive():
            self._pump = threading.Thread(target=self._drain, name="heaptui-live-session-pump", daemon=True)
            self._pump.start()

    def _expect(self, kind: str) -> None:
        if self._recording != kind:
            raise CaptureError(f"no {kind} is being recorded")

    def _drain(self) -> None:
        while self._recording is not None and not self._closing.wait(PUMP_EVERY):
            if self._lock.acquire(blocking=False):
                try:
                    if self._recording is not None and not self._closing.is_set():
                        self._session.call("Runtime.evaluate", {"expression": "0", "silent": True}, on_event=_drop)
                except CaptureError:
                    return  # the exchange that follows says what went wrong
                finally:
                    self._lock.release()


class _Exchange:
    """The lock held for one exchange with the process, refused once the session is closing."""

    def __init__(self, session: LiveSession) -> None:
        self._session = session

    def __enter__(self) -> None:
        session = self._session
        session._check_open()
        while not session._lock.acquire(timeout=0.1):
            session._check_open()
        if session._closing.is_set():
            session._lock.release()
            raise SessionClosed(session.pid)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._session._lock.release()


def _drop(method: str, params: dict[str, Any]) -> None:
    """An event handler that keeps nothing."""




__all__ = ["LiveSession", "SessionClosed", "new_output_directory", "output_directory"]
