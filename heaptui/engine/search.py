"""Finding objects by the words in a snapshot: property and edge names, string values, ``@id``.

DevTools' Ctrl+F in a heap snapshot finds objects by name; a leak hunt also
needs "which object sits behind ``requestLogs``" and "where is this URL held".
Both are answered from the string table first (a snapshot has far fewer
distinct strings than nodes or edges): the strings that match are found with
one case-insensitive scan of the table's bytes, then the edges whose name is
one of them (the object each points to is a hit, named by the edge), and the
string objects whose value is one of them. Everything is plain numpy, in
chunks with ``progress`` between them, so a front end can show it and cancel it.

Matching: a string value matches when it contains the query (case-insensitive,
ASCII case folding over the stored bytes: a string the file stores with JSON
escapes matches only where its stored bytes do). An edge name matches when it
contains the query, or, for a query of three letters or more, when the query's
letters appear in it in order (``reqlog`` finds ``requestLogs``), as fuzzy
class filters do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .progress import PROGRESS_CHUNK, ProgressCallback, no_progress
from .snapshot import Snapshot

SCAN_CHUNK = 1 << 24  # bytes of the string table per step: a few milliseconds of numpy and re
MAX_HITS = 1000  # hits listed at most (the count says how many there were)

EDGE, STRING, ID = "edge", "string", "id"


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


def _folded(blob: np.ndarray) -> np.ndarray:
    """ASCII lower case of a byte array (UTF-8 continuation bytes are above 127 and stay as they are)."""
    upper = (blob >= 65) & (blob <= 90)
    return np.where(upper, blob + 32, blob).astype(np.uint8)


def matching_strings(s: Snapshot, query: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """Indices of the file's strings that contain ``query`` (ASCII case-insensitive), sorted."""
    report = progress or no_progress
    needle = query.lower().encode("utf-8")
    table = s.strings
    count = table.file_count
    if not needle or count == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.asarray(table.starts, dtype=np.int64)
    ends = np.asarray(table.ends, dtype=np.int64)
    blob = table.blob
    size = int(blob.shape[0])
    pattern = re.compile(re.escape(needle))
    found: list[np.ndarray] = []
    overlap = len(needle) - 1
    for begin in range(0, max(size, 1), SCAN_CHUNK):
        report("matching strings", begin, size)
        stop = min(size, begin + SCAN_CHUNK + overlap)
        chunk = _folded(blob[begin:stop]).tobytes()
        at = np.fromiter((m.start() for m in pattern.finditer(chunk)), dtype=np.int64) + begin
        at = at[at < begin + SCAN_CHUNK]  # a match in the overlap belongs to the next chunk
        if at.shape[0]:
            index = np.searchsorted(starts, at, side="right") - 1
            inside = (index >= 0) & (at + len(needle) <= ends[np.maximum(index, 0)])
            found.append(index[inside])
    report("matching strings", size, size)
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


def _in_order(query: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(ch) for ch in query.casefold()))


def matching_edge_names(s: Snapshot, query: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """Indices of the strings that name an edge and contain ``query`` or, three letters or more, have its
    letters in order (``reqlog``: ``requestLogs``), sorted."""
    report = progress or no_progress
    named = np.zeros(len(s.strings), dtype=np.bool_)
    total = int(s.edge_type.shape[0])
    for begin in range(0, max(total, 1), PROGRESS_CHUNK):
        report("edge names", begin, total)
        types = s.edge_type[begin : begin + PROGRESS_CHUNK]
        names = s.edge_name[begin : begin + PROGRESS_CHUNK]
        named[names[~s.numbered_edge[types]]] = True
    report("edge names", total, total)
    folded = query.casefold()
    letters = _in_order(query) if len(query) >= 3 else None
    keep = []
    for index in np.flatnonzero(named).tolist():
        name = s.strings[index].casefold()
        if folded in name or (letters is not None and letters.search(name)):
            keep.append(index)
    return np.asarray(keep, dtype=np.int64)


def _wanted(s: Snapshot, indices: np.ndarray) -> np.ndarray:
    wanted = np.zeros(len(s.strings), dtype=np.bool_)
    wanted[indices] = True
    return wanted


def edges_named(s: Snapshot, names: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
    """The edges (not element or hidden ones, whose names are numbers) named by one of the string ``names``."""
    report = progress or no_progress
    wanted = _wanted(s, names)
    total = int(s.edge_type.shape[0])
    parts = []
    for begin in range(0, max(total, 1), PROGRESS_CHUNK):
        report("edges", begin, total)
        types = s.edge_type[begin : begin + PROGRESS_CHUNK]
        names_here = s.edge_name[begin : begin + PROGRESS_CHUNK]
        named = ~s.numbered_edge[types]
        hit = named & wanted[np.where(named, names_here, 0)]  # element and hidden edges hold a number
        parts.append(np.flatnonzero(hit) + begin)
    report("edges", total, total)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def strings_valued(s: Snapshot, values: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
    """The string objects (plain, concatenated, sliced) whose value is one of the strings ``values``."""
    report = progress or no_progress
    wanted = _wanted(s, values)
    kinds = [t for t in (s.types.string, s.types.cons_string, s.types.sliced_string) if t >= 0]
    total = s.node_count
    parts = []
    for begin in range(0, max(total, 1), PROGRESS_CHUNK):
        report("string objects", begin, total)
        types = s.node_type[begin : begin + PROGRESS_CHUNK]
        hit = np.isin(types, kinds) & wanted[s.node_name[begin : begin + PROGRESS_CHUNK]]
        parts.append(np.flatnonzero(hit) + begin)
    report("string objects", total, total)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


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
    edges = edges_named(s, matching_edge_names(s, query, report), report)
    values = strings_valued(s, matching_strings(s, query, report), report)
    folded = query.casefold()
    edge_hits = []
    for e in edges[: MAX_HITS * 4].tolist():
        name = s.strings[int(s.edge_name[e])]
        edge_hits.append(Hit(int(s.edge_to[e]), EDGE, name, s.edge_source(e), e))
    edge_hits.sort(key=lambda h: (h.text.casefold() != folded, folded not in h.text.casefold()))
    string_hits = [Hit(v, STRING, s.strings[int(s.node_name[v])]) for v in values[:MAX_HITS].tolist()]
    hits = (edge_hits + string_hits)[:MAX_HITS]
    return Found(query, tuple(hits), int(edges.shape[0] + values.shape[0]))


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
