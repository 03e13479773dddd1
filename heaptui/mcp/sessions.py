"""The snapshots a server session keeps open, and which files it may open at all.

An agent asks many questions about one snapshot: loading it for each (even from the index cache) would
make every answer wait for the file. The store loads a file once, through the index cache as the CLI
does, and hands the same :class:`Snapshot` to every later question, until the file changes on disk or
more than ``max_open`` files are open (the least recently asked is closed first). Each file has its own
lock, so two questions arriving together about a file not yet open load it once, while other files load
beside it.

Only files under the allowed roots are opened: the path is resolved (symlinks followed) before it is
checked, and the resolved path is what is loaded, so a link cannot lead out of the roots, nor be
swapped between the check and the load.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..visible import visible

if TYPE_CHECKING:
    from ..engine.cache import CacheOptions
    from ..engine.heapprofile import SamplingProfile
    from ..engine.snapshot import Snapshot

MAX_OPEN = 8
MAX_DERIVED = 16  # answers kept for paging (a Comparison, a leak report, the duplicated strings...)
T = TypeVar("T")


class ToolProblem(Exception):
    """A question the server cannot answer, as one line naming the file and the problem (the CLI's line)."""

    def __init__(self, line: str) -> None:
        self.line = visible(line)  # control characters (a newline in a file name too) shown as escapes
        super().__init__(self.line)


def failure_line(error: BaseException, path: str | None, salvaging: bool = False) -> str:
    """The CLI's one line for ``error`` met while working on ``path`` (the engine's ``classify_error``)."""
    from ..engine.errors import classify_error

    return classify_error(error, path, salvaging).message


@dataclass
class _Entry:
    """One open file: what it was on disk when loaded, and what was loaded (None until then)."""

    signature: tuple[int, ...]
    value: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class SnapshotStore:
    """Open snapshots (and sampling profiles) by path, for the whole session, under the allowed roots."""

    def __init__(
        self,
        roots: Sequence[str | os.PathLike[str]],
        cache: CacheOptions | None = None,
        salvage: bool = False,
        force: bool = False,
        max_open: int = MAX_OPEN,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        if not roots:
            raise ValueError("at least one root")
        self.roots = [os.path.realpath(root) for root in roots]
        for given, real in zip(roots, self.roots):
            if not os.path.isdir(real):
                raise ToolProblem(f"{os.fspath(given)}: not a directory (--root)")
        self.cache = cache
        self.salvage = salvage
        self.force = force
        self.max_open = max_open
        self.warn = warn or (lambda message: None)
        self.loads = 0  # files loaded so far (a second question about a file adds none)
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._derived: OrderedDict[tuple, _Entry] = OrderedDict()

    # ------------------------------------------------------------ which files

    def resolve(self, path: str) -> str:
        """The real path of ``path`` (relative to the first root), refused with one line when outside the roots."""
        if not isinstance(path, str) or not path:
            raise ToolProblem(f"{path!r}: not a file path")
        if "\0" in path:
            raise ToolProblem(f"{path}: not a file path")
        joined = os.path.join(self.roots[0], os.path.expanduser(path))
        real = os.path.realpath(joined)
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots):
            raise ToolProblem(
                f"{path}: outside the directories this server may read "
                f"({', '.join(self.roots)}; heaptui mcp --root DIR allows more)"
            )
        if not os.path.exists(real):
            raise ToolProblem(f"{path}: no such file")
        return real

    # ------------------------------------------------------------ opening

    def snapshot(self, path: str) -> Snapshot:
        """The snapshot at ``path``, loaded on the first question about it."""
        return self._open("snapshot", path, self._load_snapshot)

    def profile(self, path: str) -> SamplingProfile:
        """The sampling heap profile (.heapprofile) at ``path``, read on the first question about it."""
        from ..engine.heapprofile import read_heapprofile

        return self._open("profile", path, read_heapprofile)

    def is_profile(self, path: str) -> bool:
        from ..engine.heapprofile import is_heapprofile

        return is_heapprofile(self.resolve(path))

    def open_count(self) -> int:
        with self._lock:
            return sum(1 for entry in self._entries.values() if entry.value is not None)

    def _open(self, kind: str, path: str, load: Callable[[str], T]) -> T:
        real = self.resolve(path)
        try:
            st = os.stat(real)
        except OSError as error:
            raise ToolProblem(failure_line(error, path)) from None
        signature = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        key = (kind, real)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.signature != signature:  # new, or the file changed since
                entry = self._entries[key] = _Entry(signature)
            self._entries.move_to_end(key)
        with entry.lock:  # a second question about a file being loaded waits for that load
            if entry.value is None:
                try:
                    entry.value = load(real)
                except ToolProblem:
                    raise
                except Exception as error:  # bad input or a bug: the CLI's one line, never a traceback
                    raise ToolProblem(failure_line(error, real, self.salvage)) from error
                with self._lock:
                    self.loads += 1
            value: T = entry.value
        self._close_least_recent()
        return value

    def _load_snapshot(self, real: str) -> Snapshot:
        from ..engine.load import load_snapshot

        if not self.force:
            from ..engine.estimate import too_big

            reason = too_big([real])
            if reason:
                raise ToolProblem(reason)
        snapshot = load_snapshot(real, cache=self.cache, salvage=self.salvage)
        for note in snapshot.lost:
            self.warn(f"{real}: salvaged a truncated snapshot; {note}")
        return snapshot

    def derived(self, key: tuple, inputs: tuple[object, ...], compute: Callable[[], T]) -> T:
        """What ``compute`` answers for ``inputs`` (open snapshots), computed once while they stay open.

        Paging through a long answer (the Comparison's classes, the leak clusters) asks the same question
        again with another offset: the answer is kept, with its inputs, for the next page. ``key`` names
        the question and its options; the inputs are told apart by identity (a file that changed on disk is
        a new snapshot, so a new answer).
        """
        full = (*key, *(id(x) for x in inputs))
        with self._lock:
            entry = self._derived.get(full)
            if entry is None:
                entry = self._derived[full] = _Entry((), None)
            self._derived.move_to_end(full)
        with entry.lock:
            if entry.value is None:
                entry.value = (inputs, compute())  # the inputs held with it: their ids stay theirs
            value: T = entry.value[1]
        with self._lock:
            while len(self._derived) > MAX_DERIVED:
                self._derived.popitem(last=False)
        return value

    def _close_least_recent(self) -> None:
        """Forget the least recently asked files beyond ``max_open`` (their memory goes with the last answer)."""
        with self._lock:
            while len(self._entries) > self.max_open:
                self._entries.popitem(last=False)
