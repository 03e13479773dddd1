"""The engine's API for front ends (issue 20): sizes, a snapshot's questions, filters by name, allocation windows,
the error classification, the progress/cancel contract and the lazy package."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, fixture_path, loaded
from heaptui.engine import retainer_paths
from heaptui.engine.compare import compare
from heaptui.engine.errors import Cancelled, Failure, SnapshotError, Truncated, classify_error
from heaptui.engine.filters import (
    FILTER_ALIASES,
    FILTERS,
    FilterSpec,
    devtools_filter_name,
    filter_mask,
    filter_mask_for,
    native_context_filter,
    native_contexts,
    parse_filter,
)
from heaptui.engine.leaks import leak_report, shortest_paths
from heaptui.engine.sizes import format_percent, format_size
from heaptui.engine.snapshot import snapshot_stem
from heaptui.engine.windows import AllocationWindow, allocation_windows, window_before, window_since


def comparison_oracle() -> dict:
    with gzip.open(FIXTURES / "expected" / "comparison.devtools.json.gz", "rb") as f:
        return json.loads(f.read())


# ------------------------------------------------------------------ sizes


def test_format_size_and_percent_as_devtools_abbreviates():
    assert [format_size(n) for n in (0, 812, 999, 1000, 12_345, 4_100_000, 999_999_999, 3 * 10**12)] == [
        "0 B", "812 B", "999 B", "1.0 kB", "12.3 kB", "4.1 MB", "1000.0 MB", "3000.0 GB"]
    assert format_size(-2048) == "-2.0 kB"
    assert [format_percent(1, 3), format_percent(2, 3), format_percent(5, 0), format_percent(7, 7)] == [
        "33%", "67%", "-", "100%"]
    from heaptui import textreport

    assert textreport.human_size is format_size and textreport.percent is format_percent  # the app's old names


# ------------------------------------------------------------------ a snapshot's questions


def test_child_and_retainer_counts_match_the_raw_file():
    """Independently: edge_count per node and to_node counts, read from the file's JSON."""
    with gzip.open(fixture_path("tiny"), "rt", encoding="utf-8") as f:
        data = json.load(f)
    fields = data["snapshot"]["meta"]["node_fields"]
    width, edge_width = len(fields), len(data["snapshot"]["meta"]["edge_fields"])
    nodes, edges = data["nodes"], data["edges"]
    children = nodes[fields.index("edge_count")::width]
    to_node = Counter(edges[i + 2] // width for i in range(0, len(edges), edge_width))
    s = loaded("tiny")
    assert s.node_count == len(children)
    assert [s.child_count(v) for v in range(s.node_count)] == children
    assert [s.retainer_count(v) for v in range(s.node_count)] == [to_node[v] for v in range(s.node_count)]
    assert all(s.has_children(v) == (children[v] > 0) for v in range(s.node_count))
    assert all(s.has_retainers(v) == (to_node[v] > 0) for v in range(s.node_count))
    assert s.has_children(s.root) and not s.has_retainers(s.root)
    assert sum(1 for c in children if c == 0) == 205  # leaves exist, so has_children can answer False


def test_timeline_and_allocation_stacks_questions():
    plain = loaded("tiny")
    assert not plain.has_timeline and not plain.has_allocation_stacks
    from heaptui.engine import load_snapshot

    stacks = load_snapshot(FIXTURES / "timeline-leaky.heaptimeline.gz")
    nostacks = load_snapshot(FIXTURES / "timeline-leaky-nostacks.heaptimeline.gz")
    assert stacks.has_timeline and stacks.has_allocation_stacks
    assert nostacks.has_timeline and not nostacks.has_allocation_stacks


def test_instances_ready_once_the_index_is_built_and_a_cancelled_build_leaves_none():
    from heaptui.engine import load_snapshot

    s = load_snapshot(fixture_path("leaky-1"))  # its own copy: other tests share loaded() snapshots
    assert not s.instances_ready
    calls = []

    def cancel_at_second(phase: str, done: int, total: int) -> None:
        calls.append(phase)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        s.instances_index(cancel_at_second)
    assert not s.instances_ready
    first, order = s.instances_index()
    assert s.instances_ready
    counted = np.flatnonzero(s.shallow > 0)
    assert order.shape[0] == counted.shape[0] and set(order.tolist()) == set(counted.tolist())


def test_stem_names_a_snapshot_by_its_file():
    assert snapshot_stem("/x/run/s1.heapsnapshot.gz") == "s1"
    assert snapshot_stem("s2.heapsnapshot") == "s2"
    assert snapshot_stem("rec.heaptimeline") == "rec.heaptimeline"
    assert loaded("leaky-2").stem == "leaky-2"


# ------------------------------------------------------------------ filters by name


def test_parse_filter_accepts_aliases_and_devtools_names():
    labels = {f.name: f.label for f in FILTERS}
    for alias, name in FILTER_ALIASES.items():
        assert parse_filter(alias) == parse_filter(name) == FilterSpec(name, labels[name])
    assert parse_filter("duplicated-strings") == FilterSpec("duplicatedStrings", "Duplicated strings")
    assert parse_filter("native-context=@42") == parse_filter("native-context=42") == FilterSpec(
        "nativeContext", "Objects attributed to one native context", 42)
    with pytest.raises(ValueError, match="'bogus': one of duplicated-strings, detached-dom, .*native-context=@ID"):
        parse_filter("bogus")
    with pytest.raises(ValueError, match="'@x' is not a node id"):
        parse_filter("native-context=@x")


def test_filter_mask_for_resolves_the_native_context_by_id():
    s = loaded("leaky-3")
    context = native_contexts(s)[0]
    spec = parse_filter(f"native-context=@{int(s.node_id[context])}")
    assert devtools_filter_name(s, spec) == native_context_filter(s, context) == f"nativeContext_{context * 7}"
    assert np.array_equal(filter_mask_for(s, spec), filter_mask(s, native_context_filter(s, context)))
    assert np.array_equal(filter_mask_for(s, parse_filter("contexts")), filter_mask(s, "objectsRetainedByContexts"))
    with pytest.raises(ValueError, match=r"^no native context @4$"):  # an id some other object may have
        filter_mask_for(s, parse_filter("native-context=@4"))
    with pytest.raises(ValueError, match=r"^no native context @999999999$"):
        filter_mask_for(s, parse_filter("native-context=999999999"))


# ------------------------------------------------------------------ allocation windows


def test_allocation_windows_are_devtools_id_ranges():
    """The id ranges DevTools' oracle used for leaky-3's "before leaky-1" and "since leaky-2" Summaries."""
    oracle = comparison_oracle()
    series = [loaded(f"leaky-{i}") for i in (1, 2, 3)]
    windows = allocation_windows(series, 2)
    before, since = oracle["leaky-3 before leaky-1"], oracle["leaky-3 since leaky-2"]
    assert windows == [
        AllocationWindow("Objects allocated before leaky-1", before["min_node_id"], before["max_node_id"]),
        AllocationWindow("Objects allocated between leaky-1 and leaky-2", 90963, 101677),
        AllocationWindow("Objects allocated between leaky-2 and leaky-3", since["min_node_id"], since["max_node_id"]),
    ]
    assert allocation_windows(series, 0) == []
    assert allocation_windows(series, 1) == windows[:2]
    s = series[2]
    rows = s.summary(windows[2].mask(s))
    assert sum(r.count for r in rows) == since["filtered_summary_total_count"] == 1444
    assert sum(r.count for r in s.summary(windows[0].mask(s))) == before["filtered_summary_total_count"]
    # the CLI's --since/--before, given the older file's newest id rather than a loaded snapshot
    assert window_since(101677, s, "leaky-2") == windows[2]
    assert window_before(90963, "leaky-1") == windows[0]
    assert window_before(series[0]) == windows[0] and window_before(7).label == "Objects allocated before @7"


def test_allocated_between_in_chunks_with_progress(monkeypatch):
    from heaptui.engine import snapshot as snapshot_module

    s = loaded("leaky-3")
    whole = s.allocated_between(101677, 104633)
    monkeypatch.setattr(snapshot_module, "PROGRESS_CHUNK", 1000)
    seen = []
    chunked = s.allocated_between(101677, 104633, lambda phase, done, total: seen.append(done))
    assert np.array_equal(whole, chunked) and int(whole.sum()) == int(((s.node_id > 101677) &
                                                                       (s.node_id <= 104633)).sum()) > 0
    assert len(seen) == -(-s.node_count // 1000) + 1 and seen[-1] == s.node_count


# ------------------------------------------------------------------ errors


def test_classify_error_kinds_messages_and_exit_codes(tmp_path: Path):
    truncated = Truncated("a.heapsnapshot", "truncated: the file ends early")
    assert classify_error(truncated) == Failure(
        "bad-input", "a.heapsnapshot: truncated: the file ends early (--salvage loads what is complete)", 1)
    assert classify_error(truncated, salvaging=True).message == "a.heapsnapshot: truncated: the file ends early"
    assert classify_error(SnapshotError("b", "not a\nheap  snapshot"), "ignored") == Failure(
        "bad-input", "b: not a heap snapshot", 1)
    assert classify_error(KeyboardInterrupt(), "a, b") == Failure("cancelled", "a, b: cancelled", 130)
    assert classify_error(Cancelled(), "a") == Failure("cancelled", "a: cancelled", 130)
    assert classify_error(MemoryError(), "a") == Failure("bad-input", "a: not enough memory to load", 1)
    missing = tmp_path / "missing"
    with pytest.raises(OSError) as caught:
        missing.open()
    assert classify_error(caught.value, str(missing)) == Failure("bad-input", f"{missing}: no such file", 1)
    with pytest.raises(json.JSONDecodeError) as bad_json:
        json.loads("{\n x")
    assert classify_error(bad_json.value, "p").message.startswith("p: not valid JSON (")
    assert classify_error(RuntimeError("bug\nhere"), "a") == Failure("internal",
                                                                     "a: internal error (RuntimeError: bug here)", 2)
    assert classify_error(RuntimeError("x")).message == "internal error (RuntimeError: x)"


def test_cli_reports_through_the_classification(tmp_path: Path):
    """A truncated file: one line with the --salvage hint, exit 1 (as before the move)."""
    from click.testing import CliRunner

    from heaptui.cli import main

    with gzip.open(fixture_path("tiny"), "rb") as f:
        text = f.read()
    cut = tmp_path / "cut.heapsnapshot"
    cut.write_bytes(text[: len(text) // 2])
    result = CliRunner().invoke(main, ["--no-cache", "summary", str(cut), "--no-progress"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"heaptui: {cut}: truncated") and lines[0].endswith(
        "(--salvage loads what is complete)")


# ------------------------------------------------------------------ progress and cancel


class CancelAfter:
    """A progress callback that raises Cancelled on its ``n``-th call (and counts the calls)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.calls += 1
        if self.calls == self.n:
            raise Cancelled()


def _comparison_rows(c) -> list:
    return [r.to_json() for r in c.rows]


def test_a_cancelled_comparison_and_leak_report_leave_the_snapshots_answering_as_before():
    from heaptui.engine import load_snapshot

    series = [load_snapshot(fixture_path(f"leaky-{i}")) for i in (1, 2, 3)]  # own copies, not shared ones
    summaries = [[r.to_json() for r in s.summary()] for s in series]
    expected = _comparison_rows(compare(series[1], series[2]))
    full = CancelAfter(0)
    compare(series[1], series[2], progress=full)
    assert full.calls >= 6  # several steps reported
    for n in range(1, full.calls + 1):
        with pytest.raises(Cancelled):
            compare(series[1], series[2], progress=CancelAfter(n))
        assert _comparison_rows(compare(series[1], series[2])) == expected
    counted = CancelAfter(0)
    report = leak_report(*series, progress=counted)
    expected_leaks = report.to_json()
    assert counted.calls >= 4
    for n in (1, 2, counted.calls // 2, counted.calls):
        with pytest.raises(Cancelled):
            leak_report(*series, progress=CancelAfter(n))
    assert leak_report(*series).to_json() == expected_leaks
    assert expected_leaks["clusters"][0]["count"] == 200  # test_leaks: the request logs, 2 x 100 objects
    assert [[r.to_json() for r in s.summary()] for s in series] == summaries
    # the Comparison's oracle numbers still hold after the cancellations
    oracle = {r["name"]: r for r in comparison_oracle()["leaky-2..leaky-3"]["comparison"]}
    ours = {r["name"]: r for r in expected}
    assert ours["(compiled code)"]["new"] == oracle["(compiled code)"]["added_count"] == 1007


def test_retainer_paths_in_chunks_equal_one_call(monkeypatch):
    s = loaded("leaky-3")
    nodes = np.flatnonzero(s.shallow > 0)[:5000]
    whole = shortest_paths(s, nodes)
    monkeypatch.setattr(retainer_paths, "_PATH_CHUNK", 777)
    seen = []
    chunked = shortest_paths(s, nodes, lambda phase, done, total: seen.append(done))
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked))
    assert seen == [*range(0, 5000, 777), 5000]


def test_filter_mask_reports_and_can_be_cancelled():
    s = loaded("leaky-3")
    seen = []
    filter_mask(s, "duplicatedStrings", lambda phase, done, total: seen.append((done, total)))
    assert seen == [(0, 1), (1, 1)]
    with pytest.raises(Cancelled):
        filter_mask_for(s, parse_filter("contexts"), CancelAfter(1))


# ------------------------------------------------------------------ the package


def test_engine_package_imports_lazily():
    code = ("import sys, heaptui.engine as e\n"
            "assert 'numpy' not in sys.modules, 'numpy at import'\n"
            "from heaptui.engine import Cancelled, ProgressCallback, classify_error, format_size\n"
            "assert 'numpy' not in sys.modules, 'numpy for the light names'\n"
            "from heaptui.engine import load_snapshot, Snapshot\n"
            "assert set(e.__all__) <= set(dir(e))\n"
            "missing = [n for n in e.__all__ if getattr(e, n, None) is None]\n"
            "assert not missing, missing\n"
            "from heaptui.engine import cache_store\n"
            "try:\n    e.nothing\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('no error')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_loaded_snapshot_does_not_change(tmp_path):
    """Views and worker threads share a Snapshot: after loading, setting anything on it is an error; the index
    cache's adoption replaces arrays only by equal ones (values, dtype, shape)."""
    from heaptui.engine.cache import CacheOptions
    from heaptui.engine.load import load_snapshot

    s = loaded("tiny")
    retained = s.retained
    with pytest.raises(AttributeError, match="does not change"):
        s.retained = retained.copy()
    with pytest.raises(AttributeError, match="does not change"):
        s.classes = []
    assert s.retained is retained
    s.instances_index()  # a lazy index is still built when first asked for
    assert s.instances_ready

    options = CacheOptions(directory=str(tmp_path / "cache"), min_source_size=0, background=False)
    fresh = load_snapshot(fixture_path("tiny"), cache=options)
    mapped = load_snapshot(fixture_path("tiny"), cache=options)
    assert "cache" in mapped.timings and "writing cache" in fresh.timings  # the second came from the cache file
    assert np.array_equal(fresh.retained, mapped.retained)
    shorter = type("Other", (), {"retained": mapped.retained[:-1]})()
    with pytest.raises(ValueError, match="does not match"):
        fresh.adopt_arrays(shorter, ("retained",))
    assert fresh.retained.shape == mapped.retained.shape
