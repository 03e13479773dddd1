"""``--every 30s --count 3``: the leak hunt's snapshots, taken over one inspector session.

Snapshots are compared by node id, and V8 forgets every id it handed out
when an inspector session ends (the HeapProfiler agent's ``disable`` clears
the heap object map). Two snapshots taken by two separate attachments
therefore number the same objects differently, and their Comparison is
meaningless (the engine says so). A series keeps one session, and so the
inspector open, from the first snapshot to the last; it is closed right after
when it was closed before. Captures start ``every`` seconds apart (one that
overruns makes the next start at once).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from .errors import CaptureError
from .inspector import DEFAULT_TIMEOUT, Warn, attach, no_warning
from .signalled import signal_snapshot
from .snapshot import SNAPSHOT_IDLE_TIMEOUT, ProgressCallback, check_output, no_progress, snapshot_to_file

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
SUFFIX = ".heapsnapshot"


def parse_duration(text: str) -> float:
    """``30s``, ``2m``, ``1h``, ``500ms`` or a plain number of seconds, in seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise CaptureError(f"{text!r} is not a duration (like 30s, 2m or 500ms)")
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def default_output(pid: int, when: datetime | None = None) -> Path:
    """``heap-PID-YYYYmmdd-HHMMSS.heapsnapshot`` in the working directory: sorts by time, names the process."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path(f"heap-{pid}-{stamp}{SUFFIX}")


def series_paths(pattern: str | os.PathLike[str], count: int) -> list[Path]:
    """The files of a series: ``{n}`` in the pattern is the 1-based number, else ``-n`` goes before the suffix.

    ``leak-{n}.heapsnapshot`` -> leak-1, leak-2, ...; ``leak.heapsnapshot`` -> leak-1.heapsnapshot, ...
    """
    text = os.fspath(pattern)
    if "{n}" in text:
        paths = [Path(text.replace("{n}", str(n))) for n in range(1, count + 1)]
    else:
        stem = text[:-len(SUFFIX)] if text.endswith(SUFFIX) else text
        paths = [Path(f"{stem}-{n}{SUFFIX}") for n in range(1, count + 1)]
    return paths


def take_series(pid: int, every_seconds: float, count: int, output_pattern: str | os.PathLike[str], *,
                on_snapshot: Callable[[int, Path], None] | None = None, progress: ProgressCallback = no_progress,
                collect_garbage: bool = False, timeout: float = DEFAULT_TIMEOUT,
                idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT, warn: Warn = no_warning, signal: str | None = None,
                sleep: Callable[[float], None] = time.sleep) -> list[Path]:
    """Take ``count`` snapshots of ``pid`` ``every_seconds`` apart over one session; returns their paths.

    ``on_snapshot(n, path)`` runs after snapshot ``n`` (1-based) is complete, before the wait for the next.
    With ``signal`` (``SIGUSR2``), each snapshot is the process's own (:func:`signal_snapshot`): no session,
    and V8 keeps its ids between them. A failure raises :class:`CaptureError`; the snapshots already written
    stay (each is whole).
    """
    if count < 1:
        raise CaptureError(f"a series needs at least one snapshot, not {count}")
    if every_seconds < 0:
        raise CaptureError(f"the interval cannot be negative ({every_seconds:g} s)")
    paths = series_paths(output_pattern, count)
    for path in paths:
        check_output(path)
    with ExitStack() as stack:
        session = None if signal else stack.enter_context(attach(pid, timeout=timeout, warn=warn))
        started = time.monotonic()
        for index, path in enumerate(paths):
            wait = started + index * every_seconds - time.monotonic()
            if wait > 0:
                sleep(wait)
            if session is None:
                signal_snapshot(pid, path, signal=signal or "SIGUSR2", progress=progress, timeout=timeout,
                                idle_timeout=idle_timeout)
            else:
                snapshot_to_file(session, path, progress=progress, collect_garbage=collect_garbage,
                                 idle_timeout=idle_timeout)
            if on_snapshot is not None:
                on_snapshot(index + 1, path)
    return paths
