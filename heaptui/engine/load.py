"""From a file to a :class:`~heaptui.engine.snapshot.Snapshot`: the index cache, or the parse and DevTools' passes.

The parse is :mod:`.parse`, the passes :mod:`.index` (``build_index``, and
``PHASES``, the phases a load reports); this module picks the way in (the
index cache, a small first run's Python kernels, or the compiled load) and
loads several files side by side.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .compile_start import start_compiling_in_background
from .errors import Cancelled
from .index import PHASES, build_index
from .kernel_cache import kernels_compiled
from .memory import return_large_frees_to_the_system
from .parse import read_snapshot
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot, max_js_node_id
from .warmup import warm_up_in_background

if TYPE_CHECKING:
    from .cache import CacheOptions

# Below this size the parse is too short to hide the kernels' loading behind it.
WARM_UP_ABOVE = 20 << 20


def load_snapshot(
    path: str | os.PathLike[str],
    report: ProgressCallback = no_progress,
    cache: CacheOptions | None = None,
    salvage: bool = False,
) -> Snapshot:
    """Load and index a snapshot file; raises :class:`SnapshotError` for bad input.

    With ``cache``, a valid index cache of the file is mapped instead of
    reading the file, and a fresh load writes one (see :mod:`.cache`).
    With ``salvage``, a truncated file loads what is complete (``Snapshot.lost``
    says what is not); a salvaged index is never cached.
    """
    use_cache = cache is not None and cache.applies_to(path) and not salvage
    if use_cache:  # the cache's module only then: --no-cache starts without its hashing and file handling
        from .cache import load as load_cached
        from .cache import save_and_adopt

        started = time.perf_counter()
        report("cache", 0, 1)
        cached = load_cached(path, cache)  # type: ignore[arg-type]
        if cached is not None:
            cached.timings["cache"] = time.perf_counter() - started
            report("cache", 1, 1)
            return cached
    snapshot = _load_file(path, report, salvage).seal()  # handed out from here: it never changes again
    if use_cache and cache.background:  # type: ignore[union-attr]
        finish = cache.finish_at_exit  # type: ignore[union-attr]
        threading.Thread(target=save_and_adopt, args=(snapshot, cache), name="heaptui-cache", daemon=not finish).start()
    elif use_cache:
        started = time.perf_counter()
        report("writing cache", 0, 1)
        save_and_adopt(snapshot, cache)  # type: ignore[arg-type]
        snapshot.timings["writing cache"] = time.perf_counter() - started
        report("writing cache", 1, 1)
    return snapshot


def _load_file(path: str | os.PathLike[str], report: ProgressCallback, salvage: bool = False) -> Snapshot:
    return_large_frees_to_the_system()
    start_compiling_in_background()  # a first run: a second process compiles the later phases' kernels meanwhile
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        large = os.path.getsize(path) > WARM_UP_ABOVE
    except OSError:
        large = False  # read_snapshot says what is wrong with the path
    if large:
        # numba's start-up (a fifth of a second of one core) is the warm-up thread's first step: the parse reads the
        # header and finds the arrays' ends meanwhile, and its first kernel call waits for it (jit.KernelReference).
        warm_up_in_background()
    elif not salvage and not kernels_compiled():
        snapshot = _load_small_without_compiling(path, report, timings, started)
        if snapshot is not None:
            return snapshot
    raw = read_snapshot(path, report, salvage)
    timings["parse"] = time.perf_counter() - started
    return build_index(raw, str(path), report, timings)


def _load_small_without_compiling(
    path: str | os.PathLike[str], report: ProgressCallback, timings: dict[str, float], started: float
) -> Snapshot | None:
    """A first run on a small file: the json module and the kernels as Python, faster than compiling them."""
    from .small_first_run import python_kernels, read_small

    with python_kernels():
        report("parse", 0, 1)
        raw = read_small(path)
        if raw is None:
            return None
        timings["parse"] = time.perf_counter() - started
        report("parse", 1, 1)
        return build_index(raw, str(path), report, timings)


def load_snapshots(
    paths: Sequence[str],
    report_for: Callable[[str], ProgressCallback] | None = None,
    workers: int | None = None,
    cache: CacheOptions | None = None,
    salvage: bool = False,
) -> list[Snapshot]:
    """Load several snapshots, side by side where the machine has the cores, in the order given.

    The compiled passes release the GIL, so two loads on two cores take little
    longer than one. The threads are daemons and the wait polls, so ctrl+c
    (KeyboardInterrupt) ends the program at once. The first error stops the
    other loads (through their progress callbacks) and is raised.
    """
    workers = max(1, min(len(paths), workers or os.cpu_count() or 1))
    results: list[Snapshot | None] = [None] * len(paths)
    errors: list[BaseException] = []
    stop = threading.Event()
    pending = list(enumerate(paths))
    lock = threading.Lock()

    def reporter(path: str) -> ProgressCallback:
        inner = report_for(path) if report_for is not None else no_progress

        def report(phase: str, done: int, total: int) -> None:
            if stop.is_set():
                raise Cancelled()
            inner(phase, done, total)

        return report

    def work() -> None:
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                i, path = pending.pop(0)
            try:
                results[i] = load_snapshot(path, reporter(path), cache, salvage)
            except Cancelled:
                return
            except BaseException as error:  # handed to the caller, who decides how to say it
                errors.append(error)
                stop.set()
                return

    if workers == 1:
        return [load_snapshot(path, reporter(path), cache, salvage) for path in paths]
    threads = [threading.Thread(target=work, name=f"heaptui-load-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)
    except BaseException:
        stop.set()
        raise
    if errors:
        raise errors[0]
    if any(r is None for r in results):
        raise Cancelled()
    return [r for r in results if r is not None]


def file_max_js_node_id(path: str | os.PathLike[str], report: ProgressCallback = no_progress) -> int:
    """The newest JavaScript object id in a snapshot file, read without indexing it (for ``--since``)."""
    return max_js_node_id(read_snapshot(path, report).node_id)


__all__ = ["load_snapshot", "load_snapshots", "build_index", "file_max_js_node_id", "PHASES"]
