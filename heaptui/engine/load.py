"""From a file to a :class:`~heaptui.engine.snapshot.Snapshot`, one DevTools pass at a time.

Phases (each timed, each reported to the progress callback): parse; index
(retainers, DOM state, page-owned nodes, shallow-size transfer); dominators;
retained sizes; classes (class names, interfaces, class keys, the classes'
retained sizes); distances; summary (counts per class, statistics). The order
differs from DevTools' where results do not depend on it, so that the largest
temporaries (the dominator pass's, the dominator tree's child lists) are never
alive together with arrays computed later. Arrays a later phase no longer
needs are dropped as soon as possible.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from . import classes as cls
from .cache import CacheOptions, save_and_adopt
from .cache import load as load_cached
from .compile_worker import start_compiling_in_background
from .distances import devtools_distances, user_roots
from .dominators import dominator_tree, essential_edges, retained_sizes
from .domstate import propagate_dom_state
from .ephemerons import ephemeron_names
from .errors import Cancelled
from .graph import build_retainers
from .kernel_cache import kernels_compiled
from .memory import return_large_frees_to_the_system
from .ownership import mark_page_owned, transfer_shallow_sizes
from .parse import RawSnapshot, read_snapshot
from .progress import ProgressCallback, no_progress
from .scan import is_monotonic
from .snapshot import Snapshot, TypeCodes, max_js_node_id
from .statistics import Statistics, _sums
from .strings import StringTable
from .warmup import warm_up_in_background

# Below this size the parse is too short to hide the kernels' loading behind it.
WARM_UP_ABOVE = 20 << 20

PHASES = ("parse", "index", "dominators", "retained sizes", "classes", "distances", "summary")


def load_snapshot(path: str | os.PathLike[str], report: ProgressCallback = no_progress,
                  cache: CacheOptions | None = None, salvage: bool = False) -> Snapshot:
    """Load and index a snapshot file; raises :class:`SnapshotError` for bad input.

    With ``cache``, a valid index cache of the file is mapped instead of
    reading the file, and a fresh load writes one (see :mod:`.cache`).
    With ``salvage``, a truncated file loads what is complete (``Snapshot.lost``
    says what is not); a salvaged index is never cached.
    """
    use_cache = cache is not None and cache.applies_to(path) and not salvage
    if use_cache:
        started = time.perf_counter()
        report("cache", 0, 1)
        cached = load_cached(path, cache)  # type: ignore[arg-type]
        if cached is not None:
            cached.timings["cache"] = time.perf_counter() - started
            report("cache", 1, 1)
            return cached
    snapshot = _load_file(path, report, salvage).seal()  # handed out from here: it never changes again
    if use_cache and cache.background:  # type: ignore[union-attr]
        threading.Thread(target=save_and_adopt, args=(snapshot, cache), name="heaptui-cache",
                         daemon=not cache.finish_at_exit).start()  # type: ignore[union-attr]
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
        is_monotonic(np.zeros(2, dtype=np.int32))  # numba's own start-up, once, before two threads need it
        warm_up_in_background()
    elif not salvage and not kernels_compiled():
        snapshot = _load_small_without_compiling(path, report, timings, started)
        if snapshot is not None:
            return snapshot
    raw = read_snapshot(path, report, salvage)
    timings["parse"] = time.perf_counter() - started
    return build_index(raw, str(path), report, timings)


def _load_small_without_compiling(path: str | os.PathLike[str], report: ProgressCallback,
                                  timings: dict[str, float], started: float) -> Snapshot | None:
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


@contextmanager
def _timed(timings: dict[str, float], phase: str, report: ProgressCallback) -> Iterator[None]:
    """Time a phase and report its start and end (the callback may cancel at either)."""
    report(phase, 0, 1)
    start = time.perf_counter()
    yield
    timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
    report(phase, 1, 1)


def build_index(raw: RawSnapshot, path: str, report: ProgressCallback = no_progress,
                timings: dict[str, float] | None = None) -> Snapshot:
    """Run DevTools' passes over the parsed columns."""
    timings = {} if timings is None else timings
    meta = raw.meta
    types = TypeCodes.from_meta(meta)
    strings = raw.strings
    root = meta.root_ordinal
    node_type, node_name = raw.node_type, raw.node_name
    first_edge, edge_type, edge_name, edge_to = raw.first_edge, raw.edge_type, raw.edge_name, raw.edge_to
    n = raw.node_count

    with _timed(timings, "index", report):
        first_retainer, retainer_edge = build_retainers(first_edge, edge_to, n)
        if raw.node_detachedness is not None and raw.node_detachedness.any():
            state = raw.node_detachedness
            renamed = propagate_dom_state(state, node_type, first_edge, edge_type, edge_to, types.native,
                                          types.hidden_edge, types.weak_edge)
            # a few hundred distinct names for tens of thousands of nodes: add each once, remap with numpy
            old_names, where = np.unique(node_name[renamed], return_inverse=True)
            new_names = np.array([strings.add("Detached " + strings[int(i)]) for i in old_names.tolist()],
                                 dtype=node_name.dtype)
            node_name[renamed] = new_names[where.reshape(-1)]
        numbered_edge = meta.numbered_edge_types()
        is_user_root, is_dom_trees_root = user_roots(strings, types, node_type, node_name)
        page_owned = mark_page_owned(root, first_edge, edge_type, edge_to, is_dom_trees_root,
                                     types.shortcut_edge, types.element_edge, types.weak_edge)
        root_children = edge_to[first_edge[root]:first_edge[root + 1]]
        has_user_roots = bool(is_user_root[root_children].any())
        if has_user_roots:
            ownable = (node_type == types.hidden) | (node_type == types.array)
            if types.native >= 0:
                ownable |= (node_type == types.native) & strings.mask_of(["system / ExternalStringData"])[node_name]
            no_owner = node_type == types.synthetic  # synthetic nodes and the root take no sizes
            no_owner[root] = True
            shallow = transfer_shallow_sizes(raw.node_self_size, ownable, no_owner, first_edge, edge_type,
                                             edge_to, types.weak_edge)
            del ownable, no_owner
        else:
            shallow = raw.node_self_size
        # Recomputed when the distances need them: not worth keeping through the dominator pass.
        del is_dom_trees_root, is_user_root
        ephemerons = ephemeron_names(strings, edge_type, edge_name, types.internal_edge)

    with _timed(timings, "dominators", report):
        essential = essential_edges(root, first_edge, edge_type, edge_name, edge_to, raw.node_id, page_owned,
                                    types.weak_edge, types.shortcut_edge, types.internal_edge,
                                    ephemerons.part, ephemerons.table_id)
        dominator, order, _orphans, _unreachable = dominator_tree(
            root, first_edge, edge_to, first_retainer, retainer_edge, essential)
        del essential, page_owned

    with _timed(timings, "retained sizes", report):
        retained = retained_sizes(dominator, order, shallow)
        del order

    with _timed(timings, "classes", report):
        class_id, class_table, interfaces = cls.classify(strings, meta, types.object, types.property_edge,
                                                         node_type, node_name, first_edge, edge_type, edge_name,
                                                         raw.locations)
        # Before the distances exist: this walk builds the dominator tree's child lists.
        no_mask = np.empty(0, dtype=np.uint8)
        class_retained = cls.class_retained_sizes(class_id, len(class_table), shallow, retained, dominator, root,
                                                  no_mask)

    with _timed(timings, "distances", report):
        distances = devtools_distances(strings, types, root, node_type, node_name, first_edge, edge_type,
                                       edge_name, edge_to, numbered_edge, ephemerons)

    with _timed(timings, "summary", report):
        statistics = _statistics(raw, types, strings, shallow, first_retainer, int(retained[root]))
        snapshot = Snapshot(
            path=path, meta=meta, types=types, strings=strings, file_size=raw.file_size,
            node_type=node_type, node_name=node_name, node_id=raw.node_id, shallow=shallow,
            first_edge=first_edge, node_trace_id=raw.node_trace_id, node_detachedness=raw.node_detachedness,
            edge_type=edge_type, edge_name=edge_name, edge_to=edge_to,
            first_retainer=first_retainer, retainer_edge=retainer_edge,
            distances=distances, dominator=dominator, retained=retained,
            class_id=class_id, classes=class_table, interfaces=interfaces, locations=raw.locations,
            statistics=statistics,
            numbered_edge=numbered_edge, is_object_name=strings.mask_of(["Object"]), ephemerons=ephemerons,
            timings=timings, samples=raw.samples, trace_tree=raw.trace_tree,
            trace_function_infos=raw.trace_function_infos, lost=raw.lost,
        )
        snapshot.summary_rows = snapshot.summary_from(class_retained, no_mask)
    return snapshot


def _statistics(raw: RawSnapshot, types: TypeCodes, strings: StringTable, shallow: np.ndarray,
                first_retainer: np.ndarray, root_retained: int) -> Statistics:
    string_types = np.zeros(max(len(raw.meta.node_types), 1), dtype=np.bool_)
    for code in (types.string, types.cons_string, types.sliced_string):
        if code >= 0:
            string_types[code] = True
    system, native, typed, code, text, arrays = _sums(
        raw.node_type, raw.node_name, shallow, raw.first_edge, raw.edge_type, raw.edge_name, raw.edge_to,
        first_retainer, types.hidden, types.native, types.code, string_types,
        strings.mask_of(["system / JSArrayBufferData"]), strings.mask_of(["Array"]), types.internal_edge,
        strings.mask_of(["elements"]))
    extra = raw.meta.extra_native_bytes
    total = root_retained + extra
    native_total = int(native) + extra
    return Statistics(
        total=total, v8heap=total - native_total, native=native_total, code=int(code), strings=int(text),
        js_arrays=int(arrays), typed_arrays=int(typed), system=int(system),
        node_count=raw.node_count, edge_count=raw.edge_count,
    )


def load_snapshots(paths: Sequence[str], report_for: Callable[[str], ProgressCallback] | None = None,
                   workers: int | None = None, cache: CacheOptions | None = None,
                   salvage: bool = False) -> list[Snapshot]:
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
