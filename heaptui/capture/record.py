"""Record what a running Node process allocates: an allocation timeline, or a sampling heap profile.

- :func:`record_timeline` is DevTools' "Allocations on timeline" with
  "Allocation stack traces": ``HeapProfiler.startTrackingHeapObjects`` with
  ``trackAllocations``; V8 then samples the heap every 50 ms (``heapStatsUpdate``
  events) and remembers each allocation's stack. ``stopTrackingHeapObjects``
  ends it with a heap snapshot that carries the samples and the trace tree,
  streamed to disk like :func:`~.snapshot.take_snapshot`'s (a ``.heaptimeline``).
- :func:`record_sampling` is DevTools' "Allocation sampling":
  ``HeapProfiler.startSampling`` (a sample every ``interval`` bytes allocated,
  cheap enough for production) and ``stopSampling``'s profile, written as JSON
  (a ``.heapprofile``).

While recording, the events V8 sends are read and dropped, so that the
connection's buffers never fill; a file gets its final name only when whole.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .errors import CaptureError
from .inspector import DEFAULT_TIMEOUT, Session, Warn, attach, no_warning
from .snapshot import (
    SNAPSHOT_IDLE_TIMEOUT,
    ProgressCallback,
    check_output,
    new_partial,
    no_progress,
    publish_output,
    remove_quietly,
    stream_to_file,
)

SAMPLING_INTERVAL = 32768  # bytes between samples, DevTools' default
PUMP_EVERY = 0.25  # seconds between two reads of what V8 sent while recording


def _wait(session: Session, seconds: float, progress: ProgressCallback) -> None:
    """Let the process run for ``seconds``, reading (and dropping) the events it sends meanwhile."""
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        progress("recording", int(elapsed * 1000), int(seconds * 1000))
        time.sleep(min(PUMP_EVERY, seconds - elapsed))
        session.call("Runtime.evaluate", {"expression": "0", "silent": True}, on_event=lambda *_: None)
    progress("recording", int(seconds * 1000), int(seconds * 1000))


def _stop_quietly(session: Session) -> None:
    """Stop tracking or sampling without waiting: ``HeapProfiler.disable`` ends both and, unlike
    ``stopTrackingHeapObjects``, makes no snapshot the process would spend seconds on before closing its
    inspector."""
    try:
        session.send("HeapProfiler.disable")
    except Exception:  # noqa: BLE001 - the connection is gone or unusable: ending the session disables it too
        pass


def timeline_to_file(session: Session, output: str | os.PathLike[str], seconds: float, *,
                     progress: ProgressCallback = no_progress,
                     idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT) -> Path:
    """Record an allocation timeline over an attached session for ``seconds`` and write it to ``output``."""
    session.call("HeapProfiler.enable")
    session.call("HeapProfiler.startTrackingHeapObjects", {"trackAllocations": True})
    try:
        _wait(session, seconds, progress)
    except BaseException:  # ctrl+c while recording: leave the process as it was
        _stop_quietly(session)
        raise
    # stopping answers with the snapshot that carries the samples and the trace tree
    return stream_to_file(session, output, "HeapProfiler.stopTrackingHeapObjects", progress=progress,
                          idle_timeout=idle_timeout, what="recording")


def sampling_to_file(session: Session, output: str | os.PathLike[str], seconds: float, *,
                     interval: int = SAMPLING_INTERVAL, progress: ProgressCallback = no_progress) -> Path:
    """Record a sampling heap profile over an attached session for ``seconds`` and write it to ``output``."""
    final = Path(output)
    sampling = False
    try:
        session.call("HeapProfiler.enable")
        session.call("HeapProfiler.startSampling", {"samplingInterval": interval})
        sampling = True
        _wait(session, seconds, progress)
        sampling = False
        profile = session.call("HeapProfiler.stopSampling").get("profile")
        if not isinstance(profile, dict) or "head" not in profile:
            raise CaptureError(f"{final}: the process sent no sampling profile")
    except BaseException:
        if sampling:
            _stop_quietly(session)
        raise
    return write_profile(final, profile)


def write_profile(output: Path, profile: dict[str, Any]) -> Path:
    """A sampling profile written to ``output`` (private, published only when whole), or CaptureError."""
    partial: Path | None = None
    try:
        fd, partial = new_partial(output)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(profile, f)
        publish_output(partial, output)
    except OSError as error:
        remove_quietly(partial)
        raise CaptureError(f"{output}: cannot write the profile ({error.strerror or error})") from None
    except BaseException:
        remove_quietly(partial)
        raise
    return output


def record_timeline(pid: int, output: str | os.PathLike[str], seconds: float, *,
                    progress: ProgressCallback = no_progress, timeout: float = DEFAULT_TIMEOUT,
                    warn: Warn = no_warning) -> Path:
    """Attach to the Node process ``pid``, record an allocation timeline with stacks, write a ``.heaptimeline``."""
    check_output(Path(output))
    with attach(pid, timeout=timeout, warn=warn) as session:
        return timeline_to_file(session, output, seconds, progress=progress)


def record_sampling(pid: int, output: str | os.PathLike[str], seconds: float, *, interval: int = SAMPLING_INTERVAL,
                    progress: ProgressCallback = no_progress, timeout: float = DEFAULT_TIMEOUT,
                    warn: Warn = no_warning) -> Path:
    """Attach to the Node process ``pid``, sample its allocations for ``seconds``, write a ``.heapprofile``."""
    check_output(Path(output))
    with attach(pid, timeout=timeout, warn=warn) as session:
        return sampling_to_file(session, output, seconds, interval=interval, progress=progress)
