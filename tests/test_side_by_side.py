"""The nodes and edges of an uncompressed file scanned on threads of their own: the same columns, the same errors.

The side-by-side read runs above 16 MB; here its threshold is lowered to nothing and its chunks made small
(numbers and the closing bracket fall across chunk ends), and every result is held against the in-line read.
"""

from __future__ import annotations

import gc
import gzip
import threading

import numpy as np
import pytest
from test_kernels import _same_raw

from conftest import fixture_path
from heaptui.engine.errors import Cancelled, SnapshotError
from heaptui.engine.parse import limits, read_snapshot, side_by_side


@pytest.fixture
def side(monkeypatch):
    """Every read of an uncompressed file goes side by side, in 4 kB chunks, each array in two halves (the first
    waits until the second is placed); yields the sections of the pieces it started."""
    threaded: list[str] = []
    original = side_by_side._Piece

    class Counted(original):  # type: ignore[valid-type, misc]
        def __init__(self, fd, what, start, *args):
            threaded.append(what)
            super().__init__(fd, what, start, *args)

        def _run(self):
            if self.first_number == 0:  # the first half waits until the second is placed (or 10 s)
                self.placed.wait(10)
            super()._run()

        def cut_at(self, offset):
            try:
                return super().cut_at(offset)
            finally:
                self.placed.set()

        @property
        def placed(self):
            return self.__dict__.setdefault("_placed", threading.Event())

    monkeypatch.setattr(side_by_side, "_Piece", Counted)
    monkeypatch.setattr(limits, "SIDE_BY_SIDE_ABOVE", 0)
    monkeypatch.setattr(limits, "SPLIT_ABOVE", 0)
    monkeypatch.setattr(limits, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(limits, "PIECE_CHUNK", 4096)
    return threaded


def _in_line(monkeypatch, path):
    with monkeypatch.context() as m:
        m.setattr(limits, "SIDE_BY_SIDE_ABOVE", 1 << 62)
        return read_snapshot(path)


def _error(read, path) -> str:
    with pytest.raises(SnapshotError) as info:
        read(path)
    return str(info.value)


@pytest.mark.parametrize("name", ["leaky-3", "chromium-1", "runtime-node24", "runtime-bun1", "escapes-1", "tiny"])
def test_the_same_columns_as_the_in_line_read(side, monkeypatch, tmp_path, name):
    path = tmp_path / f"{name}.heapsnapshot"
    path.write_bytes(gzip.decompress(fixture_path(name).read_bytes()))
    threaded = read_snapshot(path)
    assert side == ["nodes", "nodes", "edges", "edges"]
    assert _same_raw(threaded, _in_line(monkeypatch, path)) == []
    assert threaded.node_count > 0 and threaded.first_edge[-1] == threaded.edge_count


def _corruptions(text: bytes) -> dict[str, bytes]:
    nodes = text.index(b'"nodes":[') + len(b'"nodes":[')
    edges = text.index(b'"edges":[') + len(b'"edges":[')
    end_of_nodes = text.index(b"]", nodes)
    end_of_edges = text.index(b"]", edges)
    return {
        "a letter in the nodes": text[: nodes + 40] + b"x" + text[nodes + 41 :],
        "a letter in the edges": text[: edges + 3000] + b"x" + text[edges + 3001 :],
        "a number too large in the edges": text[:edges] + b"99999999999," + text[edges:],
        "a node too few": text[:nodes] + text[text.index(b",", nodes + 20) + 1 :],
        # so few that the bracket comes before the least text the count needs (where the search for it starts)
        "most nodes missing": text[:nodes] + text[text.index(b",", nodes + (end_of_nodes - nodes) * 9 // 10) + 1 :],
        "an edge too many": text[:edges] + b"1,1,0," + text[edges:],
        "an edge to a non-node": text[:end_of_edges] + b",1,1,3" + text[end_of_edges:],
        "the nodes unclosed": text[:end_of_nodes] + b"," + text[end_of_nodes + 1 :],
        "the edges twice": text[: end_of_edges + 1] + b',"edges":[]' + text[end_of_edges + 1 :],
        "cut in the nodes": text[: nodes + 5000],
        "cut in the edges": text[: edges + 5000],
        "cut in the strings": text[: len(text) - 2000],
    }


def test_bad_files_get_the_in_line_reads_error(side, monkeypatch, tmp_path):
    text = gzip.decompress(fixture_path("leaky-1").read_bytes())
    path = tmp_path / "bad.heapsnapshot"
    for case, data in _corruptions(text).items():
        path.write_bytes(data)
        side.clear()
        threaded = _error(read_snapshot, path)
        # the side-by-side read started, and declined (a file too short for its counts is refused before)
        assert side or case in ("cut in the nodes", "cut in the edges"), case
        assert threaded == _error(lambda p: _in_line(monkeypatch, p), path), case


def test_two_commas_in_a_row_are_read_as_the_in_line_read_reads_them(side, monkeypatch, tmp_path):
    """The second half is placed by counting commas; the in-line scanner takes ",," as one separator."""
    text = gzip.decompress(fixture_path("leaky-1").read_bytes())
    path = tmp_path / "commas.heapsnapshot"
    for section, at in (("nodes", 40), ("edges", -40)):
        start = text.index(f'"{section}":['.encode())
        end = text.index(b"]", start)
        comma = text.index(b",", start + at if at > 0 else end + at)
        path.write_bytes(text[: comma + 1] + b"," + text[comma + 1 :])
        side.clear()
        threaded = read_snapshot(path)
        assert len(side) == 4, section
        assert _same_raw(threaded, _in_line(monkeypatch, path)) == [], section


def test_a_cancel_stops_the_threads(side, tmp_path):
    path = tmp_path / "leaky-3.heapsnapshot"
    path.write_bytes(gzip.decompress(fixture_path("leaky-3").read_bytes()))
    calls = []

    def report(phase: str, done: int, total: int) -> None:
        calls.append(done)
        if len(side) == 4:
            raise Cancelled()

    with pytest.raises(Cancelled):
        read_snapshot(path, report)
    assert side == ["nodes", "nodes", "edges", "edges"] and calls
    assert not [t.name for t in threading.enumerate() if t.name.startswith("heaptui-parse")]


def test_a_compressed_or_salvaged_file_is_read_in_line(side, tmp_path):
    assert read_snapshot(fixture_path("leaky-1")).node_count > 0
    path = tmp_path / "leaky-1.heapsnapshot"
    path.write_bytes(gzip.decompress(fixture_path("leaky-1").read_bytes()))
    assert np.array_equal(read_snapshot(path, salvage=True).edge_to, read_snapshot(path).edge_to)
    assert side == ["nodes", "nodes", "edges", "edges"]  # the plain read only


def test_no_reference_cycle_keeps_a_column(side, tmp_path):
    """The ``heaptui`` command loads with the cycle collector paused: a column the read drops (an all-zero trace
    column) must be freed at once, not kept by a cycle through the read's closures until the load ends."""
    path = tmp_path / "leaky-3.heapsnapshot"
    path.write_bytes(gzip.decompress(fixture_path("leaky-3").read_bytes()))
    gc.collect()
    gc.disable()
    try:
        raw = read_snapshot(path)
        assert raw.node_trace_id is None  # the file's trace column is all zero: dropped
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        held = [
            referent
            for garbage in gc.garbage
            for referent in gc.get_referents(garbage)
            if isinstance(referent, np.ndarray) and referent.shape[0] >= raw.node_count
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert held == []
