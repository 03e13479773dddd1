"""The engine: snapshot file -> index -> DevTools' numbers. Knows nothing of Textual or click.

This is the API every front end (the ``heaptui`` commands, the Textual app, the MCP server) calls, so that
each rule lives here once. Importing this package is cheap: the names below are imported on first use
(PEP 562), so ``heaptui.capture`` can use the progress types without loading numpy or numba.

Loading
    ``load_snapshot(path, report=no_progress, cache=None, salvage=False)`` and
    ``load_snapshots(paths, report_for)`` build a :class:`Snapshot` (``report``: the progress callback);
    ``read_header(path)`` reads a file's meta without indexing it. Every bad file raises
    :class:`SnapshotError` (one line naming the file; :class:`Truncated` when it ends early).

A snapshot's questions (:class:`Snapshot`; front ends read no raw arrays such as ``first_edge``)
    ``summary(mask=None)`` (:class:`ClassRow` rows), ``instances(class_index)``, ``instances_index(progress)``
    and ``instances_ready``, ``retainers(v)`` / ``retainer_list(v)`` (:class:`Retainer`), ``child_count(v)``,
    ``has_children(v)``, ``retainer_count(v)``, ``has_retainers(v)``, ``has_timeline``,
    ``has_allocation_stacks``, ``node_for_id(id)``, ``name(v)``, ``class_name(v)``, ``stem``,
    ``statistics``, ``object_json(v)``.

Several snapshots
    ``compare(base, snapshot, *, progress=None)`` (:mod:`.compare`: DevTools' Comparison) and
    ``leak_report(baseline, target, final, *, progress=None)`` (:mod:`.leaks`); ``largest_objects(s, count)``.

Filters and windows
    ``parse_filter(text) -> FilterSpec`` (the CLI's aliases and DevTools' names; ValueError lists them),
    ``filter_mask_for(snapshot, spec, progress=None)`` and ``devtools_filter_name(snapshot, spec)`` (the JSON's
    ``nativeContext_<node index>``) (:mod:`.filters`);
    ``allocation_windows(snapshots, index)``, ``window_since(older, snapshot)``, ``window_before(older)``
    -> :class:`AllocationWindow` whose ``mask(snapshot)`` is the Summary's mask; the app lists
    ``ALL_OBJECTS`` first (:mod:`.windows`).

Strings, allocation
    ``duplicated_string_groups(s)`` (:mod:`.filters`), ``allocation_tree(s)`` (:mod:`.allocation`),
    ``read_heapprofile(path)`` (:mod:`.heapprofile`).

Errors and text
    ``classify_error(error, path=None, salvaging=False) -> Failure`` (kind, one-line message, exit code),
    ``format_size(bytes)`` and ``format_percent(part, total)`` (:mod:`.sizes`).

Progress and cancellation
    Long work takes ``progress: ProgressCallback | None``, calls it between chunks (about every 0.1 s), and
    stops cleanly when it raises :class:`Cancelled`, leaving the snapshots as they were (:mod:`.progress`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

_EXPORTS = {
    "ALL_OBJECTS": "windows",
    "AllocationWindow": "windows",
    "allocation_windows": "windows",
    "window_before": "windows",
    "window_since": "windows",
    "Cancelled": "errors",
    "Failure": "errors",
    "SnapshotError": "errors",
    "Truncated": "errors",
    "classify_error": "errors",
    "ClassRow": "snapshot",
    "Retainer": "snapshot",
    "Snapshot": "snapshot",
    "snapshot_stem": "snapshot",
    "Comparison": "compare",
    "compare": "compare",
    "FilterSpec": "filters",
    "devtools_filter_name": "filters",
    "duplicated_string_groups": "filters",
    "filter_mask": "filters",
    "filter_mask_for": "filters",
    "parse_filter": "filters",
    "LeakReport": "leaks",
    "largest_objects": "leaks",
    "leak_report": "leaks",
    "ProgressCallback": "progress",
    "no_progress": "progress",
    "allocation_tree": "allocation",
    "format_percent": "sizes",
    "format_size": "sizes",
    "load_snapshot": "load",
    "load_snapshots": "load",
    "read_header": "parse",
    "read_heapprofile": "heapprofile",
}

__all__ = [
    "ALL_OBJECTS",
    "AllocationWindow",
    "Cancelled",
    "ClassRow",
    "Comparison",
    "Failure",
    "FilterSpec",
    "LeakReport",
    "ProgressCallback",
    "Retainer",
    "Snapshot",
    "SnapshotError",
    "Truncated",
    "allocation_tree",
    "allocation_windows",
    "classify_error",
    "compare",
    "devtools_filter_name",
    "duplicated_string_groups",
    "filter_mask",
    "filter_mask_for",
    "format_percent",
    "format_size",
    "largest_objects",
    "leak_report",
    "load_snapshot",
    "load_snapshots",
    "no_progress",
    "parse_filter",
    "read_header",
    "read_heapprofile",
    "snapshot_stem",
    "window_before",
    "window_since",
]
assert set(__all__) == set(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from .allocation import allocation_tree
    from .compare import Comparison, compare
    from .errors import Cancelled, Failure, SnapshotError, Truncated, classify_error
    from .filters import (
        FilterSpec,
        devtools_filter_name,
        duplicated_string_groups,
        filter_mask,
        filter_mask_for,
        parse_filter,
    )
    from .heapprofile import read_heapprofile
    from .leaks import LeakReport, largest_objects, leak_report
    from .load import load_snapshot, load_snapshots
    from .parse import read_header
    from .progress import ProgressCallback, no_progress
    from .sizes import format_percent, format_size
    from .snapshot import ClassRow, Retainer, Snapshot, snapshot_stem
    from .windows import ALL_OBJECTS, AllocationWindow, allocation_windows, window_before, window_since
