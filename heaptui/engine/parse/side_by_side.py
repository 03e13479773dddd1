"""The nodes and edges of an uncompressed file, scanned on threads of their own beside the rest of the parse.

Together they are nearly all of a snapshot's text (a 1 GB file: 354 MB of
nodes, 615 MB of edges), and each is one JSON array of integers that ends at its
first ``]``. So when the top-level reader meets one, it hands the array's
start to a thread that reads the file from there (``pread`` into a buffer of
its own) through the same compiled scanner the in-line read uses, finds the
``]`` itself with a fast byte search, and goes on after it: to the edges,
which get a thread too, then to the strings, read in line meanwhile.

A long array gets a second thread that reads it backwards from its closing
bracket (:func:`~heaptui.engine.scan.scan_columns_back`, its numbers counted
from the header's count down), and the two stop where they meet, wherever
that is. So the cores share the work whatever each thread's share of them: the
1 GB file's edges (615 MB) no longer end alone on one core while the other
has nothing left to do, and no comma has to be counted to place a second
piece.

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
Step = Callable[[np.ndarray, int, int, np.ndarray], int]


class Declined(Exception):
    """The side-by-side read met something it leaves to the in-line reader (which then reads the file again)."""


class _Meeting:
    """Where the two pieces of one array meet: the front one took ``[start, front)``, the back one ``[back, close)``.

    Each takes a chunk at a time, under the lock, up to the other's mark at most, so ``front <= back`` always; both
    marks are always just after a comma (or the array's ends), so no number is cut between the pieces. The array is
    read when the marks meet, wherever the cores' shares of the time put that.
    """

    def __init__(self, start: int, close: int) -> None:
        self.lock = threading.Lock()
        self.close = close
        self.front = start
        self.back = close
        self.abandoned = False  # a piece met something it declines: the other one stops too


class _Piece:
    """The front piece of one array, scanned on a thread of its own from ``start`` to its closing bracket.

    With a :class:`_Meeting`, it stops where it meets the back piece instead, each chunk it scans cut just after
    its last comma.
    """

    def __init__(self, fd: int, what: str, start: int, step: Step, stop: threading.Event, meeting: _Meeting | None):
        self.fd, self.what, self.start, self.step, self.stop, self.meeting = fd, what, start, step, stop, meeting
        self.state = scan.new_state()
        self.done = 0  # bytes scanned, for progress
        self.end = -1  # offset just after the closing bracket the scan stopped at
        self.stopped_at = -1  # offset of the meeting point the scan stopped at
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"heaptui-parse-{what}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._scan()
        except BaseException as error:  # handed to the reading thread
            self.error = error

    def _scan(self) -> None:
        text = bytearray(limits.PIECE_CHUNK)
        buf = np.frombuffer(text, dtype=np.uint8)
        view = memoryview(text)
        meeting = self.meeting
        offset = self.start
        state = self.state
        while not self.stop.is_set():
            n = os.preadv(self.fd, [view], offset)
            if n <= 0:
                return  # the file ends inside the array: declined
            if meeting is not None:
                with meeting.lock:
                    back = meeting.back
                    if meeting.abandoned:
                        return
                    if back < offset + n:  # the rest, up to the back piece's mark (the closing bracket with it)
                        if back == offset and back != meeting.close:
                            self.stopped_at = offset  # met: the back piece has read the rest
                            return
                        cut = back
                        n = back - offset + (back == meeting.close)
                    else:
                        comma = text.rfind(b",", 0, n)
                        if comma < 0:
                            meeting.abandoned = True
                            return  # a chunk without a comma (not what V8 writes): declined
                        cut = offset + comma + 1
                        n = cut - offset
                    meeting.front = cut
            i = int(self.step(buf, 0, n, state))
            self.done += i
            if state[scan.ST_ERROR] or state[scan.ST_DONE]:
                self.end = offset + i
                if meeting is not None and not (state[scan.ST_DONE] and self.end == meeting.close + 1):
                    meeting.abandoned = True  # declined: the back piece need not go on
                return
            offset += n


class _BackPiece:
    """The back piece of one array: from its closing bracket backwards, a chunk at a time, until it meets the front.

    Its numbers are counted from the array's end (the header's count says where that is); the array holds that
    count exactly when the front piece's numbers and these add up to it.
    """

    def __init__(self, fd: int, what: str, step: Step, stop: threading.Event, meeting: _Meeting) -> None:
        self.fd, self.what, self.step, self.stop, self.meeting = fd, what, step, stop, meeting
        self.state = scan.new_state()
        self.done = 0
        self.stopped_at = -1
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"heaptui-parse-{what}-back", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._scan()
        except BaseException as error:  # handed to the reading thread
            self.error = error

    def _scan(self) -> None:
        text = bytearray(limits.PIECE_CHUNK)
        buf = np.frombuffer(text, dtype=np.uint8)
        meeting = self.meeting
        state = self.state
        high = meeting.back
        while not self.stop.is_set():
            with meeting.lock:
                front = meeting.front
                if meeting.abandoned:
                    return
            if high <= front:
                self.stopped_at = high  # met: the front piece has read the rest
                return
            low = max(high - limits.PIECE_CHUNK, front)
            n = os.preadv(self.fd, [memoryview(text)[: high - low]], low)
            if n != high - low:
                return  # declined
            comma = text.find(b",", 0, n - 1)  # the last byte is one (or the closing bracket)
            with meeting.lock:
                front = meeting.front
                if front >= low:
                    cut = front  # the rest, from the front piece's mark (just after a comma)
                elif comma >= 0:
                    cut = low + comma + 1
                else:
                    meeting.abandoned = True
                    return  # a chunk without a comma (not what V8 writes): declined
                meeting.back = cut
            self.step(buf, cut - low, n, state)
            self.done += high - cut
            if state[scan.ST_ERROR]:
                meeting.abandoned = True
                return
            high = cut


def _finished(state: np.ndarray) -> dict[str, Any]:
    raise AssertionError("a section's columns are made once")


class _Section:
    """One array: its front piece (and back piece, for a long one), and what makes its columns once it is read."""

    def __init__(
        self, close: int, front: _Piece, back: _BackPiece | None, finish: Callable[[np.ndarray], dict[str, Any]]
    ) -> None:
        self.close, self.front, self.back, self.finish = close, front, back, finish

    @property
    def pieces(self) -> list[_Piece | _BackPiece]:
        return [self.front] if self.back is None else [self.front, self.back]

    def wait(self, tick: Callable[[], None]) -> None:
        for piece in self.pieces:
            while piece.thread.is_alive():
                tick()
                piece.thread.join(0.05)

    def columns(self) -> dict[str, Any]:
        """The columns, or decline: the pieces must meet without a number cut, the front at the closing bracket."""
        front, back = self.front, self.back
        if front.error is not None and not isinstance(front.error, SnapshotError):
            raise front.error
        if back is not None and back.error is not None and not isinstance(back.error, SnapshotError):
            raise back.error
        if front.error is not None or front.state[scan.ST_ERROR]:
            raise Declined()
        state = front.state
        if back is None or state[scan.ST_DONE]:  # the front piece read it all, to the closing bracket
            if front.end != self.close + 1 or back is not None and (back.stopped_at != self.close or back.done):
                raise Declined()
        elif (
            back.error is not None
            or back.state[scan.ST_ERROR]
            or state[scan.ST_IN_NUMBER]
            or front.stopped_at < 0
            or front.stopped_at != back.stopped_at
        ):
            raise Declined()
        else:  # numbers counted from both ends: together they fill the array exactly, or the count is wrong
            state[scan.ST_POS] += back.state[scan.ST_POS]
        # The closure holds the columns (and the reader, which holds this): let go of it, or the columns the
        # finish drops (an all-zero trace or detachedness column: 70 MB on a 1 GB file) wait for a collection.
        finish, self.finish = self.finish, _finished
        return finish(state)


class SideBySide:
    """The side-by-side scans of one read: started by the top-level reader, collected at its end."""

    def __init__(self, fd: int, path: object) -> None:
        self.fd = fd
        self.path = path
        self.stop = threading.Event()
        self.sections: dict[str, _Section] = {}
        self._search = bytearray(limits.PIECE_CHUNK)

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

    def _start(
        self,
        reader: Reader,
        what: str,
        numbers: int,
        step: Step,
        back_step: Step,
        finish: Callable[[np.ndarray], dict[str, Any]],
    ) -> None:
        if what in self.sections:
            raise Declined()  # a section twice: the in-line reader keeps the last, as JSON does
        reader.expect("[", f"where the {what} array should start")
        start = reader.offset()
        # The header's count of numbers takes at least a digit and a comma each: the search for the closing bracket
        # starts past that (about half of the array). An array shorter than its count (a ] before) is caught anyway:
        # the scan stops at that bracket, not at this one, and the read is declined.
        close = self._close_after(start + max(2 * numbers - 1, 0))
        meeting = _Meeting(start, close) if close - start > limits.TWO_PIECES_ABOVE else None
        front = _Piece(self.fd, what, start, step, self.stop, meeting)
        back = _BackPiece(self.fd, what, back_step, self.stop, meeting) if meeting is not None else None
        self.sections[what] = _Section(close, front, back, finish)
        reader.seek(close + 1)

    def nodes(self, reader: Reader, meta: Meta) -> None:
        """Start the nodes' scan and move ``reader`` past the array."""
        columns, offsets, first_edge = node_columns(meta)
        count, fields = meta.node_count, meta.node_field_count
        step = column_scanner("nodes", count, fields, fields, offsets, columns)
        back_step = column_scanner("nodes", count, fields, fields, offsets, columns, backwards=True)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "nodes", count, fields, state)
            return finish_nodes(self.path, meta, columns, first_edge)

        self._start(reader, "nodes", count * fields, step, back_step, finish)

    def edges(self, reader: Reader, meta: Meta) -> None:
        """Start the edges' scan and move ``reader`` past the array."""
        check_node_count(self.path, meta)
        columns, offsets = edge_columns(meta)
        count, fields = meta.edge_count, meta.edge_field_count
        step = column_scanner("edges", count, fields, meta.node_field_count, offsets, columns)
        back_step = column_scanner("edges", count, fields, meta.node_field_count, offsets, columns, backwards=True)

        def finish(state: np.ndarray) -> dict[str, Any]:
            check_count(self.path, "edges", count, fields, state)
            return {"edge_type": columns["type"], "edge_name": columns["name"], "edge_to": columns["to_node"]}

        self._start(reader, "edges", count * fields, step, back_step, finish)

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
    step = column_scanner("nodes", 1, 1, 1, {}, {}, backwards=True)  # every column empty: the same array types
    step(np.zeros(8, dtype=np.uint8), 0, 0, scan.new_state())
