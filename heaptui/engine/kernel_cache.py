"""Where numba keeps heaptui's compiled kernels: a directory heaptui owns, named after what was compiled.

numba's own cache sits beside the sources (``__pycache__``), which a
read-only installation or a service account cannot write, and its index is
keyed per source file: it does not notice that a kernel it loads calls a
function of another file that has changed, so an upgrade or a local edit
could run stale machine code. heaptui therefore points numba at
``$XDG_CACHE_HOME/heaptui/kernels/<key>``, where the key is heaptui's version
and a hash of every engine source file (all the kernels and what they call),
so code compiled from other sources is never even looked at.

When that directory cannot be made (no home, a read-only one, a directory
of another user's in the way), the user's own ``heaptui-<uid>`` in the
temporary directory takes its place (0700, refused if anyone else made it);
failing that, a private one for the process alone (compiled again next time);
and when even that fails numba compiles in memory only. None of this ever
makes a command fail.

This module imports neither numpy nor numba: the CLI asks it whether the
kernels are compiled before deciding to say that the first run compiles them.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..private_files import private_directory, writing_private

ENGINE = Path(__file__).resolve().parent
# Written once every kernel a load and the views call has been compiled into the directory.
COMPLETE_MARKER = "complete"

_lock = threading.Lock()
_chosen: tuple[Path | None] | None = None
_made_for_this_process: list[Path] = []


def source_key() -> str:
    """heaptui's version, the Python it runs on and a hash of every engine source file (kernels and their callees)."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        digest.update(path.relative_to(ENGINE).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return f"{__version__}-{python}-{digest.hexdigest()[:20]}"


def home_directory() -> Path:
    """``$XDG_CACHE_HOME/heaptui/kernels/<key>`` (``~/.cache`` without XDG_CACHE_HOME).

    ``$HEAPTUI_KERNELS_DIR`` replaces ``$XDG_CACHE_HOME/heaptui/kernels`` (the tests keep one
    across sessions, whose index caches go to a new XDG_CACHE_HOME each time).
    """
    base = os.environ.get("HEAPTUI_KERNELS_DIR")
    if not base:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(cache, "heaptui", "kernels")
    return Path(base) / source_key()


def shared_temporary_directory() -> Path:
    """``<temporary directory>/heaptui-<uid>/kernels/<key>``: the user's own, kept between runs."""
    return Path(tempfile.gettempdir()) / f"heaptui-{os.geteuid()}" / "kernels" / source_key()


def _usable(directory: Path) -> bool:
    return os.access(directory, os.W_OK | os.X_OK)


def _private(path_of: Callable[[], Path]) -> Path | None:
    """The directory, made 0700 and checked to be the user's own (None: it cannot be, or another's is in the way)."""
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: expanduser without a home
        directory = private_directory(path_of())
        if _usable(directory):
            return directory
    return None


def _process_directory() -> Path | None:
    try:
        directory = Path(tempfile.mkdtemp(prefix="heaptui-kernels-"))  # 0700, an unpredictable name
    except OSError:
        return None
    _made_for_this_process.append(directory)
    atexit.register(clean_up)
    return directory


def clean_up() -> None:
    """Remove the directory made for this process alone, if any (also for a program ending with ``os._exit``)."""
    while _made_for_this_process:
        shutil.rmtree(_made_for_this_process.pop(), ignore_errors=True)


def cache_directory() -> Path | None:
    """The directory numba caches kernels in for this process (None: compile in memory only), chosen once.

    The user's kernels directory; else the user's own in the temporary directory
    (a missing or read-only home), kept between runs; else, when another account
    holds that name, one made for this process and removed at its exit; else None.
    """
    global _chosen
    with _lock:
        if _chosen is None:
            _chosen = (_private(home_directory) or _private(shared_temporary_directory) or _process_directory(),)
        return _chosen[0]


def shared(directory: Path | None) -> bool:
    """Whether other processes of the user find kernels compiled in ``directory`` (a compile worker can help)."""
    return directory is not None and directory in (home_directory(), shared_temporary_directory())


def kernels_compiled() -> bool:
    """Whether this process's kernels directory holds every kernel compiled for these sources (no numba import)."""
    directory = cache_directory()
    return directory is not None and (directory / COMPLETE_MARKER).is_file()


def mark_complete(directory: Path) -> None:
    """Record that ``directory`` holds every kernel (a later process then says nothing about compiling)."""
    with contextlib.suppress(OSError), writing_private(directory / COMPLETE_MARKER, mode="w") as out:
        out.write("every kernel heaptui's load and views call was compiled here\n")
