"""Allocation timelines (.heaptimeline) and sampling profiles (.heapprofile): DevTools' numbers, and the leak.

The fixtures are made by tests/fixtures/timeline.js (the leaky server under 200
requests, recorded through the inspector); the expected values were printed by
DevTools' own heap snapshot worker (tests/oracle/allocation_oracle.mjs, recorded
by tests/oracle/make_allocation_expected.py).
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from heaptui.engine import SnapshotError, load_snapshot
from heaptui.engine.allocation import AllocationRow, AllocationTree, allocation_tree
from heaptui.engine.heapprofile import is_heapprofile, read_heapprofile
from heaptui.engine.timeline import devtools_full_window, devtools_window, interval_id_range, timeline_intervals

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HANDLER_SOURCE = FIXTURES / "timeline.js"
N = 200  # the fixture's requests


@cache
def timeline_snapshot(name: str):
    return load_snapshot(FIXTURES / f"{name}.heaptimeline.gz")


@cache
def tree(name: str) -> AllocationTree:
    return allocation_tree(timeline_snapshot(name))


@cache
def expected(name: str) -> dict:
    with gzip.open(FIXTURES / "expected" / f"{name}.devtools.json.gz", "rb") as f:
        return json.loads(f.read())


def summary_rows(rows) -> list[tuple]:
    return [(r.info.key, r.name, r.count, r.distance, r.shallow_size, r.retained_size) for r in rows]


def devtools_rows(summary: dict) -> list[tuple]:
    return [(r["key"], r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"])
            for r in summary["rows"]]


def class_count(rows, name: str) -> int:
    return sum(r.count for r in rows if r.name == name)


def handler_line() -> int:
    """The line of ``function handleRequest`` in the fixture's source (1-based, as DevTools shows it)."""
    lines = HANDLER_SOURCE.read_text().splitlines()
    return next(i + 1 for i, text in enumerate(lines) if text.startswith("function handleRequest("))


TIMELINES = ["timeline-leaky", "timeline-leaky-nostacks"]


# ------------------------------------------------------------ loading


@pytest.mark.parametrize("name", TIMELINES)
def test_heaptimeline_files_load(name):
    s = timeline_snapshot(name)
    dt = expected(name)
    assert s.node_count == dt["node_count"]
    assert s.max_js_node_id == dt["max_js_node_id"]
    assert s.meta.sample_fields == ("timestamp_us", "last_assigned_id")
    assert s.samples is not None and s.samples.size


# ------------------------------------------------------------ the timeline


@pytest.mark.parametrize("name", TIMELINES)
def test_intervals_match_devtools_samples(name):
    t, dt = timeline_intervals(timeline_snapshot(name)), expected(name)["samples"]
    assert len(t) == len(dt["sizes"]) > 10
    assert t.live_size.tolist() == dt["sizes"]
    assert t.max_id.tolist() == dt["last_assigned_ids"]
    assert (t.timestamp_us / 1000).tolist() == dt["timestamps_ms"]
    assert t.start_us[0] == t.end_us[0] == 0
    assert (t.start_us[1:] == t.end_us[:-1]).all()


@pytest.mark.parametrize("name", TIMELINES)
def test_counts_add_up_to_the_js_objects(name):
    s = timeline_snapshot(name)
    t = timeline_intervals(s)
    js = (s.node_id & 1) == 1
    assert int(t.live_count.sum()) + t.after_count == int(js.sum())
    assert int(t.live_size.sum()) + t.after_size == int(s.shallow[js].sum())
    for i in (0, 5, len(t) - 1):
        lo, hi = interval_id_range(t, i, i)
        ids = s.node_id[js]
        assert int(((ids > lo) & (ids <= hi)).sum()) == t.live_count[i]


@pytest.mark.parametrize("name", TIMELINES)
def test_devtools_windows_and_their_summaries(name):
    s, dt = timeline_snapshot(name), expected(name)
    t = timeline_intervals(s)
    windows = [(devtools_full_window(t), dt["full_window"])]
    windows += [(devtools_window(t, w["left_ms"] * 1000, w["right_ms"] * 1000), w) for w in dt["windows"]]
    assert len(windows) == 4
    for ours, theirs in windows:
        assert (ours.first, ours.stop, ours.min_id, ours.max_id, ours.size) == (
            theirs["first"], theirs["stop"], theirs["min_id"], theirs["max_id"], theirs["size"])
        rows = s.summary(ours.mask(s))
        assert summary_rows(rows) == devtools_rows(theirs["summary"])
        assert sum(r.count for r in rows) == theirs["summary"]["total_count"]


def test_devtools_window_reaches_one_interval_past_its_right_edge():
    """DevTools' id range ends at the first sample after the window; its size does not."""
    t = timeline_intervals(timeline_snapshot("timeline-leaky"))
    sel = devtools_window(t, int(t.timestamp_us[5]), int(t.timestamp_us[6]))
    assert (sel.first, sel.stop) == (5, 7)
    assert sel.size == int(t.live_size[5] + t.live_size[6])
    assert (sel.min_id, sel.max_id) == (int(t.max_id[4]), int(t.max_id[7]))
    assert (sel.min_id, sel.max_id) == interval_id_range(t, 5, 7)


@pytest.mark.parametrize("name", TIMELINES)
def test_id_ranges_match_devtools(name):
    s, dt = timeline_snapshot(name), expected(name)
    t = timeline_intervals(s)
    a, b = dt["burst"]
    assert [interval_id_range(t, a, b), interval_id_range(t, 0, 0)] == [
        (r["min_id"], r["max_id"]) for r in dt["id_ranges"]]
    for r in dt["id_ranges"]:
        rows = s.summary(s.allocated_between(r["min_id"], r["max_id"]))
        assert summary_rows(rows) == devtools_rows(r["summary"])


@pytest.mark.parametrize("name", TIMELINES)
def test_the_requests_interval_selection_holds_the_leak(name):
    """The burst of allocation (the requests, between two idle times) filters the Summary to the 200 Dates."""
    s = timeline_snapshot(name)
    t = timeline_intervals(s)
    assert t.live_size[1] == 0  # idle after the start
    first = next(i for i in range(1, len(t)) if t.live_size[i])
    last = first
    while last + 1 < len(t) and t.live_size[last + 1]:
        last += 1
    assert last - first >= 5  # several intervals, not one
    lo, hi = interval_id_range(t, first, last)
    rows = s.summary(s.allocated_between(lo, hi))
    assert class_count(rows, "Date") == N
    assert class_count(rows, "{url, date}") in (N, N + 1)  # + the literal's boilerplate, made at the 1st request
    before = s.summary(s.allocated_between(*interval_id_range(t, 0, 0)))
    assert class_count(before, "Date") == 0
    everything = s.summary()
    assert class_count(everything, "Date") == N


# ------------------------------------------------------------ the allocation view


def row_tuple(r: AllocationRow) -> tuple:
    return (r.function, r.script, r.script_id, r.line, r.column, r.count, r.size, r.live_count, r.live_size,
            r.has_callers)


def devtools_tuple(d: dict) -> tuple:
    return (d["name"], d["script_name"], d["script_id"], d["line"], d["column"], d["count"], d["size"],
            d["live_count"], d["live_size"], d["has_children"])


def test_allocation_tops_match_devtools():
    ours, theirs = tree("timeline-leaky").tops(), expected("timeline-leaky")["allocation_tops"]
    assert len(ours) == len(theirs) > 100
    assert [row_tuple(r) for r in ours] == [devtools_tuple(d) for d in theirs]


def test_every_caller_row_matches_devtools():
    """The whole bottom-up tree, every row expanded as AllocationGridNode shows it (callers by size)."""
    t = tree("timeline-leaky")
    checked = 0
    stack = list(zip(t.tops(), expected("timeline-leaky")["allocation_tops"]))
    while stack:
        row, theirs = stack.pop()
        assert row_tuple(row) == devtools_tuple(theirs), row.path
        callers = t.callers(row) if row.has_callers else []
        assert [row_tuple(c) for c in callers] == [devtools_tuple(d) for d in theirs["callers"]], row.path
        stack.extend(zip(callers, theirs["callers"]))
        checked += 1
    assert checked > 5000


def rows_by_devtools_id(t: AllocationTree) -> dict[int, AllocationRow]:
    out = {}
    stack = list(zip(t.tops(), expected("timeline-leaky")["allocation_tops"]))
    while stack:
        row, theirs = stack.pop()
        out[theirs["id"]] = row
        if theirs["callers"]:
            stack.extend(zip(t.callers(row), theirs["callers"]))
    return out


def test_summary_filtered_to_a_row_matches_devtools():
    s, t = timeline_snapshot("timeline-leaky"), tree("timeline-leaky")
    by_id = rows_by_devtools_id(t)
    filtered = expected("timeline-leaky")["allocation_filtered"]
    assert len(filtered) > 20
    for f in filtered:
        row = by_id[f["id"]]
        assert row.function == f["name"]
        mask = t.live_mask(row)
        assert int(mask.sum()) == row.live_count
        assert summary_rows(s.summary(mask)) == devtools_rows(f["summary"]), row.path
        assert np.array_equal(t.live_nodes(row), np.flatnonzero(mask))


def test_allocation_stacks_match_devtools():
    s, t = timeline_snapshot("timeline-leaky"), tree("timeline-leaky")
    stacks = expected("timeline-leaky")["stacks"]
    assert len(stacks) > 5
    for item in stacks:
        frames = t.stack(s.node_for_id(item["id"]))
        assert [(f.function, f.script, f.script_id, f.line, f.column) for f in frames] == [
            (d["function_name"], d["script_name"], d["script_id"], d["line"], d["column"]) for d in item["frames"]]
        assert frames[-1].function == "(root)"


def test_the_request_handler_allocated_the_leak():
    s, t = timeline_snapshot("timeline-leaky"), tree("timeline-leaky")
    by_live = t.sorted_rows(t.tops(), "live_size")
    first = by_live[0]
    assert first.function == "handleRequest"
    assert first.script.endswith("tests/fixtures/timeline.js")
    assert first.line == handler_line()
    assert first.location == f"{first.script}:{first.line}:{first.column}"
    assert first.live_size > by_live[1].live_size
    rows = s.summary(t.live_mask(first))
    assert class_count(rows, "Date") >= N
    assert class_count(rows, "{url, date}") >= N
    assert first.to_json() == {"function": "handleRequest", "script": first.script, "line": first.line,
                               "column": first.column, "live_count": first.live_count,
                               "live_size": first.live_size, "count": first.count, "size": first.size}
    # Its callers: the 'request' event's emit, then the HTTP parser, down to (root).
    chain = [first]
    while chain[-1].has_callers:
        callers = t.callers(chain[-1])
        assert callers
        chain.append(callers[0])
    assert [r.function for r in chain[:2]] == ["handleRequest", "emit"]
    assert chain[-1].function == "(root)"
    assert all(r.live_count == first.live_count for r in chain)  # one stack only
    # Allocated while recording but without a stack: a few off-heap buffers, no Date.
    lost = t.untraced(int(timeline_intervals(s).max_id[0]))
    assert 0 < lost.size < 1000
    assert "Date" not in {s.class_name(int(v)) for v in lost}


def test_recorded_without_stacks_says_why():
    t = tree("timeline-leaky-nostacks")
    assert not t
    assert "without allocation stacks" in (t.reason or "")
    assert t.tops() == []
    assert len(timeline_intervals(timeline_snapshot("timeline-leaky-nostacks"))) > 10


def test_a_plain_snapshot_has_neither_timeline_nor_allocations():
    s = load_snapshot(FIXTURES / "tiny.heapsnapshot.gz")
    assert len(timeline_intervals(s)) == 0
    t = allocation_tree(s)
    assert not t and "not an allocation timeline" in (t.reason or "")
    assert devtools_full_window(timeline_intervals(s)).max_id is None


# ------------------------------------------------------------ sampling profiles


def test_heapprofile_by_function():
    p = read_heapprofile(FIXTURES / "alloc-leaky.heapprofile.gz")
    rows = p.by_function()
    assert sum(r.self_size for r in rows) == p.total == int(p.self_size.sum())
    assert [r.self_size for r in rows] == sorted((r.self_size for r in rows), reverse=True)
    handler = next(r for r in rows if r.function == "handleRequest")
    assert handler.script.endswith("tests/fixtures/timeline.js")
    assert (handler.line, handler.column) == (handler_line(), 23)
    assert handler.self_size > 10_000 and handler.samples > 5
    assert handler.total_size >= handler.self_size
    assert rows.index(handler) < 5
    j = handler.to_json()
    assert (j["live_size"], j["live_count"], j["total_size"]) == (handler.self_size, handler.samples,
                                                                  handler.total_size)


def test_heapprofile_recursion_is_counted_once(tmp_path):
    def node(i, name, self_size, children=(), line=0):
        return {"callFrame": {"functionName": name, "scriptId": "1", "url": "a.js", "lineNumber": line,
                              "columnNumber": 4}, "selfSize": self_size, "id": i, "children": list(children)}

    # (root) -> a -> b -> a -> c, and (root) -> b: a is recursive, b appears twice, z allocates nothing.
    head = node(1, "(root)", 0, [
        node(2, "a", 3, [node(3, "b", 2, [node(4, "a", 5, [node(5, "c", 7, line=9)])])]),
        node(6, "b", 11, [node(7, "z", 0)]),
    ])
    head["callFrame"].update(scriptId="0", url="", lineNumber=-1, columnNumber=-1)
    path = tmp_path / "p.heapprofile"
    path.write_text(json.dumps({"head": head, "samples": [{"size": 5, "nodeId": 4, "ordinal": 1},
                                                          {"size": 7, "nodeId": 5, "ordinal": 2}]}))
    p = read_heapprofile(path)
    rows = {r.function: r for r in p.by_function()}
    assert set(rows) == {"a", "b", "c"}  # z's branch is empty
    assert (rows["a"].self_size, rows["a"].total_size, rows["a"].samples) == (8, 17, 1)
    assert (rows["b"].self_size, rows["b"].total_size) == (13, 25)
    assert (rows["c"].self_size, rows["c"].total_size, rows["c"].line, rows["c"].column) == (7, 7, 10, 5)
    assert [r.function for r in p.by_function()] == ["b", "a", "c"]
    assert p.total == 28


@pytest.mark.parametrize("content", [b"", b"[]", b'{"head": 3}', b'{"head": {"children": 5}}', b"\x1f\x8bxx"])
def test_bad_heapprofiles_are_one_line_errors(tmp_path, content):
    path = tmp_path / "bad.heapprofile"
    path.write_bytes(content)
    with pytest.raises(SnapshotError) as error:
        read_heapprofile(path)
    assert "\n" not in str(error.value)


def test_missing_heapprofile():
    with pytest.raises(SnapshotError, match="no such file"):
        read_heapprofile(FIXTURES / "nope.heapprofile")


def test_heapprofiles_are_told_from_snapshots(tmp_path):
    assert is_heapprofile(FIXTURES / "alloc-leaky.heapprofile.gz")
    assert not is_heapprofile(FIXTURES / "timeline-leaky.heaptimeline.gz")
    assert not is_heapprofile(FIXTURES / "tiny.heapsnapshot.gz")
    assert not is_heapprofile(FIXTURES / "nope.heapprofile")
    plain = tmp_path / "p.json"
    plain.write_text('  {\n "head": {}}')
    assert is_heapprofile(plain)
