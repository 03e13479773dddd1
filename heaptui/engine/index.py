"""DevTools' passes over a parsed snapshot, two at a time where they do not depend on each other.

Phases (each timed, each reported to the progress callback): index
(retainers, DOM state, page-owned nodes, shallow-size transfer, the edges
that retain, and the classes' names, interfaces and keys); dominators;
retained sizes; classes (the classes' retained sizes); distances; summary
(counts per class, statistics).

The compiled passes release the GIL, so on two cores the passes that do not
need each other's results run side by side (:class:`~.threads.Beside`):

* the retainers (the reverse edges), then the edges that retain, beside the
  page-owned marking, the WeakMap names and the shallow-size transfer;
* the classes (names, interfaces, class keys) beside those too, once the
  other passes are done reading the strings (the classes add names to them);
  they are waited for before the dominator tree starts, whose arrays would
  otherwise come on top of their temporaries (44 MB more peak on the 1 GB
  snapshot when they ran beside the tree);
* the statistics' sums beside the classes' retained sizes and the distances.

Arrays a later phase no longer needs are dropped as soon as possible, and the
passes after the tree work in the tree's dead DFS order (the children lists
of the classes' retained sizes, then the distances' queue) one after the
other, so none of them adds an array of n. The peak memory of a load is the
dominator pass's: its temporaries, the columns, retainers and class ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import classes as cls
from .distances import devtools_distances, user_roots
from .dominators import dominator_tree, essential_edges, retained_dtype, retained_sizes
from .domstate import DETACHED, propagate_dom_state
from .ephemerons import ephemeron_names
from .graph import build_retainers
from .ownership import mark_page_owned, transfer_shallow_sizes
from .parse import RawSnapshot
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot, TypeCodes
from .statistics import Statistics, _sums
from .strings import StringTable
from .threads import Beside

# The phases a load reports, in order.
PHASES = ("parse", "index", "dominators", "retained sizes", "classes", "distances", "summary")


@contextmanager
def _timed(timings: dict[str, float], phase: str, report: ProgressCallback) -> Iterator[None]:
    """Time a phase and report its start and end (the callback may cancel at either)."""
    report(phase, 0, 1)
    start = time.perf_counter()
    yield
    timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
    report(phase, 1, 1)


def build_index(
    raw: RawSnapshot, path: str, report: ProgressCallback = no_progress, timings: dict[str, float] | None = None
) -> Snapshot:
    """Run DevTools' passes over the parsed columns."""
    timings = {} if timings is None else timings
    meta = raw.meta
    types = TypeCodes.from_meta(meta)
    strings = raw.strings
    root = meta.root_ordinal
    node_type, node_name = raw.node_type, raw.node_name
    first_edge, edge_type, edge_name, edge_to = raw.first_edge, raw.edge_type, raw.edge_name, raw.edge_to
    n = raw.node_count

    def waiting(phase: str) -> Callable[[], None]:
        """The progress check while this thread waits for another (a cancel is seen at once)."""
        return lambda: report(phase, 0, 1)

    with _timed(timings, "index", report):
        retainers = Beside("retainers", build_retainers, first_edge, edge_to, n)
        if raw.node_detachedness is not None and raw.node_detachedness.any():
            state = raw.node_detachedness
            renamed = propagate_dom_state(
                state, node_type, first_edge, edge_type, edge_to, types.native, types.hidden_edge, types.weak_edge
            )
            # a few hundred distinct names for tens of thousands of nodes: add each once, remap with numpy
            old_names, where = np.unique(node_name[renamed], return_inverse=True)
            new_names = np.array(
                [strings.add("Detached " + strings[int(i)]) for i in old_names.tolist()], dtype=node_name.dtype
            )
            node_name[renamed] = new_names[where.reshape(-1)]
            del state
        detached = detached_bits(raw.node_detachedness)
        raw.release("node_detachedness")
        numbered_edge = meta.numbered_edge_types()
        is_user_root, is_dom_trees_root = user_roots(strings, types, node_type, node_name)
        page_owned = mark_page_owned(
            root,
            first_edge,
            edge_type,
            edge_to,
            is_dom_trees_root,
            types.shortcut_edge,
            types.element_edge,
            types.weak_edge,
        )
        ephemerons = ephemeron_names(strings, edge_type, edge_name, types.internal_edge)
        external_string_data = strings.mask_of(["system / ExternalStringData"]) if types.native >= 0 else None
        # The classes from here on: they add class names to the strings, which the passes below do not read.
        classes = Beside("classes", _classes, raw, types, strings)
        # The edges that retain, on a thread of its own, while this one moves the shallow sizes.
        essential = Beside(
            "essential edges",
            essential_edges,
            root,
            first_edge,
            edge_type,
            edge_name,
            edge_to,
            raw.node_id,
            page_owned,
            types.weak_edge,
            types.shortcut_edge,
            types.internal_edge,
            ephemerons.lookup,
            ephemerons.table_id,
        )
        del page_owned
        root_children = edge_to[first_edge[root] : first_edge[root + 1]]
        has_user_roots = bool(is_user_root[root_children].any())
        if has_user_roots:
            ownable = (node_type == types.hidden) | (node_type == types.array)
            if external_string_data is not None:
                ownable |= (node_type == types.native) & external_string_data[node_name]
            no_owner = node_type == types.synthetic  # synthetic nodes and the root take no sizes
            no_owner[root] = True
            shallow = transfer_shallow_sizes(
                raw.node_self_size, ownable, no_owner, first_edge, edge_type, edge_to, types.weak_edge
            )
            del ownable, no_owner
        else:
            shallow = raw.node_self_size
        # Recomputed when the distances need them: not worth keeping through the dominator pass.
        del is_dom_trees_root, is_user_root, external_string_data
        first_retainer, retainer_edge = retainers.result(waiting("index"))
        essential_bits = essential.result(waiting("index"))
        del essential
        # Their temporaries are gone before the dominator tree's arrays come: the load's peak is the tree's alone.
        class_id, class_table, interfaces, took = classes.result(waiting("index"))
        timings["classes (beside)"] = took
        del classes

    with _timed(timings, "dominators", report):
        # One or two of the pass's int32 arrays live in the bytes that take the retained sizes next (uint32 when
        # they are sure to fit: the pass's other array then goes with it, and the retained sizes take half).
        retained_type = retained_dtype(shallow)
        scratch = np.empty((n + 1) * retained_type.itemsize, dtype=np.uint8)
        dominator, order, _orphans, _unreachable = dominator_tree(
            root, first_edge, edge_to, first_retainer, retainer_edge, essential_bits, scratch
        )
        del essential_bits

    with _timed(timings, "retained sizes", report):
        retained = retained_sizes(dominator, order, shallow, scratch.view(retained_type))
        del scratch

    with _timed(timings, "classes", report):
        # The classes have added their names: from here on the strings are only read, by two threads.
        sums = Beside("statistics", _statistics_sums, raw, types, strings, shallow, first_retainer)
        no_mask = np.empty(0, dtype=np.uint8)
        # The DFS order is done with: its array holds the dominator tree's children lists, then the distances'
        # queue, so neither pass adds an array of n to the load's peak (the dominator tree's).
        class_retained = cls.class_retained_sizes(
            class_id, len(class_table), shallow, retained, dominator, root, no_mask, order
        )

    with _timed(timings, "distances", report):
        distances = devtools_distances(
            strings,
            types,
            root,
            node_type,
            node_name,
            first_edge,
            edge_type,
            edge_name,
            edge_to,
            numbered_edge,
            ephemerons,
            queue=order,
        )
        del order
        statistics_sums = sums.result(waiting("distances"))

    with _timed(timings, "summary", report):
        extra = meta.extra_native_bytes
        statistics = _totals(statistics_sums, int(retained[root]) + extra, extra, raw.node_count, raw.edge_count)
        snapshot = Snapshot(
            path=path,
            meta=meta,
            types=types,
            strings=strings,
            file_size=raw.file_size,
            node_type=node_type,
            node_name=node_name,
            node_id=raw.node_id,
            shallow=shallow,
            first_edge=first_edge,
            node_trace_id=raw.node_trace_id,
            detached=detached,
            edge_type=edge_type,
            edge_name=edge_name,
            edge_to=edge_to,
            first_retainer=first_retainer,
            retainer_edge=retainer_edge,
            distances=distances,
            dominator=dominator,
            retained=retained,
            class_id=class_id,
            classes=class_table,
            interfaces=interfaces,
            locations=raw.locations,
            statistics=statistics,
            numbered_edge=numbered_edge,
            is_object_name=strings.mask_of(["Object"]),
            ephemerons=ephemerons,
            timings=timings,
            samples=raw.samples,
            trace_tree=raw.trace_tree,
            trace_function_infos=raw.trace_function_infos,
            lost=raw.lost,
        )
        snapshot.summary_rows = snapshot.summary_from(class_retained, no_mask)
    return snapshot


def _classes(raw: RawSnapshot, types: TypeCodes, strings: StringTable) -> tuple[Any, ...]:
    """(class id per node, class table, interface definitions, seconds): beside the dominator tree, which reads no
    string while this adds class names."""
    started = time.perf_counter()
    class_id, class_table, interfaces = cls.classify(
        strings,
        raw.meta,
        types.object,
        types.property_edge,
        raw.node_type,
        raw.node_name,
        raw.first_edge,
        raw.edge_type,
        raw.edge_name,
        raw.locations,
    )
    return class_id, class_table, interfaces, time.perf_counter() - started


def _statistics_sums(
    raw: RawSnapshot, types: TypeCodes, strings: StringTable, shallow: np.ndarray, first_retainer: np.ndarray
) -> tuple[int, ...]:
    string_types = np.zeros(max(len(raw.meta.node_types), 1), dtype=np.bool_)
    for code in (types.string, types.cons_string, types.sliced_string):
        if code >= 0:
            string_types[code] = True
    return _sums(
        raw.node_type,
        raw.node_name,
        shallow,
        raw.first_edge,
        raw.edge_type,
        raw.edge_name,
        raw.edge_to,
        first_retainer,
        types.hidden,
        types.native,
        types.code,
        string_types,
        strings.mask_of(["system / JSArrayBufferData"]),
        strings.mask_of(["Array"]),
        types.internal_edge,
        strings.mask_of(["elements"]),
    )


def _totals(sums: tuple[int, ...], total: int, extra: int, node_count: int, edge_count: int) -> Statistics:
    system, native, typed, code, text, arrays = sums
    native_total = int(native) + extra
    return Statistics(
        total=total,
        v8heap=total - native_total,
        native=native_total,
        code=int(code),
        strings=int(text),
        js_arrays=int(arrays),
        typed_arrays=int(typed),
        system=int(system),
        node_count=node_count,
        edge_count=edge_count,
    )


def detached_bits(detachedness: np.ndarray | None) -> np.ndarray | None:
    """A bit per node (bit v & 7 of byte v >> 3): detached (after propagation); None when no node is."""
    if detachedness is None:
        return None
    detached = detachedness == DETACHED
    return np.packbits(detached, bitorder="little") if detached.any() else None
