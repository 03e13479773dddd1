"""Columns made and faulted in before the parse (parse/prepared.py): the same snapshot, the same errors.

The side-by-side read runs above 16 MB; here it runs on the fixtures (its threshold lowered to nothing), with the
nodes' and edges' columns made beforehand by :class:`PreparedColumns`, and every result is held against a read
without them.
"""

from __future__ import annotations

import gzip
import threading

import numpy as np
import pytest
from test_kernels import _same_raw
from test_side_by_side import _corruptions

from conftest import fixture_path
from heaptui.engine.errors import SnapshotError
from heaptui.engine.parse import limits, read_header, read_snapshot
from heaptui.engine.parse import prepared as prepared_module
from heaptui.engine.parse.prepared import PreparedColumns, fault_in


@pytest.fixture(autouse=True)
def side_by_side(monkeypatch):
    monkeypatch.setattr(limits, "SIDE_BY_SIDE_ABOVE", 0)


def _plain(tmp_path, name: str):
    path = tmp_path / f"{name}.heapsnapshot"
    path.write_bytes(gzip.decompress(fixture_path(name).read_bytes()))
    return path


@pytest.mark.parametrize("name", ["leaky-3", "chromium-1", "runtime-node24", "runtime-bun1", "escapes-1", "tiny"])
def test_the_parse_writes_into_the_prepared_columns_and_reads_the_same(tmp_path, name):
    path = _plain(tmp_path, name)
    prepared = PreparedColumns(path)
    meta = read_header(path)
    # What the parse will be handed, looked at (not taken) to see that it is what the parse returns.
    prepared._allocated.wait()
    nodes, edges = prepared._nodes.columns, prepared._edges.columns
    assert nodes is not None and edges is not None
    raw = read_snapshot(path, prepared=prepared)
    assert raw.edge_to is edges[0]["to_node"] and raw.node_id is nodes[0]["id"] and raw.first_edge is nodes[2]
    assert len(raw.edge_to) == meta.edge_count and len(raw.node_id) == meta.node_count
    assert _same_raw(raw, read_snapshot(path)) == []
    assert prepared._nodes.columns is None and prepared._edges.columns is None  # handed over


def test_columns_prepared_for_another_header_are_not_used(tmp_path):
    one, other = _plain(tmp_path, "leaky-1"), _plain(tmp_path, "leaky-3")
    prepared = PreparedColumns(one)
    prepared._allocated.wait()
    theirs = prepared._edges.columns[0]["to_node"]  # type: ignore[index]
    raw = read_snapshot(other, prepared=prepared)
    assert raw.edge_to is not theirs
    assert _same_raw(raw, read_snapshot(other)) == []
    assert prepared._nodes.columns is None and prepared._edges.columns is None  # dropped at the end of the read


def test_a_compressed_file_gets_nothing_prepared():
    prepared = PreparedColumns(fixture_path("leaky-1"))
    assert prepared.nodes(read_header(fixture_path("leaky-1"))) is None


def test_bad_files_get_the_same_error_with_prepared_columns(tmp_path):
    text = gzip.decompress(fixture_path("leaky-1").read_bytes())
    path = tmp_path / "bad.heapsnapshot"
    for case, data in _corruptions(text).items():
        path.write_bytes(data)
        with pytest.raises(SnapshotError) as plain:
            read_snapshot(path)
        with pytest.raises(SnapshotError) as prepared:
            read_snapshot(path, prepared=PreparedColumns(path))
        assert str(prepared.value) == str(plain.value), case


def test_counts_the_file_cannot_hold_get_no_memory(tmp_path):
    text = gzip.decompress(fixture_path("leaky-1").read_bytes())
    path = tmp_path / "huge-counts.heapsnapshot"
    count = text.index(b'"edge_count":') + len(b'"edge_count":')
    end = text.index(b",", count)
    path.write_bytes(text[:count] + b"900000000000" + text[end:])
    prepared = PreparedColumns(path)
    prepared._allocated.wait()
    assert prepared._nodes.columns is None and prepared._edges.columns is None
    with pytest.raises(SnapshotError, match="edge_count"):
        read_snapshot(path, prepared=prepared)


def test_fault_in_writes_one_byte_a_page_and_nothing_past_the_array(monkeypatch):
    backing = np.full(3 * 4096 + 100, 7, dtype=np.uint8)
    column = backing[10 : 10 + 2 * 4096 + 50].view()
    assert fault_in(column)
    assert np.flatnonzero(backing == 0).tolist() == [10, 10 + 4096, 10 + 2 * 4096]
    # In steps (a step of two pages here), stopping at the first step after it is wanted.
    monkeypatch.setattr(prepared_module, "STEP", 2 * 4096)
    backing[:] = 7
    assert fault_in(column, threading.Event())
    assert np.flatnonzero(backing == 0).tolist() == [10, 10 + 4096, 10 + 2 * 4096]
    backing[:] = 7
    wanted = threading.Event()
    wanted.set()
    assert not fault_in(column, wanted)
    assert not (backing == 0).any()


def test_the_parse_takes_columns_while_they_are_still_faulted_in(tmp_path, monkeypatch):
    """The parse never waits for the faulting: it stops at the next step, and the scan writes every value."""
    path = _plain(tmp_path, "leaky-3")
    steps = threading.Semaphore(0)
    original = prepared_module.fault_in

    def slow(array, wanted=None):  # one step, then wait for the parse to want the columns
        monkeypatch.setattr(prepared_module, "STEP", 4096)
        data = array.reshape(-1).view(np.uint8)
        data[0] = 0
        steps.release()
        assert wanted is not None and wanted.wait(60)
        return original(array, wanted)

    monkeypatch.setattr(prepared_module, "fault_in", slow)
    prepared = PreparedColumns(path)
    assert steps.acquire(timeout=60), "the faulting thread never started"
    raw = read_snapshot(path, prepared=prepared)
    prepared._thread.join(60)
    assert not prepared._thread.is_alive()
    assert _same_raw(raw, read_snapshot(path)) == []


def test_a_load_the_memory_headroom_refuses_gets_no_columns(tmp_path, monkeypatch):
    """Pages faulted in ahead of the parse must not outrun the memory check: with less room than the load
    needs, nothing is made (the parse then reads as ever, or is refused in one line by the CLI)."""
    from heaptui.engine.memory import Headroom, needed_for

    path = _plain(tmp_path, "leaky-3")
    meta = read_header(path)
    room = needed_for(meta.node_count, meta.edge_count)  # 90% of it is less than the load needs
    monkeypatch.setattr(prepared_module, "headroom", lambda: Headroom(room, "a test's limit"))
    refused = PreparedColumns(path)
    refused._allocated.wait()
    assert refused._nodes.columns is None and refused._edges.columns is None
    assert _same_raw(read_snapshot(path, prepared=refused), read_snapshot(path)) == []
    monkeypatch.setattr(prepared_module, "headroom", lambda: Headroom(2 * room, "a test's limit"))
    allowed = PreparedColumns(path)
    allowed._allocated.wait()
    assert allowed._nodes.columns is not None and allowed._edges.columns is not None
    allowed.drop()
