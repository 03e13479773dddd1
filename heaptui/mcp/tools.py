"""The server's answers as plain functions: arguments in, a JSON-ready dict out (no MCP here).

Each tool answers what the CLI command of the same name answers with ``--json``, from the same engine
``to_json()`` methods, with one difference made for agents: a long list comes a page at a time.
``limit`` rows from ``offset``, and beside them ``total`` (rows in the whole list), ``offset``,
``limit`` and ``next_offset`` (None on the last page). A question that cannot be answered raises
:class:`~.sessions.ToolProblem` with the CLI's one line.

``retainers`` is the app's Retainers pane as DevTools opens it: the object's first retainer, then that
one's first retainer, and so on up to a GC root (20 levels, or ``depth``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .arguments import (
    page,
    paging,
    parse_bytes,
    parse_node_id,
    positive,
)
from .sessions import SnapshotStore, ToolProblem

if TYPE_CHECKING:
    from ..engine.progress import ProgressCallback
    from ..engine.snapshot import Snapshot

RETAINER_CHAIN_DEPTH = 20  # as the Retainers pane opens the first chain (DevTools' expandRetainersChain)
MAX_DEPTH = 1000
MAX_STRING = 300  # characters of a duplicated string's text shown (the text can be megabytes)


def stops_when(cancel: threading.Event | None) -> ProgressCallback | None:
    """A progress callback that stops the engine's work (``Cancelled``) once ``cancel`` is set: the client
    cancelled the question, so a Comparison or a leak report of a big heap stops instead of running on."""
    if cancel is None:
        return None

    def check(phase: str, done: int, total: int) -> None:
        if cancel.is_set():
            from ..engine.errors import Cancelled

            raise Cancelled()

    return check


def _object(s: Snapshot, file: str, node_id: str | int) -> int:
    wanted = parse_node_id(node_id)
    v = s.node_for_id(wanted)
    if v is None:
        raise ToolProblem(f"{file}: no object @{wanted} in this snapshot")
    return v


def _with_warnings(data: dict[str, Any], *snapshots: Snapshot) -> dict[str, Any]:
    lost = [f"{s.path}: salvaged a truncated snapshot; {note}" for s in snapshots for note in s.lost]
    if lost:
        data["warnings"] = [*data.get("warnings", []), *lost]
    return data


# ---------------------------------------------------------------- the tools


def summary(
    store: SnapshotStore,
    file: str,
    top: int | None = None,
    since: str | None = None,
    before: str | None = None,
    filter: str | None = None,
    name: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    """Classes by retained size (DevTools' Summary), as ``heaptui summary --json``; ``name`` keeps the classes
    whose name contains it."""
    limit, offset = paging(limit, offset)
    top = positive("top", top)
    if since and before:
        raise ToolProblem("since and before cannot be used together")
    if filter is not None and (since or before):
        raise ToolProblem("filter cannot be used with since or before")
    spec = None
    if filter is not None:
        from ..engine.filters import parse_filter

        try:
            spec = parse_filter(filter)
        except ValueError as error:
            raise ToolProblem(f"filter: {error}") from None
    older = store.snapshot(since or before) if since or before else None  # type: ignore[arg-type]
    s = store.snapshot(file)
    data: dict[str, Any] = {"snapshot": s.describe()}
    if older is not None:
        from ..engine.windows import window_before, window_since

        window = window_since(older, s) if since else window_before(older)
        data["allocated"] = {
            "after" if since else "before": since or before,
            "min_id": window.min_id,
            "max_id": window.max_id,
        }
        rows = store.derived(("summary-window", window.min_id, window.max_id), (s,), lambda: s.summary(window.mask(s)))
    elif spec is not None:
        from ..engine.filters import devtools_filter_name, filter_mask

        try:
            devtools_filter = devtools_filter_name(s, spec)
        except ValueError as error:
            raise ToolProblem(f"{file}: {error}") from None
        data["filter"] = devtools_filter
        rows = store.derived(
            ("summary-filter", devtools_filter), (s,), lambda: s.summary(filter_mask(s, devtools_filter))
        )
    else:
        rows = s.summary()
    if top is not None:
        rows = rows[:top]
    if name:
        rows = [r for r in rows if name in r.name]
    data["classes"] = rows
    page(data, "classes", limit, offset)
    data["classes"] = [r.to_json() for r in data["classes"]]
    return _with_warnings(data, s)


def instances(
    store: SnapshotStore,
    file: str,
    class_name: str,
    since: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    """The objects of one class as the Summary expands it: largest retained size first, then by id. ``since``:
    only those allocated after the older snapshot was taken (the new objects a leak hunt asks about)."""
    limit, offset = paging(limit, offset)
    older = store.snapshot(since) if since else None
    s = store.snapshot(file)
    data: dict[str, Any] = {"snapshot": s.describe()}
    mask = None
    if older is not None:
        from ..engine.windows import window_since

        window = window_since(older, s)
        data["allocated"] = {"after": since, "min_id": window.min_id, "max_id": window.max_id}
        mask = window.mask(s)
        rows = store.derived(("summary-window", window.min_id, window.max_id), (s,), lambda: s.summary(mask))
    else:
        rows = s.summary()
    rows = [r for r in rows if r.name == class_name]
    if not rows:
        raise ToolProblem(f"{file}: no class named {class_name!r} in the Summary")
    nodes = [int(v) for r in rows for v in s.instances(r.class_index) if mask is None or mask[v]]
    data["classes"] = [r.to_json() for r in rows]
    data["objects"] = nodes
    page(data, "objects", limit, offset)
    data["objects"] = [s.node_json(v) for v in data["objects"]]
    return data


def diff(
    store: SnapshotStore,
    base: str,
    file: str,
    top: int | None = None,
    fail_on_growth: str | int | None = None,
    limit: int | None = None,
    offset: int | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """DevTools' Comparison of ``file`` against the older ``base``, as ``heaptui diff --json``."""
    from ..engine.compare import compare

    limit, offset = paging(limit, offset)
    top = positive("top", top)
    threshold = parse_bytes(fail_on_growth)
    old, new = store.snapshot(base), store.snapshot(file)
    comparison = store.derived(("diff",), (old, new), lambda: compare(old, new, progress=stops_when(cancel)))
    data: dict[str, Any] = comparison.to_json()
    if top is not None:
        data["classes"] = data["classes"][:top]
    if threshold is not None:
        growth = comparison.totals.size_delta
        data["growth"] = {"size_delta": growth, "limit": threshold, "exceeded": growth > threshold}
    return _with_warnings(page(data, "classes", limit, offset), old, new)


def leaks(
    store: SnapshotStore,
    baseline: str,
    target: str,
    final: str,
    top: int | None = None,
    fail_on_growth: str | int | None = None,
    limit: int | None = None,
    offset: int | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """memlab's three-snapshot report, as ``heaptui leaks --json``: the clusters are paged (the growing
    collections, a short list, come whole)."""
    from ..engine.leaks import leak_report

    limit, offset = paging(limit, offset)
    top = positive("top", top)
    threshold = parse_bytes(fail_on_growth)
    snapshots = (store.snapshot(baseline), store.snapshot(target), store.snapshot(final))
    report = store.derived(("leaks",), snapshots, lambda: leak_report(*snapshots, progress=stops_when(cancel)))
    data: dict[str, Any] = report.to_json()
    if top is not None:
        data["clusters"] = data["clusters"][:top]
    if threshold is not None:
        data["growth"] = {
            "retained_size": report.retained_size,
            "limit": threshold,
            "exceeded": report.retained_size > threshold,
        }
    return _with_warnings(page(data, "clusters", limit, offset), *snapshots)


def object_(
    store: SnapshotStore, file: str, id: str | int, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """One object, as ``heaptui object --json``, its retainers (DevTools' order) a page at a time."""
    limit, offset = paging(limit, offset)
    s = store.snapshot(file)
    v = _object(s, file, id)
    return _with_warnings(object_json(s, v, offset, limit), s)


def object_json(s: Snapshot, v: int, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
    """``Snapshot.object_json`` with only the retainers ``offset`` to ``offset + limit`` put in order.

    The same keys; an object held by a million others (a map every string shares) answers at once.
    (An engine ``object_json(v, start, end)`` would make this one function.)
    """
    found = s.retainer_list(v)
    total = len(found)
    end = total if limit is None else min(total, offset + limit)
    retainers = [
        {
            "edge_type": r.edge_type,
            "edge_name": r.edge_name,
            "id": int(s.node_id[r.node]),
            "class": s.class_name(r.node),
            "name": s.name(r.node),
            "distance": int(s.distances[r.node]),
        }
        for r in s.retainer_rows(found, min(offset, end), end)
    ]
    data: dict[str, Any] = {
        "id": int(s.node_id[v]),
        "class": s.class_name(v),
        "name": s.name(v),
        "type": s.type_name(v),
        "self_size": int(s.shallow[v]),
        "retained_size": int(s.retained[v]),
        "distance": int(s.distances[v]),
        "dominator": int(s.node_id[s.dominator[v]]),
        "retainers": retainers,
    }
    if limit is not None:
        data.update(total=total, offset=offset, limit=limit, next_offset=end if end < total else None)
    return data


def retainers(
    store: SnapshotStore, file: str, id: str | int, depth: int | None = None, ignore: list[str | int] | None = None
) -> dict[str, Any]:
    """The object's shortest retainer path, as the Retainers pane opens it: its first retainer (DevTools'
    order: nearest a GC root first), that one's first retainer, and so on while the retainer is not a GC
    root, for ``depth`` levels (20 by default, as the app). ``ignore``: ids to ignore as retainers
    (DevTools' "Ignore this retainer"), to see how the object is held without them."""
    from ..engine.ignore import IgnoredRetainers, ignore_retainers

    depth = RETAINER_CHAIN_DEPTH if depth is None else int(depth)
    if not 1 <= depth <= MAX_DEPTH:
        raise ToolProblem(f"depth: {depth} is not between 1 and {MAX_DEPTH}")
    s = store.snapshot(file)
    v = _object(s, file, id)
    state = IgnoredRetainers()
    if ignore:
        ignored = frozenset(_object(s, file, i) for i in ignore)
        state = store.derived(("ignore", ignored), (s,), lambda: ignore_retainers(s, ignored))
    steps, stopped = retainer_chain(s, v, depth, state.distances, state.edges)
    data: dict[str, Any] = {"snapshot": s.describe(), "object": {**s.node_json(v), "type": s.type_name(v)}}
    if ignore:
        data["ignored"] = sorted(int(s.node_id[w]) for w in state.nodes)
    data["path"] = steps
    data["stopped"] = stopped
    data["text"] = " ← ".join([s.object_title(v)] + [f"{step['edge']} in {step['title']}" for step in steps])
    for step in steps:
        del step["edge"], step["title"]
    return _with_warnings(data, s)


def retainer_chain(
    s: Snapshot, v: int, depth: int, distances: np.ndarray | None = None, ignored_edges: frozenset[int] = frozenset()
) -> tuple[list[dict[str, Any]], str]:
    """DevTools' ``expandRetainersChain`` from ``v``: each level's first retainer, and why the chain stopped.

    It stops at a GC root (the retainer's distance is 1), at an unreachable retainer, at an object already
    on the chain (a cycle), at an object nothing retains, or after ``depth`` levels. Each step says how many
    retainers the object below it has (``of``): the others are one ``object`` question away.
    """
    from ..engine.format import BASE_UNREACHABLE_DISTANCE

    steps: list[dict[str, Any]] = []
    on_chain = {v}
    current = v
    for _ in range(depth):
        found = s.retainer_list(current, distances, ignored_edges)
        if len(found) == 0:
            return steps, "nothing retains it"
        r = s.retainer_rows(found, 0, 1)[0]
        w = r.node
        edge = s.edge_name_of(r.edge)
        steps.append(
            {
                "edge_type": r.edge_type,
                "edge_name": r.edge_name,
                **s.node_json(w),
                "of": len(found),
                "edge": f"[{edge}]" if r.edge_type == "element" else edge,
                "title": s.object_title(w),
            }
        )
        if w in on_chain:
            return steps, "cycle"
        if r.distance <= 1:
            return steps, "gc root"
        if r.distance >= BASE_UNREACHABLE_DISTANCE:
            return steps, "unreachable"
        on_chain.add(w)
        current = w
    return steps, "depth"


def top(
    store: SnapshotStore, file: str, top: int | None = None, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """The ``top`` objects (20 by default) with the largest retained sizes, each with its shortest retainer
    path, as ``heaptui top --json``."""
    from ..engine.leaks import largest_objects

    limit, offset = paging(limit, offset)
    count = positive("top", top) or 20
    s = store.snapshot(file)
    eligible = int(np.count_nonzero(s.node_type != s.types.synthetic)) - int(s.node_type[s.root] != s.types.synthetic)
    total = min(count, eligible)
    found = store.derived(
        ("top", min(total, offset + limit)), (s,), lambda: largest_objects(s, min(total, offset + limit))
    )
    data: dict[str, Any] = {"snapshot": s.describe(), "objects": list(range(total))}
    page(data, "objects", limit, offset)
    data["objects"] = [o.to_json(s) for o in found[offset : offset + limit]]
    return _with_warnings(data, s)


def strings(
    store: SnapshotStore, file: str, top: int | None = None, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """Duplicated strings grouped by text, by the bytes all but one copy waste, as ``heaptui strings --json``
    (a text longer than 300 characters is cut, its length given as ``length``)."""
    from ..engine.filters import duplicated_string_groups

    limit, offset = paging(limit, offset)
    top = positive("top", top)
    s = store.snapshot(file)
    groups = store.derived(("strings",), (s,), lambda: duplicated_string_groups(s))
    data: dict[str, Any] = {
        "snapshot": s.describe(),
        "wasted": sum(g.wasted for g in groups),
        "strings": groups[:top] if top is not None else groups,
    }
    page(data, "strings", limit, offset)
    data["strings"] = [_clipped(g.to_json()) for g in data["strings"]]
    return _with_warnings(data, s)


def _clipped(row: dict[str, Any]) -> dict[str, Any]:
    value = row["value"]
    if len(value) > MAX_STRING:
        row["value"] = value[:MAX_STRING] + "…"
        row["length"] = len(value)
    return row


def allocations(
    store: SnapshotStore, file: str, top: int | None = None, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """The functions that allocated the live objects, by live size, as ``heaptui allocations --json``: from an
    allocation timeline recorded with stacks (.heaptimeline) or a sampling profile (.heapprofile)."""
    limit, offset = paging(limit, offset)
    top = positive("top", top)
    reason = None
    if store.is_profile(file):
        profile = store.profile(file)
        rows: list[Any] = store.derived(("allocations",), (profile,), profile.by_function)
    else:
        from ..engine.allocation import allocation_tree

        s = store.snapshot(file)
        tree = store.derived(("allocation-tree",), (s,), lambda: allocation_tree(s))
        reason = tree.reason
        rows = store.derived(("allocations",), (s,), lambda: tree.sorted_rows(tree.tops(), "live_size"))
    data: dict[str, Any] = {"file": file, "reason": reason, "functions": rows[:top] if top is not None else rows}
    page(data, "functions", limit, offset)
    data["functions"] = [r.to_json() for r in data["functions"]]
    return data


def stats(store: SnapshotStore, file: str) -> dict[str, Any]:
    """Heap totals by category (DevTools' Statistics), as ``heaptui stats --json``."""
    return store.snapshot(file).statistics.to_json()


# Name, function: the tools every server lists (capture is added by the server only when allowed).
TOOLS: dict[str, Callable[..., dict[str, Any]]] = {
    "summary": summary,
    "diff": diff,
    "leaks": leaks,
    "object": object_,
    "retainers": retainers,
    "top": top,
    "strings": strings,
    "allocations": allocations,
    "stats": stats,
    "instances": instances,
}
