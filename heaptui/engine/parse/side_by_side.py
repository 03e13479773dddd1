"""The nodes and edges of an uncompressed file, scanned on threads of their own beside the rest of the parse.

Together they are nearly all of a snapshot's text (a 1 GB file: 354 MB of
nodes, 615 MB of edges), and each is one JSON array of integers that ends at its
first ``]``. So when the top-level reader meets one, it hands the array's
start to a thread that reads the file from there (``pread`` into a buffer of
its own) through the same compiled scanner the in-line read uses, finds the
``]`` itself with a fast byte search, and goes on after it: to the edges,
which get a thread too, then to the strings, read in line meanwhile. Two
cores work on the three at once.

This path is an optimisation only. Anything it does not expect (a scan error,
a file that ends early, a section twice, counts that disagree) makes it decline
(:class:`Declined`), and the in-line reader then reads the file from the start
and says what is wrong, exactly as it would have.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import scan
from ..errors import SnapshotError
from ..format import Meta
from . import limits
from .reader import Reader
from .sections import check_count, check_node_count, column_scanner, edge_columns, finish_nodes, node_columns

_CLOSE = b"]"


class Declined(Exception):
    """The side-by-side read met something it leaves to the in-line reader (which then reads the file again)."""


class _SectionThread:
    """One array scanned from ``start`` to its closing bracket on a thread of its own."""

    def __init__(
        self,
        fd: int,
        what: str,
        start: int,
        step: Callable[[np.ndarray, int, int, np.ndarray], int],
        finish: Callable[[np.ndarray], dict[str, Any]],
        stop: threading.Event,
    ) -> None:
        self.fd, self.what, self.start = fd, what, start
        self.step, self.finish, self.stop = step, finish, stop
        self.state = scan.new_state()
        self.done = 0  # bytes scanned, for progress
        self.end = -1  # offset just after the closing bracket the scan stopped at
        self.close = -1  # offset of the first "]" after start, as the reading thread found it
        self.columns: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"heaptui-parse-{what}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            buf = np.empty(limits.CHUNK_SIZE, dtype=np.uint8)
            view = memoryview(buf)
            offset = self.start
            state = self.state
            while not self.stop.is_set():
                n = os.preadv(self.fd, [view], offset)
                if n == 0:
                    return  # the file ends inside the array: declined
                i = int(self.step(buf, 0, n, state))
                self.done += i
                if state[scan.ST_ERROR]:
                    return
                if state[scan.ST_DONE]:
                    self.end = offset + i
                    self.columns = self.finish(state)
                    return
                offset += n
        except BaseException as error:  # handed to the reading thread
            self.error = error


class SideBySide:
    """The side-by-side scans of one read: started by the top-level reader, collected at its end."""

    def __init__(self, fd: int, path: object) -> None:
        self.fd = fd
        self.path = path
        self.stop = threading.Event()
        self.threads: dict[str, _SectionThread] = {}
        self._search = bytearray(limits.CHUNK_SIZE)

    def progress(self) -> int:
        """Bytes the threads have scanned so far."""
        return sum(t.done for t in self.threads.values())

    def _close_after(self, start: int) -> int:
        """The offset of the first ``]`` at or after ``start`` (an array of integers ends there), or decline."""
        view = memoryview(self._search)
        offset = start
        while True:
            n = os.preadv(self.fd, [view], offset)
            if n == 0:
                raise Declined()
            found = self._search.find(_CLOSE, 0, n)
            if found >= 0:
                return offset + found
            offset += n

    def _start(
        self,
        reader: Reader,
        what: str,
        step: Callable[[np.ndarray, int, int, np.ndarray], int],
        finish: Callable[[np.ndarray], dict[str, Any]],
    ) -> None:
        if what in self.threads:
            raise Declined()  # a section twice: the in-line reader keeps the last, as JSON does
        reader.expect("[", f"where the {what} array should start")
        start = reader.offset()
        section = self.threads[what] = _SectionThread(self.fd, what, start, step, finish, self.stop)
        section.close = self._close_after(start)
        reader.seek(section.close + 1)

    def nodes(self, reader: Reader, meta: Meta) -> None:
        """Start the nodes' scan and move ``reader`` past the array."""
        columns, offsets, first_edge = node_columns(meta)
        count, fields = meta.node_count, meta.node_field_count
        step = column_scanner("nodes", count, fields, fields, offsets, columns)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "nodes", count, fields, state)
            return finish_nodes(self.path, meta, columns, first_edge)

        self._start(reader, "nodes", step, finish)

    def edges(self, reader: Reader, meta: Meta) -> None:
        """Start the edges' scan and move ``reader`` past the array."""
        check_node_count(self.path, meta)
        columns, offsets = edge_columns(meta)
        count, fields = meta.edge_count, meta.edge_field_count
        step = column_scanner("edges", count, fields, meta.node_field_count, offsets, columns)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "edges", count, fields, state)
            return {"edge_type": columns["type"], "edge_name": columns["name"], "edge_to": columns["to_node"]}

        self._start(reader, "edges", step, finish)

    def has(self, what: str) -> bool:
        return what in self.threads

    def collect(self, tick: Callable[[], None]) -> dict[str, Any]:
        """Wait for the scans (calling ``tick``, which may cancel, meanwhile); their columns, or decline."""
        columns: dict[str, Any] = {}
        for section in self.threads.values():
            while section.thread.is_alive():
                tick()
                section.thread.join(0.05)
            if isinstance(section.error, SnapshotError) or section.columns is None:
                raise Declined()
            if section.error is not None:
                raise section.error
            if section.end != section.close + 1:
                raise Declined()
            columns.update(section.columns)
        return columns

    def close(self) -> None:
        """Stop the scans (after an error or a cancel) and wait for them to let go of the file."""
        self.stop.set()
        for section in self.threads.values():
            section.thread.join()
