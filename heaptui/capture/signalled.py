"""``--signal SIGUSR2``: have a Node process write its own snapshot, for processes started to allow it.

``node --heapsnapshot-signal=SIGUSR2`` writes ``Heap.DATE.TIME.PID.TID.SEQ.heapsnapshot``
into its working directory (or its ``--diagnostic-dir``) when it gets that
signal, with no inspector opened at all. To any other process (and to Node
without that option) the signal is fatal, so the option is checked on the
command line and in ``NODE_OPTIONS`` first, and the handler in ``SigCgt``.
The file is written while the process runs, so it is taken only once it is
whole: the process no longer holds it open, its size has stopped changing and
it ends as a snapshot does (``]}``); then it is moved to the output path, made
0600 first (Node writes it 0600, but heaptui does not depend on that). Across
file systems, or when the file is not the user's (root capturing another
account's process), it is copied instead, through a private temporary file
beside the output (:mod:`heaptui.private_files`), and the original removed.
The file is opened without following links and must be a regular file of the
process's owner: a link, FIFO or device planted under Node's name is refused.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import time
from pathlib import Path

from ..private_files import FILE_MODE
from . import proc as procfs
from .errors import CaptureError
from .inspector import exited
from .proc import NodeProcess
from .snapshot import (
    SNAPSHOT_IDLE_TIMEOUT,
    ProgressCallback,
    check_output,
    ends_complete,
    new_partial,
    no_progress,
    publish_output,
    remove_quietly,
)

APPEAR_TIMEOUT = 10.0  # seconds for the file to appear after the signal
POLL = 0.05
HEAP_FILE = re.compile(r"^Heap\.\d{8}\.\d{6}\.(\d+)\.\d+\.\d+\.heapsnapshot$")


def signal_name(name: str) -> str:
    """``USR2``, ``sigusr2`` or ``SIGUSR2`` as Node spells it in ``--heapsnapshot-signal`` (``SIGUSR2``)."""
    upper = name.strip().upper()
    return upper if upper.startswith("SIG") else "SIG" + upper


def _heap_files(directory: Path, proc: NodeProcess) -> set[str]:
    """The names of the snapshot files the process's signal handler writes, present in ``directory``."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return set()
    except PermissionError:
        raise CaptureError(f"permission denied: cannot list {directory}, where process {proc.pid} writes "
                           "its snapshots") from None
    return {name for name in names if (m := HEAP_FILE.match(name)) and int(m.group(1)) in proc.ns_pids}


def _written_order(name: str) -> tuple[str, str, int]:
    """Heap.DATE.TIME.PID.TID.SEQ.heapsnapshot: by time, then by the sequence number (not padded past 999)."""
    parts = name.split(".")
    return parts[1], parts[2], int(parts[5])


def holds_open(pid: int, path: Path) -> bool:
    """Whether the process has ``path`` open (the writer has not finished), by device and inode."""
    try:
        wanted = path.stat()
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if st.st_ino == wanted.st_ino and st.st_dev == wanted.st_dev:
            return True
    return False


def wait_until_complete(proc: NodeProcess, path: Path, *, progress: ProgressCallback = no_progress,
                        idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT) -> None:
    """Wait until Node has finished writing ``path``: closed by the process, size stable, JSON closed."""
    last_size = -1
    last_change = time.monotonic()
    while True:
        if not procfs.is_alive(proc.pid, proc.start_time):
            raise CaptureError(f"process {proc.pid} exited during the capture (its unfinished snapshot is "
                               f"{path})")
        try:
            st = path.lstat()
        except FileNotFoundError:
            raise CaptureError(f"{path} disappeared while process {proc.pid} wrote it") from None
        if not stat.S_ISREG(st.st_mode):
            raise CaptureError(f"{path}: not a regular file, so not the snapshot process {proc.pid} writes "
                               "(planted there?)")
        size = st.st_size
        now = time.monotonic()
        if size != last_size:
            progress("writing", size, 0)
            last_size, last_change = size, now
        elif not holds_open(proc.pid, path) and ends_complete(path):
            return
        elif now - last_change > idle_timeout:
            raise CaptureError(f"timeout: {path} did not grow for {idle_timeout:g} s and is not complete")
        time.sleep(POLL)


def _open_written(proc: NodeProcess, source: Path) -> int:
    """Open the file Node wrote, refusing what is not it: a link, a FIFO, a device, another owner's file."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise CaptureError(f"{source}: cannot open the snapshot process {proc.pid} wrote "
                           f"({error.strerror or error})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != proc.uid:
        os.close(fd)
        raise CaptureError(f"{source}: not a regular file of process {proc.pid}'s user, so not the snapshot it "
                           "wrote (planted there?)")
    return fd


def _copy(fd: int, source: Path, final: Path) -> Path:
    """Copy the open file to a private temporary file beside ``final``, publish it, remove the original."""
    partial: Path | None = None
    try:
        out, partial = new_partial(final)
        with os.fdopen(out, "wb") as dst, os.fdopen(os.dup(fd), "rb") as src:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        publish_output(partial, final)
    except OSError as error:
        remove_quietly(partial)
        raise CaptureError(f"{final}: cannot copy {source} there ({error.strerror or error})") from None
    except BaseException:
        remove_quietly(partial)
        raise
    remove_quietly(source)
    return final


def move_file(proc: NodeProcess, source: Path, final: Path) -> Path:
    """Move a complete file to ``final`` as a 0600 file: a rename when it is the user's and on the same file
    system, else a copy through a private temporary file."""
    fd = _open_written(proc, source)
    try:
        if os.fstat(fd).st_uid != os.geteuid():
            return _copy(fd, source, final)
        os.fchmod(fd, FILE_MODE)
        try:
            publish_output(source, final)
        except OSError as error:
            if error.errno != errno.EXDEV:  # not merely another file system
                raise CaptureError(f"cannot move {source} to {final} ({error.strerror})") from None
            return _copy(fd, source, final)
        moved, opened = os.lstat(final), os.fstat(fd)
        if (moved.st_dev, moved.st_ino) != (opened.st_dev, opened.st_ino):  # the name was swapped meanwhile
            remove_quietly(final)
            raise CaptureError(f"{source} was replaced while heaptui moved it to {final}")
        return final
    finally:
        os.close(fd)


def signal_snapshot(pid: int, output_path: str | os.PathLike[str], *, signal: str = "SIGUSR2",
                    progress: ProgressCallback = no_progress, timeout: float = APPEAR_TIMEOUT,
                    idle_timeout: float = SNAPSHOT_IDLE_TIMEOUT) -> Path:
    """Have ``pid`` write a snapshot on ``signal`` (it must run with ``--heapsnapshot-signal=<signal>``),
    wait until the file is whole and move it to ``output_path``; raises :class:`CaptureError`."""
    final = Path(output_path)
    check_output(final)
    proc = procfs.read_process(pid)
    procfs.check_may_signal(proc)
    wanted = signal_name(signal)
    signum = procfs.signal_number(wanted)
    configured = proc.options.heapsnapshot_signal
    if configured is None or signal_name(configured) != wanted:
        started = f"--heapsnapshot-signal={configured}" if configured else "no --heapsnapshot-signal"
        raise CaptureError(f"process {pid} was started with {started} (command line and NODE_OPTIONS), "
                           f"not --heapsnapshot-signal={wanted}: {wanted} would not make it write a snapshot")
    deadline = time.monotonic() + min(timeout, 2.0)
    while not procfs.catches_signal(pid, signum):  # Node installs the handler during its start-up
        if not procfs.is_alive(pid, proc.start_time):
            raise exited(proc)
        if time.monotonic() > deadline:
            raise CaptureError(f"process {pid} does not handle {wanted} (yet), which would kill it")
        time.sleep(0.02)
    directory = proc.snapshot_dir
    if directory is None:
        raise CaptureError(f"permission denied: cannot see the working directory of process {pid}")
    before = _heap_files(directory, proc)
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        raise exited(proc) from None
    deadline = time.monotonic() + timeout
    while not (new := _heap_files(directory, proc) - before):
        if not procfs.is_alive(pid, proc.start_time):
            raise exited(proc)
        if time.monotonic() > deadline:
            raise CaptureError(f"timeout: process {pid} wrote no snapshot into {directory} within {timeout:g} s "
                               f"of {wanted}")
        time.sleep(POLL)
    written = directory / max(new, key=_written_order)
    try:
        wait_until_complete(proc, written, progress=progress, idle_timeout=idle_timeout)
        return move_file(proc, written, final)
    except KeyboardInterrupt:  # ctrl+c or another ending signal: the snapshot asked for is not left behind
        _remove_written(proc, written)
        raise


def _remove_written(proc: NodeProcess, written: Path) -> None:
    """Remove the file the process wrote at heaptui's request, if it is still that: a regular file of its user."""
    try:
        st = written.lstat()
        if stat.S_ISREG(st.st_mode) and st.st_uid == proc.uid:
            written.unlink()
    except OSError:
        pass
