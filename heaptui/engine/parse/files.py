"""Opening a snapshot: only regular files, gunzipped when they are compressed, read by position when not."""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Callable
from typing import BinaryIO

from ..errors import SnapshotError

GZIP_MAGIC = b"\x1f\x8b"

_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_kind(path: str | os.PathLike[str], st: os.stat_result, what: str) -> None:
    """Refuse what is not a regular file: a pipe blocks or is read once, a device never ends, /proc lies about sizes.

    Inputs are read more than once (the header for the memory estimate, then
    the load) and their size bounds what they can hold, so only a regular file will do.
    """
    if stat.S_ISDIR(st.st_mode):
        raise SnapshotError(path, f"is a directory, not a {what}")
    for test, kind in _SPECIAL_FILES:
        if test(st.st_mode):
            raise SnapshotError(path, f"is {kind}, not a regular file: save it to a file first")
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotError(path, "is not a regular file: save it to a file first")
    real = os.path.realpath(path)
    if real.startswith(("/proc/", "/sys/")):
        raise SnapshotError(path, f"is a /{real.split('/')[1]} file, not a {what}")


def open_input(path: str | os.PathLike[str], what: str = "snapshot file") -> BinaryIO:
    """Open a regular file for reading, or raise :class:`SnapshotError` saying in one line why not.

    The file's type is checked before it is opened, and it is opened
    non-blocking and checked again, so a FIFO with no writer never hangs
    (nor a FIFO put in the file's place between the two looks).
    """
    try:
        _check_kind(path, os.stat(path), what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SnapshotError(path, "no such file") from None
    except IsADirectoryError:
        raise SnapshotError(path, f"is a directory, not a {what}") from None
    except PermissionError:
        raise SnapshotError(path, "permission denied") from None
    except OSError as error:
        raise SnapshotError(path, f"cannot open: {error.strerror or error}") from None
    try:
        _check_kind(path, os.fstat(fd), what)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_compressed(path: str | os.PathLike[str]) -> bool:
    """Whether the file is gzipped (by its first bytes, not its name); raises :class:`SnapshotError` if unreadable."""
    with open_input(path) as raw:
        try:
            return raw.read(2) == GZIP_MAGIC
        except OSError as error:
            raise SnapshotError(path, f"cannot read: {error.strerror or error}") from None


def open_snapshot_file(path: str | os.PathLike[str]) -> tuple[BinaryIO, Callable[[], int], int]:
    """Open a snapshot, transparently gunzipping; returns (stream, bytes read so far, size on disk)."""
    raw = open_input(path)
    try:
        size = os.fstat(raw.fileno()).st_size
        magic = raw.read(2)
        raw.seek(0)
    except OSError as error:
        raw.close()
        raise SnapshotError(path, f"cannot read: {error.strerror or error}") from None
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw.tell, size  # type: ignore[return-value]
    return raw, raw.tell, size


class PositionalFile:
    """A ``readinto`` source over an uncompressed file that reads at an offset of its own (``pread``).

    It can jump (:meth:`seek`) past a section another thread scans, and each
    such thread reads its byte range through its own offset, on the same
    descriptor. Reads from the page cache release the GIL and copy straight
    into the caller's buffer.
    """

    def __init__(self, fd: int, offset: int = 0) -> None:
        self.fd = fd
        self.offset = offset
        self.read = 0  # bytes read through this source (not those jumped over), for progress

    def readinto(self, target: memoryview) -> int:
        n = os.preadv(self.fd, [target], self.offset)
        self.offset += n
        self.read += n
        return n

    def tell(self) -> int:
        return self.offset

    def seek(self, offset: int) -> None:
        self.offset = offset
