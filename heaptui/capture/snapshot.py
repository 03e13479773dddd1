"""Take a heap snapshot of a running Node process over the inspector, streamed to disk.

``HeapProfiler.takeHeapSnapshot`` sends the snapshot as a stream of
``addHeapSnapshotChunk`` events (about 100 kB each) before its reply. Each
chunk is written as it arrives, so heaptui's memory stays that of one chunk
however big the heap is, to a private temporary file beside the output
(``.NAME.XXXXXXXX.partial``: 0600, created exclusively under an unpredictable
name, see :mod:`heaptui.private_files`); the file takes its final name (a
rename, atomic) only once the reply has come and the JSON is closed. Any
failure, ctrl+c or another ending signal included, removes the partial file:
a file under the final name is always a whole snapshot, and only its owner can
read it (a snapshot holds the process's secrets).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Protocol

from ..private_files import UnsafePath, check_output_path, private_temp, publish
from .errors import CaptureError
from .inspector import DEFAULT_TIMEOUT, Session, Warn, attach, no_warning


class ProgressCallback(Protocol):
    """``report(phase, done, total)``, as the engine's loaders call it (the engine is not imported here:
    capture stays light, without numpy or numba)."""

    def __call__(self, phase: str, done: int, total: int) -> None: ...


def no_progress(phase: str, done: int, total: int) -> None:
    """The default callback: report nothing."""


# The longest silence accepted while a snapshot is taken: the collection and the graph walk of a big heap
# report progress every so often, but a forced GC of several GB can be quiet for a while.
SNAPSHOT_IDLE_TIMEOUT = 300.0


def ends_complete(path: Path) -> bool:
    """Whether a snapshot file ends as a whole one does: its last array and the object closed (``]}``).

    Opened without following a link and without blocking (a FIFO planted at the name is not waited on),
    and only a regular file can be complete.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size < 2:
            return False
        f.seek(max(0, st.st_size - 256))
        return f.read().rstrip().endswith(b"]}")


def remove_quietly(path: Path | None) -> None:
    """Remove a file if it is there."""
    if path is None:
        return
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def check_output(output: Path) -> None:
    """Fail before the process is touched when the output cannot be written there: the name must be new or a
    regular file of the user's (a link, FIFO, device or directory is refused, never written through), in a
    directory heaptui may write to."""
    try:
        check_output_path(output)
    except UnsafePath as error:
        raise CaptureError(str(error)) from None
    parent = output.parent
    if not os.access(parent, os.W_OK):
        raise CaptureError(f"{output}: permission denied: cannot write in {parent}")


def new_partial(final: Path) -> tuple[int, Path]:
    """A private temporary file beside ``final`` (same directory, so the rename into place is atomic)."""
    return private_temp(final.parent, prefix=f".{final.name}.", suffix=".partial")


def publish_output(partial: Path, final: Path) -> Path:
    """Give a whole private file its final name; the name is checked again (a link planted meanwhile is
    refused, not replaced through)."""
    try:
        return publish(partial, final)
    except UnsafePath as error:
        raise CaptureError(str(error)) from None


def stream_to_file(session: Session, output: str | os.PathLike[str], command: str, *,
                   progress: ProgressCallback = no_progress, idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT,
                   what: str = "snapshot") -> Path:
    """Send ``command`` (which answers with a snapshot in ``addHeapSnapshotChunk`` events) and write the
    chunks to ``output``: under a private partial name until the reply has come and the JSON is whole.

    ``progress(phase, done, total)``: ``("snapshot", objects, all objects)`` while V8 walks the heap, then
    ``("writing", bytes, 0)`` while chunks arrive. It may raise to cancel (the partial file is removed).
    """
    final = Path(output)
    partial: Path | None = None
    written = 0
    try:
        fd, partial = new_partial(final)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
            def on_event(method: str, params: dict[str, Any]) -> None:
                nonlocal written
                if method == "HeapProfiler.addHeapSnapshotChunk":
                    chunk = params.get("chunk", "")
                    f.write(chunk)
                    written += len(chunk)
                    progress("writing", written, 0)
                elif method == "HeapProfiler.reportHeapSnapshotProgress":
                    progress("snapshot", int(params.get("done", 0)), int(params.get("total", 0)))

            session.call(command, {"reportProgress": True}, timeout=idle_timeout, on_event=on_event)
        if not ends_complete(partial):
            raise CaptureError(f"{final}: the {what} ended incomplete ({written:,} bytes)")
        publish_output(partial, final)
    except OSError as error:  # the disk filled up, the directory went away
        remove_quietly(partial)
        raise CaptureError(f"{final}: cannot write the {what} ({error.strerror or error})") from None
    except BaseException:
        remove_quietly(partial)
        raise
    return final


def snapshot_to_file(session: Session, output: str | os.PathLike[str], *, progress: ProgressCallback = no_progress,
                     collect_garbage: bool = False, idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT) -> Path:
    """Take one snapshot over an attached session and write it to ``output`` (see :func:`stream_to_file`)."""
    session.call("HeapProfiler.enable")
    if collect_garbage:
        session.call("HeapProfiler.collectGarbage", timeout=idle_timeout)
    return stream_to_file(session, output, "HeapProfiler.takeHeapSnapshot", progress=progress,
                          idle_timeout=idle_timeout)


def take_snapshot(pid: int, output_path: str | os.PathLike[str], *, progress: ProgressCallback = no_progress,
                  collect_garbage: bool = False, timeout: float = DEFAULT_TIMEOUT,
                  idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT, warn: Warn = no_warning) -> Path:
    """Write a heap snapshot of the Node process ``pid`` to ``output_path``; returns the path.

    Attaches through the inspector (opened with SIGUSR1 and closed again when it was closed before); raises
    :class:`CaptureError` with a one-line reason. ``warn`` receives what went wrong without spoiling the
    snapshot (an inspector that would not close).
    """
    check_output(Path(output_path))
    with attach(pid, timeout=timeout, warn=warn) as session:
        return snapshot_to_file(session, output_path, progress=progress, collect_garbage=collect_garbage,
                                idle_timeout=idle_timeout)
