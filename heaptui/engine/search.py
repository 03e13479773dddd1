"""Finding objects by the words in a snapshot: property and edge names, string values, ``@id``.

DevTools' Ctrl+F in a heap snapshot finds objects by name; a leak hunt also
needs "which object sits behind ``requestLogs``" and "where is this URL held".
Both are answered from strings first (a snapshot has far fewer distinct strings
than nodes or edges): the edge names that match, from the snapshot's search
index (:mod:`.search_index`: each name once, case-folded, with its edge count),
then the edges they name (the object each points to is a hit, named by the
edge); the string values that match, with one case-insensitive scan of the
string table's bytes in place, then the string objects holding them. Each step
is a compiled loop run in chunks with ``progress`` between them, so a front end
can show it and cancel it; the edges are listed up to ``MAX_HITS * 4`` (the
index's counts give the total), so their pass stops at the last one listed. On
a 1 GB snapshot (40M edges) a query takes 0.1-0.2 s, the first one 0.3-0.5 s
more to build the index.

Matching: a string value matches when it contains the query (case-insensitive,
ASCII case folding over the stored bytes: a string the file stores with JSON
escapes matches only where its stored bytes do). An edge name matches when it
contains the query, or, for a query of three letters or more, when the query's
letters appear in it in order (``reqlog`` finds ``requestLogs``), as fuzzy
class filters do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import edge_source
from .jit import kernel
from .progress import PROGRESS_CHUNK, ProgressCallback, no_progress
from .search_index import ASCII_LOWER
from .snapshot import Snapshot

STRING_CHUNK = 1 << 20  # strings per step of the scan of their bytes: a few milliseconds
MAX_HITS = 1000  # hits listed at most (the count says how many there were)

EDGE, STRING, ID = "edge", "string", "id"

_containing = kernel("search", "containing")
_edges_named = kernel("search", "edges_named")
_nodes_valued = kernel("search", "nodes_valued")


@dataclass(frozen=True)
class Hit:
    """One object found: how (by an edge's name, its string value, its @id) and the text that matched."""

    node: int
    how: str
    text: str
    holder: int = -1  # for an edge hit: the object the edge comes from
    edge: int = -1


@dataclass(frozen=True)
class Found:
    """The hits listed (at most ``MAX_HITS``, exact names first) and how many there were in all."""

    query: str
    hits: tuple[Hit, ...]
    total: int


def matching_strings(s: Snapshot, query: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """Indices of the file's strings that contain ``query`` (ASCII case-insensitive), sorted."""
    report = progress or no_progress
    needle = query.lower().encode("utf-8", "surrogatepass")
    table = s.strings
    count = table.file_count
    if not needle or count == 0:
        return np.zeros(0, dtype=np.int64)
    found = np.zeros(count, dtype=np.bool_)
    pattern = np.frombuffer(needle, dtype=np.uint8)
    for lo in range(0, count, STRING_CHUNK):
        report("matching strings", lo, count)
        _containing(
            table.blob, table.starts, table.ends, ASCII_LOWER, pattern, lo, min(count, lo + STRING_CHUNK), found
        )
    report("matching strings", count, count)
    return np.flatnonzero(found)


def matching_edge_names(s: Snapshot, query: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """Indices of the strings that name an edge and contain ``query`` or, three letters or more, have its
    letters in order (``reqlog``: ``requestLogs``), sorted."""
    index = s.search_index(progress)
    return index.name_ids[index.matching_names(query, progress)].astype(np.int64)


def _wanted(s: Snapshot, indices: np.ndarray) -> np.ndarray:
    wanted = np.zeros(len(s.strings), dtype=np.bool_)
    wanted[indices] = True
    return wanted


def _first_edges(s: Snapshot, wanted: np.ndarray, limit: int, report: ProgressCallback) -> np.ndarray:
    """The first ``limit`` edges (in file order) named by a ``wanted`` string: the pass stops at the last one."""
    found = np.empty(limit, dtype=np.int64)
    filled = 0
    total = s.edge_count
    for lo in range(0, max(total, 1), PROGRESS_CHUNK):
        report("edges", lo, total)
        if filled == limit:
            break
        hi = min(total, lo + PROGRESS_CHUNK)
        filled = int(_edges_named(s.edge_type, s.edge_name, s.numbered_edge, wanted, lo, hi, found, filled))
    report("edges", total, total)
    return found[:filled]


def edges_named(s: Snapshot, names: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
    """The edges (not element or hidden ones, whose names are numbers) named by one of the string ``names``."""
    index = s.search_index(progress)
    names = np.unique(np.asarray(names, dtype=np.int64))
    at = np.minimum(np.searchsorted(index.name_ids, names), max(index.name_ids.shape[0] - 1, 0))
    named = index.name_ids.shape[0] > 0 and index.name_ids[at] == names
    total = int(index.name_edges[at[named]].sum(dtype=np.int64)) if index.name_ids.shape[0] else 0
    return _first_edges(s, _wanted(s, names), total, progress or no_progress)


def _string_objects(s: Snapshot, wanted: np.ndarray, limit: int, report: ProgressCallback) -> tuple[np.ndarray, int]:
    """The first ``limit`` string objects whose value is ``wanted``, and how many there are."""
    kinds = np.zeros(256, dtype=np.bool_)  # per node type code (a uint8)
    kinds[[t for t in (s.types.string, s.types.cons_string, s.types.sliced_string) if t >= 0]] = True
    found = np.empty(limit, dtype=np.int64)
    filled = count = 0
    total = s.node_count
    for lo in range(0, max(total, 1), PROGRESS_CHUNK):
        report("string objects", lo, total)
        hi = min(total, lo + PROGRESS_CHUNK)
        filled, more = _nodes_valued(s.node_type, s.node_name, kinds, wanted, lo, hi, found, filled)
        count += int(more)
    report("string objects", total, total)
    return found[: int(filled)], count


def strings_valued(s: Snapshot, values: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
    """The string objects (plain, concatenated, sliced) whose value is one of the strings ``values``."""
    report = progress or no_progress
    wanted = _wanted(s, values)
    _, count = _string_objects(s, wanted, 0, report)
    return _string_objects(s, wanted, count, report)[0]


def search(s: Snapshot, query: str, progress: ProgressCallback | None = None) -> Found:
    """Objects for ``query``: ``@id`` finds that object; other text finds the objects behind edges whose name
    matches, then string objects whose value contains it. Exact (case-insensitive) names come first."""
    query = query.strip()
    if not query:
        return Found(query, (), 0)
    if query.startswith("@") and query[1:].isdigit():
        node = s.node_for_id(int(query[1:]))
        found_by_id = () if node is None else (Hit(node, ID, query),)
        return Found(query, found_by_id, len(found_by_id))
    report = progress or no_progress
    index = s.search_index(report)
    names = index.matching_names(query, report)
    edge_total = int(index.name_edges[names].sum(dtype=np.int64))
    edges = _first_edges(s, _wanted(s, index.name_ids[names]), min(edge_total, MAX_HITS * 4), report)
    values, value_total = _string_objects(s, _wanted(s, matching_strings(s, query, report)), MAX_HITS, report)
    folded = query.casefold()
    holders = np.asarray(edge_source(s.first_edge, edges)).tolist()
    edge_hits = []
    for e, holder in zip(edges.tolist(), holders):
        name = s.strings[int(s.edge_name[e])]
        edge_hits.append(Hit(int(s.edge_to[e]), EDGE, name, int(holder), e))
    edge_hits.sort(key=lambda h: (h.text.casefold() != folded, folded not in h.text.casefold()))
    string_hits = [Hit(v, STRING, s.strings[int(s.node_name[v])]) for v in values.tolist()]
    hits = (edge_hits + string_hits)[:MAX_HITS]
    return Found(query, tuple(hits), edge_total + value_total)


__all__ = [
    "EDGE",
    "ID",
    "MAX_HITS",
    "STRING",
    "Found",
    "Hit",
    "edges_named",
    "matching_edge_names",
    "matching_strings",
    "search",
    "strings_valued",
]
