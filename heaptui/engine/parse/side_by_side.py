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
from typing import Any, Protocol

import numpy as np

from .. import scan
from ..errors import SnapshotError
from ..format import Meta
from . import limits
from .reader import Reader
from .sections import check_count, check_node_count, column_scanner, edge_columns, finish_nodes, node_columns

_CLOSE = b"]"
Step = Callable[[np.ndarray, int, int, np.ndarray], int]


class MadeColumns(Protocol):
    """Columns made before the parse (:class:`~.prepared.PreparedColumns`), each handed over once, or None."""

    def nodes(self, meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int], np.ndarray] | None: ...

    def edges(self, meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int]] | None: ...

    def drop(self) -> None: ...


class Declined(Exception):
    """The side-by-side read met something it leaves to the in-line reader (which then reads the file again)."""


class _Piece:
    """A stretch of one array scanned on a thread of its own, from ``start`` to its closing bracket or to a bound.

    The bound is set while it runs (:meth:`cut_at`), when another piece takes the rest of the array.
    """

    def __init__(
        self, fd: int, what: str, start: int, step: Step, stop: threading.Event, first_number: int = 0
    ) -> None:
        self.fd, self.what, self.start, self.step, self.stop = fd, what, start, step, stop
        self.first_number = first_number  # how many numbers of the array come before start
        self.state = scan.new_state()
        self.state[scan.ST_POS] = first_number
        self.done = 0  # bytes scanned, for progress
        self.end = -1  # offset just after the closing bracket the scan stopped at
        self.stopped_at = -1  # offset of the bound the scan stopped at
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._bound: int | None = None
        self._claimed = start  # the chunk being scanned starts here
        self.thread = threading.Thread(target=self._run, name=f"heaptui-parse-{what}", daemon=True)
        self.thread.start()

    def cut_at(self, offset: int) -> bool:
        """Stop at ``offset`` instead of the closing bracket, unless the scan may already be past it."""
        with self._lock:
            if self._claimed + limits.PIECE_CHUNK > offset:
                return False
            self._bound = offset
            return True

    def _run(self) -> None:
        try:
            buf = np.empty(limits.PIECE_CHUNK, dtype=np.uint8)
            view = memoryview(buf.data)
            offset = self.start
            state = self.state
            while not self.stop.is_set():
                with self._lock:
                    bound = self._bound
                    if bound is not None and offset >= bound:
                        self.stopped_at = offset
                        return
                    self._claimed = offset
                n = os.preadv(self.fd, [view], offset)
                if bound is not None:
                    n = min(n, bound - offset)
                if n <= 0:
                    return  # the file ends inside the array: declined
                i = int(self.step(buf, 0, n, state))
                self.done += i
                if state[scan.ST_ERROR]:
                    return
                if state[scan.ST_DONE]:
                    self.end = offset + i
                    return
                offset += n
        except BaseException as error:  # handed to the reading thread
            self.error = error


def _finished(state: np.ndarray) -> dict[str, Any]:
    raise AssertionError("a section's columns are made once")


class _Section:
    """One array: its pieces, in order, and what makes its columns once they are all scanned."""

    def __init__(self, close: int, pieces: list[_Piece], finish: Callable[[np.ndarray], dict[str, Any]]) -> None:
        self.close, self.pieces, self.finish = close, pieces, finish

    def wait(self, tick: Callable[[], None]) -> None:
        for piece in self.pieces:
            while piece.thread.is_alive():
                tick()
                piece.thread.join(0.05)

    def columns(self) -> dict[str, Any]:
        """The columns, or decline: each piece must end where the next begins, the last at the closing bracket."""
        for piece, following in zip(self.pieces, self.pieces[1:]):
            state = piece.state
            if (
                piece.error is not None
                or state[scan.ST_ERROR]
                or state[scan.ST_DONE]
                or state[scan.ST_IN_NUMBER]
                or piece.stopped_at != following.start
                or state[scan.ST_POS] != following.first_number
            ):
                raise Declined()
        last = self.pieces[-1]
        if last.error is not None and not isinstance(last.error, SnapshotError):
            raise last.error
        if last.error is not None or last.end != self.close + 1:
            raise Declined()
        # The closure holds the columns (and the reader, which holds this): let go of it, or the columns the
        # finish drops (an all-zero trace or detachedness column: 70 MB on a 1 GB file) wait for a collection.
        finish, self.finish = self.finish, _finished
        return finish(last.state)


class SideBySide:
    """The side-by-side scans of one read: started by the top-level reader, collected at its end."""

    def __init__(self, fd: int, path: object, prepared: MadeColumns | None = None) -> None:
        self.fd = fd
        self.path = path
        self.prepared = prepared  # columns made (and faulted in) before the parse, if any
        self.stop = threading.Event()
        self.sections: dict[str, _Section] = {}
        self._search = bytearray(limits.PIECE_CHUNK)
        self._bytes = np.frombuffer(self._search, dtype=np.uint8)

    def progress(self) -> int:
        """Bytes the threads have scanned so far."""
        return sum(piece.done for section in self.sections.values() for piece in section.pieces)

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

    def _after_comma(self, offset: int, close: int) -> int:
        """Just after the first comma at or after ``offset`` (before ``close``), or decline."""
        n = os.preadv(self.fd, [memoryview(self._search)[:4096]], offset)
        found = self._search.find(b",", 0, min(n, close - offset))
        if found < 0:
            raise Declined()
        return offset + found + 1

    def _commas(self, start: int, end: int) -> int:
        """How many commas there are in ``[start, end)`` (the numbers before ``end``, in a well-formed array)."""
        view = memoryview(self._search)
        count = 0
        offset = start
        while offset < end:
            n = min(os.preadv(self.fd, [view], offset), end - offset)
            if n <= 0:
                raise Declined()
            count += int(scan.count_byte(self._bytes, 0, n, 44))
            offset += n
        return count

    def _start(
        self, reader: Reader, what: str, numbers: int, step: Step, finish: Callable[[np.ndarray], dict[str, Any]]
    ) -> None:
        if what in self.sections:
            raise Declined()  # a section twice: the in-line reader keeps the last, as JSON does
        reader.expect("[", f"where the {what} array should start")
        start = reader.offset()
        pieces = [_Piece(self.fd, what, start, step, self.stop)]
        self.sections[what] = section = _Section(-1, pieces, finish)
        # The header's count of numbers takes at least a digit and a comma each: the search for the closing bracket
        # starts past that (about half of the array). An array shorter than its count (a ] before) is caught anyway:
        # the scan stops at that bracket, not at this one, and the read is declined.
        section.close = self._close_after(start + max(2 * numbers - 1, 0))
        if section.close - start > limits.SPLIT_ABOVE:
            # The second half on a thread of its own, told how many numbers come before it.
            split = self._after_comma(start + (section.close - start) // 2, section.close)
            before = self._commas(start, split)
            if pieces[0].cut_at(split):
                pieces.append(_Piece(self.fd, what, split, step, self.stop, before))
        reader.seek(section.close + 1)

    def nodes(self, reader: Reader, meta: Meta) -> None:
        """Start the nodes' scan and move ``reader`` past the array."""
        prepared = self.prepared.nodes(meta) if self.prepared is not None else None
        columns, offsets, first_edge = prepared or node_columns(meta)
        count, fields = meta.node_count, meta.node_field_count
        step = column_scanner("nodes", count, fields, fields, offsets, columns)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "nodes", count, fields, state)
            return finish_nodes(self.path, meta, columns, first_edge)

        self._start(reader, "nodes", count * fields, step, finish)

    def edges(self, reader: Reader, meta: Meta) -> None:
        """Start the edges' scan and move ``reader`` past the array."""
        check_node_count(self.path, meta)
        prepared = self.prepared.edges(meta) if self.prepared is not None else None
        columns, offsets = prepared or edge_columns(meta)
        count, fields = meta.edge_count, meta.edge_field_count
        step = column_scanner("edges", count, fields, meta.node_field_count, offsets, columns)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "edges", count, fields, state)
            return {"edge_type": columns["type"], "edge_name": columns["name"], "edge_to": columns["to_node"]}

        self._start(reader, "edges", count * fields, step, finish)

    def has(self, what: str) -> bool:
        return what in self.sections

    def collect(self, tick: Callable[[], None]) -> dict[str, Any]:
        """Wait for the scans (calling ``tick``, which may cancel, meanwhile); their columns, or decline.

        Each section's columns are made as soon as it is scanned: the nodes' offsets while the edges go on.
        """
        columns: dict[str, Any] = {}
        for section in sorted(self.sections.values(), key=lambda section: section.close):
            section.wait(tick)
            columns.update(section.columns())
        return columns

    def close(self) -> None:
        """Stop the scans (after an error or a cancel) and wait for them to let go of the file."""
        self.stop.set()
        for section in self.sections.values():
            for piece in section.pieces:
                piece.thread.join()


def compile_kernels() -> None:
    """Compile (or load) the kernel only this path calls, with the types it calls it with (warm-up, compile worker)."""
    scan.count_byte(np.zeros(8, dtype=np.uint8), 0, 8, 44)
