"""Files and directories that only their owner can read, created so nobody can slip in between.

A heap snapshot holds its process's secrets (tokens, passwords, request
bodies), and so does everything heaptui derives from one: index caches,
captured snapshots, recordings, partial files. heaptui runs on shared
servers, where another local account may plant a symlink, a FIFO or a device
at a name it can predict. So everything heaptui writes goes through here:

- directories heaptui creates are 0700, whatever the umask; an existing
  directory it is asked to keep private files in must be the user's own and
  writable by nobody else (:func:`unsafe_directory_reason`);
- files are created exclusively (``O_CREAT|O_EXCL|O_NOFOLLOW``) under an
  unpredictable temporary name in their destination directory, mode 0600, and
  renamed into place only once whole (:func:`private_temp`, :func:`publish`),
  so a reader never sees half a file and a planted name is never opened;
- an output path the user named must be a new name or a regular file of
  theirs (:func:`check_output_path`): a link, FIFO, device or directory there
  is refused, never written through or replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


class UnsafePath(OSError):
    """A path heaptui will not write through; ``str()`` is one line naming it and why."""

    def __init__(self, path: os.PathLike[str] | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def unsafe_directory_reason(path: os.PathLike[str] | str) -> str | None:
    """Why ``path`` is no place for private files (None: it is one).

    It must be a real directory (not a link to one), owned by the user running
    heaptui, and writable by nobody else: otherwise another account could
    rename, replace or read what heaptui leaves there.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as error:
        return error.strerror or str(error)
    if not stat.S_ISDIR(st.st_mode):
        return f"is {_kind(st.st_mode)}, not a directory"
    if st.st_uid != os.geteuid():
        return f"is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"is writable by others (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def private_directory(path: os.PathLike[str] | str, *, tighten: bool = True) -> Path:
    """Make ``path`` (and missing parents) as 0700 directories and check it is safe to keep private files in.

    Directories created here get 0700 whatever the umask. An existing one of
    the user's own that is group- or world-accessible is narrowed to 0700 when
    ``tighten`` (the right thing for heaptui's own directories, such as its
    cache); a directory of another user's, a link, or one others may write to
    raises :class:`UnsafePath`.
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            pass
        else:
            os.chmod(directory, DIR_MODE, follow_symlinks=False)
    if tighten:
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != DIR_MODE:
                os.chmod(path, DIR_MODE, follow_symlinks=False)
    reason = unsafe_directory_reason(path)
    if reason is not None:
        raise UnsafePath(path, reason)
    return path


def check_output_path(path: os.PathLike[str] | str) -> Path:
    """Accept ``path`` as an output only if it is a new name or a regular file of the user's; else :class:`UnsafePath`.

    Its directory must exist; a link, FIFO, device, socket or directory at
    the name is refused rather than followed, opened or replaced.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        parent = path.parent
        if not parent.is_dir():
            raise UnsafePath(path, f"its directory {parent} does not exist") from None
        return path
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(path, f"is {_kind(st.st_mode)}; heaptui writes only new files or regular files")
    if st.st_uid != os.geteuid():
        raise UnsafePath(path, f"belongs to another user (uid {st.st_uid})")
    return path


def private_temp(directory: os.PathLike[str] | str, prefix: str, suffix: str = ".partial") -> tuple[int, Path]:
    """Create an empty 0600 file with an unpredictable name in ``directory``: (open descriptor, path).

    ``tempfile.mkstemp`` opens with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode
    0600, so nothing planted under any name can be opened instead.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=os.fspath(directory))
    os.fchmod(fd, FILE_MODE)
    return fd, Path(name)


def publish(
    temp: os.PathLike[str] | str, final: os.PathLike[str] | str, *, replace: bool = True, own_directory: bool = False
) -> Path:
    """Move a whole private file to its name: a rename, so readers see all or nothing.

    With ``replace`` an existing regular file of the user's at ``final`` is
    replaced (a rename never follows a link at the destination, and
    :func:`check_output_path` is asked again just before); without it an
    existing name raises ``FileExistsError`` (a hard link then the unlink of
    the temporary name, which is atomic and exclusive).

    ``own_directory`` says ``final`` is a name heaptui made in a directory of
    its own that :func:`private_directory` accepted (the index cache): there
    whatever sits at the name (a link, a FIFO) is replaced by the rename, never
    opened nor followed, rather than refused, so a planted name cannot turn
    the cache off for good. A directory there still fails.
    """
    final = Path(final)
    if replace and own_directory:
        os.replace(temp, final)
    elif replace:
        check_output_path(final)
        os.replace(temp, final)
    else:
        os.link(temp, final, follow_symlinks=False)
        os.unlink(temp)
    return final


@contextlib.contextmanager
def writing_private(
    final: os.PathLike[str] | str,
    *,
    mode: str = "wb",
    replace: bool = True,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Write ``final`` through a private temporary file beside it, published only if the block ends normally.

    On any exception (including KeyboardInterrupt) the temporary file is
    removed and ``final`` is left as it was.
    """
    final = check_output_path(final)
    fd, temp = private_temp(final.parent, prefix=f".{final.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, mode, encoding=encoding, errors=errors, newline=newline) as f:
            yield f
        publish(temp, final, replace=replace)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def open_own_file(path: os.PathLike[str] | str) -> int | None:
    """Open an existing regular file of the user's, writable by nobody else, for reading: a descriptor or None.

    What heaptui reads back from its own directories (the index cache) is
    trusted only if nobody else could have written it. A link, FIFO, device or
    socket at the name is never opened (``lstat`` first, then ``O_NOFOLLOW``
    and ``O_NONBLOCK``, and the opened file must be the one looked at), so a
    planted FIFO cannot hang the reader. None for a missing or refused name.
    """
    try:
        before = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(before.st_mode) or before.st_uid != os.geteuid() or before.st_mode & 0o022:
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        after = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(after.st_mode):
        os.close(fd)
        return None
    return fd
