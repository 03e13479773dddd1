"""Bad input: one line naming the file and the problem, a non-zero exit, never a traceback or a hang."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from builder import node_like
from conftest import fixture_path
from heaptui.cli import main
from heaptui.engine import SnapshotError, load_snapshot


def small_snapshot_text() -> str:
    b, root, gc, glob = node_like()
    a = b.node("object", "A", 10)
    b.edge(glob, "property", "a", a)
    return b.to_json()


def expect_error(path, *words: str) -> str:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    for word in words:
        assert word in message
    return message


CASES = {
    "empty file": ("", "empty file"),
    "not json": ("hello world", "not JSON"),
    "json array": ("[1, 2, 3]", "JSON array"),
    "other json": ('{"name": "package", "version": 1}', "no \"snapshot\" header"),
    "header only": ('{"snapshot": {"meta": {}}}', "not a V8 heap snapshot"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_not_a_snapshot(tmp_path, case):
    text, words = CASES[case]
    path = tmp_path / "bad.heapsnapshot"
    path.write_text(text)
    expect_error(path, words)


def _doc():
    return json.loads(small_snapshot_text())


def _write(tmp_path, doc) -> str:
    path = tmp_path / "bad.heapsnapshot"
    path.write_text(json.dumps(doc))
    return path


def test_node_count_disagrees(tmp_path):
    doc = _doc()
    doc["snapshot"]["node_count"] += 1
    expect_error(_write(tmp_path, doc), "meta disagrees", "node_count")
    doc["snapshot"]["node_count"] -= 2
    expect_error(_write(tmp_path, doc), "meta disagrees")


def test_edge_count_disagrees(tmp_path):
    doc = _doc()
    doc["snapshot"]["edge_count"] += 5
    expect_error(_write(tmp_path, doc), "meta disagrees")


def test_edge_pointing_outside_the_nodes(tmp_path):
    doc = _doc()
    doc["edges"][2] = 7 * 1000
    expect_error(_write(tmp_path, doc), "points outside the nodes")
    doc["edges"][2] = 7 * 2 + 3  # not a multiple of the node field count
    expect_error(_write(tmp_path, doc), "edge 0")


def test_unknown_node_type_and_string_index(tmp_path):
    doc = _doc()
    doc["nodes"][0] = 99
    expect_error(_write(tmp_path, doc), "type 99")
    doc = _doc()
    doc["nodes"][1] = 5000
    expect_error(_write(tmp_path, doc), "string")


def test_empty_snapshot(tmp_path):
    doc = _doc()
    doc["snapshot"].update(node_count=0, edge_count=0)
    doc["nodes"], doc["edges"] = [], []
    expect_error(_write(tmp_path, doc), "empty snapshot")


def test_bad_string_escape(tmp_path):
    text = small_snapshot_text().replace('"global"', '"glo\\qbal"')
    path = tmp_path / "bad.heapsnapshot"
    path.write_text(text)
    expect_error(path, "escape")


def test_negative_and_fractional_numbers(tmp_path):
    doc = _doc()
    text = json.dumps(doc).replace('"nodes": [9', '"nodes": [-9', 1)
    path = tmp_path / "bad.heapsnapshot"
    path.write_text(text)
    expect_error(path, "unexpected '-'")


def test_missing_and_directory(tmp_path):
    expect_error(tmp_path / "nope.heapsnapshot", "no such file")
    expect_error(tmp_path, "directory")


def test_broken_gzip(tmp_path):
    data = fixture_path("tiny").read_bytes()
    path = tmp_path / "cut.heapsnapshot.gz"
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated")
    path.write_bytes(data[:100] + b"\x00" * 100 + data[200:])
    with pytest.raises(SnapshotError):
        load_snapshot(path)


def test_truncated_anywhere(tmp_path):
    """A process killed while writing leaves a prefix: every prefix is an error, never a crash."""
    whole = gzip.decompress(fixture_path("tiny").read_bytes())
    path = tmp_path / "cut.heapsnapshot"
    cuts = sorted({int(len(whole) * f) for f in [i / 37 for i in range(37)]} | {1, 10, 200, len(whole) - 1})
    for cut in cuts:
        path.write_bytes(whole[:cut])
        expect_error(path)


def test_cli_prints_one_line_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text("[]")
    runner = CliRunner()
    for args in (["summary", str(bad)], ["stats", str(bad)], ["object", str(bad), "@1"],
                 ["summary", str(tmp_path / "missing")], [str(tmp_path / "missing")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("heaptui: "), result.output
        assert "Traceback" not in result.output


def test_cli_no_traceback_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text('{"snapshot": {"meta": {"node_fields": []}}, "nodes": [')
    proc = subprocess.run([sys.executable, "-m", "heaptui", "summary", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1 and str(bad) in proc.stderr


def test_the_command_ends_with_its_answer_and_its_status(tmp_path):
    """The console script leaves with os._exit: all output must be out, and every status kept."""
    a, b = fixture_path("leaky-2"), fixture_path("leaky-3")

    def heaptui(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "heaptui", *args], capture_output=True, text=True, timeout=120)

    args = ["--no-cache", "top", str(a), "--top", "3000", "--json"]  # 2.4 MB of output, many pipes' worth
    full, in_process = heaptui(*args), CliRunner().invoke(main, args)
    assert full.returncode == 0 and full.stdout == in_process.output and len(full.stdout) > 1_000_000
    assert heaptui("--no-cache", "diff", str(a), str(b), "--fail-on-growth", "1kB").returncode == 3
    assert heaptui("--no-cache", "summary", str(tmp_path / "missing")).returncode == 1
    assert heaptui("summary").returncode == 2  # click's usage error


def test_unknown_object_id(leaky3):
    result = CliRunner().invoke(main, ["object", str(fixture_path("leaky-3")), "@4"])
    assert result.exit_code == 1 and "no object @4" in result.output
    result = CliRunner().invoke(main, ["object", str(fixture_path("leaky-3")), "abc"])
    assert result.exit_code == 2 and "not a node id" in result.output


def test_too_big_for_the_free_memory_stops_unless_forced(monkeypatch):
    import heaptui.engine.estimate as estimate

    path = str(fixture_path("leaky-3"))
    needed = estimate.estimate(path)
    # The header's counts, read without loading: those of the loaded snapshot.
    from conftest import loaded

    assert (needed.nodes, needed.edges) == (loaded("leaky-3").node_count, loaded("leaky-3").edge_count)
    monkeypatch.setattr(estimate, "available_memory", lambda: needed.needed - 1)
    for args in (["summary", path], ["diff", path, path], [path]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        said = [line for line in result.output.splitlines() if "given 2 times" not in line]  # diff's warning
        assert len(said) == 1 and "--force" in said[0] and path in said[0]
    forced = CliRunner().invoke(main, ["summary", path, "--top", "1", "--force"])
    assert forced.exit_code == 0 and "Constructor" in forced.output
    monkeypatch.setattr(estimate, "available_memory", lambda: needed.needed + 1)
    assert CliRunner().invoke(main, ["summary", path, "--top", "1"]).exit_code == 0
    assert CliRunner().invoke(main, ["diff", path, path]).exit_code == 1  # two of them do not fit


def test_salvage_loads_what_a_killed_writer_left(tmp_path):
    """--salvage: a snapshot cut inside its edges or strings loads what is complete, and says what was lost."""
    from heaptui.engine.parse import LOST

    whole = gzip.decompress(fixture_path("leaky-3").read_bytes())
    full = load_snapshot(fixture_path("leaky-3"))
    edges_at, strings_at = whole.index(b'"edges":'), whole.index(b'"strings":')
    path = tmp_path / "cut.heapsnapshot"
    for cut, lost_part in ((strings_at + (len(whole) - strings_at) // 2, "strings"),
                           (edges_at + (strings_at - edges_at) // 3, "edges"), (strings_at - 20, "locations")):
        path.write_bytes(whole[:cut])
        with pytest.raises(SnapshotError, match="truncated"):
            load_snapshot(path)
        s = load_snapshot(path, salvage=True)
        assert s.node_count == full.node_count and len(s.lost) == 1 and lost_part in s.lost[0]
        assert np.array_equal(s.node_id, full.node_id) and np.array_equal(s.node_type, full.node_type)
        if lost_part == "edges":
            assert 0 < s.edge_count < full.edge_count
            assert np.array_equal(s.edge_to, full.edge_to[:s.edge_count])
        else:
            assert s.edge_count == full.edge_count
        if lost_part == "strings":  # the strings that were read keep their text
            assert s.strings[5] == full.strings[5]
            assert any(s.strings[int(i)] == LOST for i in np.unique(s.node_name))
        rows = s.summary()
        assert sum(r.count for r in rows) == sum(r.count for r in full.summary()) or lost_part == "edges"
        result = CliRunner().invoke(main, ["summary", str(path), "--salvage", "--top", "3"])
        assert result.exit_code == 0 and "salvaged a truncated snapshot" in result.output
        refused = CliRunner().invoke(main, ["summary", str(path)])
        assert refused.exit_code == 1 and "--salvage" in refused.output and refused.output.count("\n") == 1
    path.write_bytes(whole[: edges_at - 100])  # inside the nodes: nothing worth salvaging
    with pytest.raises(SnapshotError, match="truncated"):
        load_snapshot(path, salvage=True)


def test_ctrl_c_during_a_load_is_one_line_and_status_130(monkeypatch):
    import heaptui.engine.load as load_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(load_module, "_load_file", interrupted)
    result = CliRunner().invoke(main, ["--no-cache", "summary", str(fixture_path("leaky-3"))])
    assert result.exit_code == 130 and result.output.strip().endswith("cancelled")
    assert result.output.count("\n") == 1


def test_a_first_runs_reader_leaves_a_broken_gzip_to_the_regular_one(tmp_path):
    # Before the kernels are compiled, a small file is read with the json module first: a corrupt gzip made it
    # raise zlib's own error (a traceback) instead of handing the file to the reader that names the problem.
    from heaptui.engine.small_first_run import read_text

    data = fixture_path("tiny").read_bytes()
    path = tmp_path / "broken.heapsnapshot.gz"
    path.write_bytes(data[:100] + b"\x00" * 100 + data[200:])
    assert read_text(path) is None


def test_strings_containing_as_python_with_strings_shorter_than_the_text():
    # The first run's kernels run as Python, where uint32 offsets minus the text's length wrapped below zero.
    import numpy as np

    from heaptui.engine.jit import as_python, kernel

    blob = np.frombuffer(b"ab/ part of key (xx/ part of key (", dtype=np.uint8)
    starts = np.array([0, 2, 19], dtype=np.uint32)
    ends = np.array([2, 19, 34], dtype=np.uint32)
    needle = np.frombuffer(b" / part of key (", dtype=np.uint8)[1:]
    candidates = np.ones(3, dtype=np.bool_)
    with as_python(["scan"]):
        found = kernel("scan", "strings_containing")(blob, starts, ends, needle, candidates)
    assert found.tolist() == [1, 2]
    assert kernel("scan", "strings_containing")(blob, starts, ends, needle, candidates).tolist() == [1, 2]
