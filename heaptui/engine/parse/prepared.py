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
a core free (on a machine whose cores are all busy it saves nothing, and
costs nothing): the same arrays, of the same sizes, written in full by the
scan (which checks the header's counts as ever). The parse takes them only if
the header it reads itself is the same, and never waits for the faulting: it
takes the columns at the next 4 MB step, and what is not faulted in by then
the scan faults in as before (the 1 GB file's 700 MB may take longer than
numba's start-up). On anything unexpected (an unreadable file, a header that
does not parse, counts the file cannot hold) the thread prepares nothing and
the parse allocates its own, and says what is wrong.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from ..format import Meta
from ..memory import headroom, needed_for
from .document import check_counts_fit, read_header
from .files import is_compressed
from .sections import edge_columns, node_columns

PAGE = 4096
# Pages are faulted in this many bytes at a time, between which the parse may take the columns over.
STEP = 4 << 20

Nodes = tuple[dict[str, np.ndarray], dict[str, int], np.ndarray]
Edges = tuple[dict[str, np.ndarray], dict[str, int]]


def fault_in(array: np.ndarray, wanted: threading.Event | None = None) -> bool:
    """Write one byte of every page of a fresh (contiguous) array, so later writes meet no page faults.

    Stops early once ``wanted`` is set; whether it went through the whole array.
    """
    data = array.reshape(-1).view(np.uint8)
    for start in range(0, data.shape[0], STEP):
        if wanted is not None and wanted.is_set():
            return False
        data[start : start + STEP : PAGE] = 0
    return True


class _Section:
    """The columns of one array, and what keeps the faulting thread and the parse from writing them together."""

    def __init__(self) -> None:
        self.columns: Any = None  # Nodes or Edges, or None
        self.wanted = threading.Event()  # the parse asks for the columns: stop faulting them in
        self.lock = threading.Lock()  # held while pages of the columns are written here

    def fault_in(self, arrays: list[np.ndarray]) -> None:
        with self.lock:
            for array in arrays:
                if not fault_in(array, self.wanted):
                    return

    def take(self) -> Any:
        self.wanted.set()
        with self.lock:  # the faulting thread has let go of them (the scan may write them now)
            columns, self.columns = self.columns, None
        return columns


class PreparedColumns:
    """The columns of one file's nodes and edges, made on a thread started at construction.

    :meth:`nodes` and :meth:`edges` hand them over (once each) when the header
    the parse read is the one they were made for, and None otherwise. The
    parse waits only for the header to be read and the columns allocated
    (milliseconds): pages not yet faulted in when it takes the columns are
    left to the scan, as without this.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._meta: Meta | None = None
        self._nodes = _Section()
        self._edges = _Section()
        self._allocated = threading.Event()  # set when the columns exist, or when there will be none
        self._thread = threading.Thread(target=self._prepare, name="heaptui-columns", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        try:
            self._allocate()
        except Exception:  # only a speed-up: the parse finds and says what is wrong
            self._meta = self._nodes.columns = self._edges.columns = None
        finally:
            self._allocated.set()
        nodes, edges = self._nodes.columns, self._edges.columns
        if nodes is not None and edges is not None:
            columns, _, first_edge = nodes
            # edge_count is a view of first_edge
            self._nodes.fault_in([first_edge, *(c for name, c in columns.items() if name != "edge_count")])
            self._edges.fault_in(list(edges[0].values()))

    def _allocate(self) -> None:
        if is_compressed(self.path):
            return  # read in line, and gunzipping is slower than faulting pages in: nothing to gain
        meta = read_header(self.path)
        # Counts the file cannot hold get no memory here: the parse refuses them.
        check_counts_fit(meta, os.path.getsize(self.path), self.path, plain=True)
        # Nor does a load that will not fit: the parse refuses it in one line, and pages faulted in here
        # before that could bring the kernel's OOM killer first.
        room = headroom()
        if room is not None and needed_for(meta.node_count, meta.edge_count) > room.bytes * 9 // 10:
            return
        self._nodes.columns = node_columns(meta)
        self._edges.columns = edge_columns(meta)
        self._meta = meta

    def _ready_for(self, meta: Meta) -> bool:
        self._allocated.wait()
        return self._meta is not None and self._meta == meta

    def nodes(self, meta: Meta) -> Nodes | None:
        """:func:`~.sections.node_columns` of ``meta``, faulted in as far as the time allowed, or None."""
        nodes: Nodes | None = self._nodes.take() if self._ready_for(meta) else None
        return nodes

    def edges(self, meta: Meta) -> Edges | None:
        """:func:`~.sections.edge_columns` of ``meta``, faulted in as far as the time allowed, or None."""
        edges: Edges | None = self._edges.take() if self._ready_for(meta) else None
        return edges

    def drop(self) -> None:
        """Let go of what was not handed over, so that it is freed with the parse (stopping the faulting)."""
        self._allocated.wait()
        self._nodes.take()
        self._edges.take()
