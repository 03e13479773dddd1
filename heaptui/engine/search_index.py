"""The search index of one snapshot: its edge names, each once, case-folded in one buffer, and their edge counts.

Finding the edges named by a query asks two things of the snapshot's edges:
which strings name an edge at all, and how many edges each names. Both are the
same for every query, so they are counted once, in one pass over the edges,
when the first search asks (:meth:`Snapshot.search_index`, built under its own
lock; the app builds it when the search box opens). A query then only scans
the names' case-folded bytes (``str.casefold`` of each name, UTF-8, a few bytes
per distinct name) with a compiled loop, and knows from the counts how many
edges it names in all, so the pass over the edges that lists them stops at the
last one listed.

Matching a name: it contains the query (both case-folded), or, for a query of
three letters or more, the query's letters appear in it in order within one
line (``reqlog`` finds ``requestLogs``), as ``re.search("r.*?e.*?q...")``
does: ``.`` stops at a line break. On UTF-8 bytes both tests are exact: a
character's bytes never start inside another character's.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import numpy as np

from .errors import Cancelled
from .jit import kernel
from .progress import ProgressCallback, no_progress
from .strings import StringTable

NAME_CHUNK = 1 << 18  # names per step of a query's scan: a few milliseconds
IDENTITY = np.arange(256, dtype=np.uint8)  # the names' bytes are case-folded already
ASCII_LOWER = IDENTITY.copy()
ASCII_LOWER[65:91] += 32  # A-Z to a-z; UTF-8's other bytes are above 127 and stay as they are

_named_edge_counts = kernel("search", "named_edge_counts")
_plain_ascii = kernel("search", "plain_ascii")
_gather_folded = kernel("search", "gather_folded")
_containing = kernel("search", "containing")
_in_order = kernel("search", "in_order")


def utf8(text: str) -> np.ndarray:
    """``text``'s UTF-8 bytes as an array (lone surrogates, which escaped strings can hold, kept as they are)."""
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


@dataclass(frozen=True)
class SearchIndex:
    """The strings that name an edge (sorted), each one's edge count, and their case-folded bytes."""

    name_ids: np.ndarray  # uint32: string indices, sorted
    name_edges: np.ndarray  # uint32: edges named by each
    offsets: np.ndarray  # name k's folded bytes are text[offsets[k]:offsets[k + 1]]
    text: np.ndarray  # uint8

    @property
    def nbytes(self) -> int:
        return int(self.name_ids.nbytes + self.name_edges.nbytes + self.offsets.nbytes + self.text.nbytes)

    def matching_names(self, query: str, progress: ProgressCallback | None = None) -> np.ndarray:
        """Positions (in :attr:`name_ids`) of the names matching ``query``, sorted."""
        report = progress or no_progress
        count = int(self.name_ids.shape[0])
        folded = query.casefold()
        if not folded:
            return np.arange(count, dtype=np.int64)
        needle = utf8(folded)
        letters = [utf8(ch) for ch in folded] if len(query) >= 3 else []
        found = np.zeros(count, dtype=np.bool_)
        starts, ends = self.offsets[:-1], self.offsets[1:]
        if letters and "\n" in folded:  # (no search box types one) the letters may then span lines
            self._in_order_python(folded, found, report)
            letters = []
        if letters:
            letter_starts = np.cumsum([0, *(len(b) for b in letters)], dtype=np.int64)
            joined = np.concatenate(letters)
        for lo in range(0, count, NAME_CHUNK):
            report("edge names", lo, count)
            hi = min(count, lo + NAME_CHUNK)
            _containing(self.text, starts, ends, IDENTITY, needle, lo, hi, found)
            if letters:
                _in_order(self.text, starts, ends, joined, letter_starts, lo, hi, found)
        report("edge names", count, count)
        return np.flatnonzero(found)

    def _in_order_python(self, folded: str, found: np.ndarray, report: ProgressCallback) -> None:
        # Each letter at its first place after the one before (atomic groups), as the compiled loop does: a plain
        # ".*?" between the letters tries every placement when there is none (minutes on a 1,100-letter name).
        first, rest = re.escape(folded[0]), folded[1:]
        letters = re.compile(first + "".join(f"(?>.*?{re.escape(ch)})" for ch in rest))
        for k in range(int(self.name_ids.shape[0])):
            if k % NAME_CHUNK == 0:
                report("edge names", k, int(self.name_ids.shape[0]))
            name = self.text[self.offsets[k] : self.offsets[k + 1]].tobytes().decode("utf-8", "surrogatepass")
            found[k] = letters.search(name) is not None


def _folded_text(table: StringTable, index: int) -> bytes:
    """String ``index`` as :meth:`StringTable.__getitem__` decodes it, case-folded, in UTF-8 (not kept in its
    cache: a snapshot can have millions of names)."""
    return table._decode(index).casefold().encode("utf-8", "surrogatepass")


def _keep_going(report: ProgressCallback) -> ProgressCallback:
    """``report``, except that a cancel does not stop the build: the next keystroke's search needs it too."""

    def progress(phase: str, done: int, total: int) -> None:
        with contextlib.suppress(Cancelled):
            report(phase, done, total)

    return progress


def build_search_index(
    edge_type: np.ndarray,
    edge_name: np.ndarray,
    numbered_edge: np.ndarray,
    table: StringTable,
    progress: ProgressCallback | None = None,
) -> SearchIndex:
    """The index of a snapshot's edge names (see the module's docstring); cancelling ``progress`` does not stop
    it. ``numbered_edge``: per edge type, whether its edges carry an index rather than a name."""
    report = _keep_going(progress or no_progress)
    report("edge names", 0, 3)
    counts = _named_edge_counts(edge_type, edge_name, numbered_edge, table.file_count)
    name_ids = np.flatnonzero(counts).astype(np.uint32)
    name_edges = counts[name_ids]
    del counts
    report("edge names", 1, 3)
    plain = _plain_ascii(table.blob, table.starts, table.ends, table.escaped, name_ids)
    sizes = (table.ends[name_ids].astype(np.int64) - table.starts[name_ids]).astype(np.int64)
    other_ids = name_ids[~plain].tolist()
    others = [_folded_text(table, i) for i in other_ids]
    sizes[~plain] = [len(b) for b in others]
    offsets = np.zeros(name_ids.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    if offsets[-1] < 1 << 32:
        offsets = offsets.astype(np.uint32)
    report("edge names", 2, 3)
    text = np.empty(int(offsets[-1]), dtype=np.uint8)
    other_offsets = np.cumsum([0, *(len(b) for b in others)], dtype=np.int64)
    other_bytes = np.frombuffer(b"".join(others), dtype=np.uint8)
    _gather_folded(
        text, offsets, table.blob, table.starts, table.ends, name_ids, plain, ASCII_LOWER, other_bytes, other_offsets
    )
    report("edge names", 3, 3)
    return SearchIndex(name_ids, name_edges, offsets, text)


__all__ = ["ASCII_LOWER", "SearchIndex", "build_search_index", "utf8"]
