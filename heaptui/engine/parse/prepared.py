"""The nodes' and edges' columns of an uncompressed file, allocated and faulted in before the parse needs them.

The first write to a fresh page makes the kernel zero it, and this virtual
machine does that slowly: ``perf`` showed the two threads that scan a 146 MB
file's nodes and edges spending half their time in ``clear_page_erms``, on
the pages of the columns they write (97 MB). A large load starts numba first
(a third of a second of one core, before any byte can be scanned), and
meanwhile the other core is idle. :class:`PreparedColumns` uses it: a thread
reads the header, allocates the columns the parse will write and touches one
byte of every page, so the scanners then write into memory that is already
there. numpy releases the GIL for that strided write, so numba's start-up
goes on at full speed beside it.

This only moves work that the parse does anyway to a moment the machine has
a core free: the same arrays, of the same sizes, written in full by the scan
(which checks the header's counts as ever). The parse takes them only if the
header it reads itself is the same; on anything unexpected (an unreadable
file, a header that does not parse, counts the file cannot hold) the thread
prepares nothing and the parse allocates its own, and says what is wrong.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ..format import Meta
from .document import check_counts_fit, read_header
from .files import is_compressed
from .sections import edge_columns, node_columns

PAGE = 4096


def fault_in(array: np.ndarray) -> None:
    """Write one byte of every page of a fresh (contiguous) array, so later writes meet no page faults."""
    array.reshape(-1).view(np.uint8)[::PAGE] = 0


class PreparedColumns:
    """The columns of one file's nodes and edges, made on a thread started at construction.

    :meth:`nodes` and :meth:`edges` hand them over (once each) when the header
    the parse read is the one they were made for, and None otherwise.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._meta: Meta | None = None
        self._nodes: tuple[dict[str, np.ndarray], dict[str, int], np.ndarray] | None = None
        self._edges: tuple[dict[str, np.ndarray], dict[str, int]] | None = None
        self._thread = threading.Thread(target=self._prepare, name="heaptui-columns", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        try:
            if is_compressed(self.path):
                return  # read in line, and gunzipping is slower than faulting pages in: nothing to gain
            meta = read_header(self.path)
            # Counts the file cannot hold get no memory here: the parse refuses them.
            check_counts_fit(meta, os.path.getsize(self.path), self.path, plain=True)
            nodes = node_columns(meta)
            columns, _, first_edge = nodes
            fault_in(first_edge)
            for name, column in columns.items():
                if name != "edge_count":  # a view of first_edge
                    fault_in(column)
            self._meta, self._nodes = meta, nodes
            edges = edge_columns(meta)
            for column in edges[0].values():
                fault_in(column)
            self._edges = edges
        except Exception:  # only a speed-up: the parse finds and says what is wrong
            pass

    def _ready_for(self, meta: Meta) -> bool:
        self._thread.join()
        return self._meta is not None and self._meta == meta

    def nodes(self, meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int], np.ndarray] | None:
        """:func:`~.sections.node_columns` of ``meta``, faulted in, or None."""
        if not self._ready_for(meta):
            return None
        nodes, self._nodes = self._nodes, None
        return nodes

    def edges(self, meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int]] | None:
        """:func:`~.sections.edge_columns` of ``meta``, faulted in, or None."""
        if not self._ready_for(meta):
            return None
        edges, self._edges = self._edges, None
        return edges

    def drop(self) -> None:
        """Let go of what was not handed over (after the thread ends), so that it is freed with the parse."""
        self._thread.join()
        self._nodes = self._edges = None
