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
from heaptui.engine import scan
from heaptui.engine.errors import Cancelled, SnapshotError
from heaptui.engine.parse import limits, read_snapshot, side_by_side
from heaptui.engine.parse.sections import column_scanner

# Who reads how much of each array: each piece may be held back until the other has read some of it, so that the
# pieces meet at the start, the end or the middle (with neither held back, where the threads' race puts them).
LEADS = {
    "race": None,
    "front alone": ("back", None),  # the back piece waits until the front one has read the whole array
    "back alone": ("front", None),
    "back first": ("front", 3),  # the front piece waits until the back one has read 3 chunks
    "front first": ("back", 2),
}


def _held(piece_class, held_back: bool, chunks: int | None, started: list[str], leaders: dict):
    """``piece_class`` recording each piece started; the one held back waits for its array's other piece."""

    class Piece(piece_class):  # type: ignore[valid-type, misc]
        def __init__(self, fd, what, *args):
            self.gate = leaders.setdefault(what, threading.Event())
            started.append(what)
            super().__init__(fd, what, *args)

        def _scan(self):
            if held_back:
                assert self.gate.wait(10), "the other piece did not get going within 10 s"
            elif chunks is not None:
                inner, gate = self.step, self.gate  # not self: no cycle through the piece
                calls = [0]

                def step(*args):
                    calls[0] += 1
                    if calls[0] > chunks:
                        gate.set()
                    return inner(*args)

                self.step = step
            try:
                super()._scan()
            finally:
                self.gate.set()  # done: the other piece reads the rest

    return Piece


@pytest.fixture(params=list(LEADS))
def side(request, monkeypatch):
    """Every read of an uncompressed file goes side by side, in 4 kB chunks, each array read from both ends (the
    pieces meeting where the parameter puts them); yields the sections of the pieces it started."""
    started: list[str] = []
    leaders: dict = {}
    lead = LEADS[request.param]
    held, chunks = lead if lead is not None else ("", None)
    monkeypatch.setattr(side_by_side, "_Piece", _held(side_by_side._Piece, held == "front", chunks, started, leaders))
    monkeypatch.setattr(
        side_by_side, "_BackPiece", _held(side_by_side._BackPiece, held == "back", chunks, started, leaders)
    )
    monkeypatch.setattr(limits, "SIDE_BY_SIDE_ABOVE", 0)
    monkeypatch.setattr(limits, "TWO_PIECES_ABOVE", 0)
    monkeypatch.setattr(limits, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(limits, "PIECE_CHUNK", 4096)
    return started


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
    """The pieces meet just after a comma; the in-line scanner takes ",," as one separator, and so do they."""
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


def _columns(rows: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Edge-shaped columns (type, name, to_node of a 7-field node) to scan ``rows`` rows into."""
    columns = {"type": np.zeros(rows, np.uint8), "name": np.zeros(rows, np.uint32), "to_node": np.zeros(rows, np.int32)}
    return columns, {"type": 0, "name": 1, "to_node": 2}


def _scan_both_ways(text: bytes, rows: int, chunk: int) -> tuple[dict, dict, bool, bool]:
    """The columns and whether each direction refused ``text`` (an array body, its ``]`` last): the forward scanner
    in one go, the backward one from the end in stretches of about ``chunk`` bytes cut just after a comma."""
    buf = np.frombuffer(bytearray(text), dtype=np.uint8)
    forward, offsets = _columns(rows)
    state = scan.new_state()
    column_scanner("edges", rows, 3, 7, offsets, forward)(buf, 0, len(text), state)
    forward_failed = bool(state[scan.ST_ERROR]) or not state[scan.ST_DONE] or state[scan.ST_POS] != rows * 3
    backward, _ = _columns(rows)
    step = column_scanner("edges", rows, 3, 7, offsets, backward, backwards=True)
    state = scan.new_state()
    high = len(text) - 1  # the closing bracket
    while high > 0 and not state[scan.ST_ERROR]:
        comma = text.find(b",", max(high - chunk, 0), high - 1)
        low = comma + 1 if comma >= 0 and high - chunk > 0 else 0
        step(buf, low, high, state)
        high = low
    backward_failed = bool(state[scan.ST_ERROR]) or state[scan.ST_POS] != rows * 3
    return forward, backward, forward_failed, backward_failed


@pytest.mark.parametrize("seed", range(6))
def test_the_backward_scanner_reads_what_the_forward_one_reads(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 400))
    values = np.stack(
        [rng.integers(0, 256, rows), rng.integers(0, 2**32, rows), rng.integers(0, 2**32 // 7, rows) * 7], axis=1
    ).reshape(-1)
    separators = [b",", b", ", b",\n", b"\n,", b" ,\t", b",,", b"\r\n,"]
    text = b"".join(str(v).encode() + separators[rng.integers(len(separators))] for v in values[:-1])
    text = b" " + text + str(values[-1]).encode() + b" ]"
    for chunk in (5, 17, 4096):
        forward, backward, forward_failed, backward_failed = _scan_both_ways(text, rows, chunk)
        assert not forward_failed and not backward_failed, chunk
        for name in forward:
            assert np.array_equal(forward[name], backward[name]), (name, chunk)
        assert np.array_equal(forward["name"], values[1::3]) and np.array_equal(forward["to_node"], values[2::3] // 7)


@pytest.mark.parametrize(
    "case, text",
    [
        ("a letter", b"1,2,7,1,x,7]"),
        ("a minus sign", b"1,2,7,1,-2,7]"),
        ("an eleven-digit name", b"1,2,7,1,00000000002,7]"),
        ("a name past 32 bits", b"1,2,7,1,4294967296,7]"),
        ("a type past a byte", b"1,2,7,256,2,7]"),
        ("a target that is no node", b"1,2,7,1,2,8]"),
        ("a number too many", b"5,1,2,7,1,2,7]"),
        ("a number too few", b"2,7,1,2,7]"),
        ("a bracket inside", b"1,2,7],1,2,7]"),
    ],
)
def test_the_backward_scanner_refuses_what_the_forward_one_refuses(case, text):
    for chunk in (3, 4096):
        _, _, forward_failed, backward_failed = _scan_both_ways(text, 2, chunk)
        assert forward_failed and backward_failed, (case, chunk)


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
