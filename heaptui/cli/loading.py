"""Loading the files of a command: a progress line, the memory check, and one line for any failure."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import click

from ..visible import clip
from .errors import EXIT_BAD_INPUT, ended_by_signal, fail, fail_for
from .options import LoadOptions
from .output import warn

if TYPE_CHECKING:
    from ..engine import Snapshot

FIRST_RUN_NOTE = (
    "first run of this heaptui: a second process compiles its kernels, once (15 to 25 s of one core, "
    "going on after this command); meanwhile a small snapshot is indexed by them as plain Python; "
    "later runs start at once"
)

T = TypeVar("T")


class Progress:
    """Each file's phase and percent on one stderr line, redrawn in place (only on a terminal)."""

    def __init__(self, paths: list[str], enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0
        self.shown = False
        self.status: dict[str, str] = {path: "waiting" for path in paths}
        self.lock = threading.Lock()
        try:  # one line of the terminal: a wrapped line is not redrawn in place
            self.width = max(os.get_terminal_size(sys.stderr.fileno()).columns - 1, 20) if sys.stderr.isatty() else 196
        except (OSError, ValueError, AttributeError):
            self.width = 196

    def reporter(self, path: str) -> Callable[[str, int, int], None]:
        def report(phase: str, done: int, total: int) -> None:
            self.update(path, phase, done, total)

        return report

    def update(self, path: str, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        pct = 100 * done // total if total else 100
        self.status[path] = f"{phase} {pct}%"
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        line = ", ".join(f"{os.path.basename(p)}: {text}" for p, text in self.status.items())
        with self.lock:
            self.shown = True  # first: a signal raised in the write below still has the line cleared
            sys.stderr.write(f"\r\x1b[K{clip('loading ' + line, self.width)}")
            sys.stderr.flush()

    def close(self) -> None:
        with self.lock:
            if self.shown:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
                self.shown = False


def load_or_exit(path: str, options: LoadOptions) -> Snapshot:
    """Load a snapshot for a command, turning every failure into one line and an exit status."""
    return load_all_or_exit([path], options)[0]


def load_all_or_exit(paths: list[str], options: LoadOptions) -> list[Snapshot]:
    """Load snapshots (side by side where there are cores); any failure is one line and an exit status."""
    from ..engine import load_snapshots

    def work(reporter: Progress) -> list[Snapshot]:
        refuse_profiles(paths)
        check_memory(paths, options)
        cache = None if options.no_cache else options.cache()  # --no-cache: the cache's module is not even imported
        with collector_paused():
            snapshots = load_snapshots(paths, reporter.reporter, cache=cache, salvage=options.salvage)
        reporter.close()
        for s in snapshots:
            for note in s.lost:
                warn(f"{s.path}: salvaged a truncated snapshot; {note}")
        return snapshots

    return or_exit(paths, options, work)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a load, and what the load made kept out of its sight after.

    A load imports numba and loads its kernels: about 90,000 Python objects,
    none of them garbage, that the collector walks again and again meanwhile
    (about 50 ms of a 146 MB load), and once more (16 ms) at the first
    collection after; the load's own data is numpy arrays, which hold no
    cycles. So the collector is off during the load, and what it made is
    frozen (``gc.freeze``: never walked, never freed, as a module is) before
    the collector is on again for what the command does next. Only around a
    headless command's loads, in a process that ends with the command.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def refuse_profiles(paths: list[str]) -> None:
    """A sampling heap profile given where a snapshot is read: one line naming the command that reads it."""
    from ..engine.heapprofile import is_heapprofile

    for path in paths:
        if is_heapprofile(path):
            fail(
                f"{path} is a sampling heap profile, not a heap snapshot: read it with `heaptui allocations`, "
                "or open it in the app",
                EXIT_BAD_INPUT,
            )


def warn_same_files(paths: list[str]) -> None:
    """One warning when a file is given more than once (``diff S S``): the answer is then empty, rarely what
    was meant."""
    seen: dict[tuple[int, int], list[str]] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue  # the load says what is wrong with it
        seen.setdefault((st.st_dev, st.st_ino), []).append(path)
    for names in seen.values():
        if len(names) > 1:
            given = names[0] if len(set(names)) == 1 else " and ".join(dict.fromkeys(names))
            what = "is given" if len(set(names)) == 1 else "are the same file, given"
            warn(f"{given} {what} {len(names)} times: nothing can differ between them")


def check_memory(paths: list[str], options: LoadOptions) -> None:
    """Stop with one line when the files will not fit in memory, unless ``--force`` was given."""
    if options.force:
        return
    from ..engine.estimate import too_big

    reason = too_big(paths)
    if reason:
        fail(reason, EXIT_BAD_INPUT)


def max_id_or_exit(path: str, options: LoadOptions) -> int:
    """The newest JavaScript object id of a snapshot file (read, not indexed), or one line and an exit."""
    from ..engine.load import file_max_js_node_id

    def work(reporter: Progress) -> int:
        refuse_profiles([path])
        return file_max_js_node_id(path, reporter.reporter(path))

    return or_exit([path], options, work)


def or_exit(paths: list[str], options: LoadOptions, work: Callable[[Progress], T]) -> T:
    """``work`` with a progress line, its failures turned into one line and an exit status."""
    show = sys.stderr.isatty() if options.progress is None else options.progress
    reporter = Progress(paths, show)
    if show:
        from ..engine.warmup import kernels_compiled

        if not kernels_compiled():
            click.echo(f"heaptui: {FIRST_RUN_NOTE}", err=True)
    where = paths[0] if len(paths) == 1 else ", ".join(paths)
    try:
        return work(reporter)
    except (Exception, KeyboardInterrupt) as error:
        reporter.close()
        if isinstance(error, BrokenPipeError) or ended_by_signal(error):
            raise  # the command's policy ends it (quietly, or with the signal's status)
        fail_for(error, where, options.salvage)
    finally:
        reporter.close()
