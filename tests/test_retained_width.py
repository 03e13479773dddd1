"""Retained sizes in 32 bits when they fit, in 64 when they might not: DevTools' numbers either way.

A load stores retained sizes as uint32 when the shallow sizes add up to less than 4 GiB (``retained_dtype``), which
every fixture does; these tests run the other path too: forced on the fixtures (every answer must be the same), and
for real on snapshots whose sizes add up to more than 4 GiB (a fixture with every self size multiplied).
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import devtools, fixture_path, loaded
from heaptui.cli import main
from heaptui.engine import dominators, index
from heaptui.engine.load import load_snapshot


def test_a_load_writes_32_bit_retained_sizes_when_they_fit():
    s = loaded("leaky-3")
    assert int(s.shallow.sum(dtype=np.uint64)) < 1 << 32
    assert s.retained.dtype == np.uint32


def test_the_dominator_pass_writes_them_in_32_bits_itself(monkeypatch):
    """No 64-bit array of n on the way: the pass's scratch is 4 bytes a node, and the sizes are written into it."""
    scratches: list[np.ndarray] = []
    outs: list[np.ndarray] = []

    def tree(*args):
        scratches.append(args[-1])
        return dominators.dominator_tree(*args)

    def sizes(dominator, order, shallow, out):
        outs.append(out)
        return dominators.retained_sizes(dominator, order, shallow, out)

    monkeypatch.setattr(index, "dominator_tree", tree)
    monkeypatch.setattr(index, "retained_sizes", sizes)
    s = load_snapshot(fixture_path("leaky-3"))
    ((scratch,), (out,)) = scratches, outs
    assert scratch.nbytes == 4 * (s.node_count + 1)
    assert out.dtype == np.uint32 and np.shares_memory(out, scratch) and np.shares_memory(s.retained, scratch)


def _answers(tmp_path) -> dict[str, str]:
    """What the commands that show retained sizes print (JSON), on real fixtures."""
    runner = CliRunner()
    leaky = [str(fixture_path(f"leaky-{i}")) for i in (1, 2, 3)]
    chromium = str(fixture_path("chromium-2"))
    commands = {
        "summary": ["summary", leaky[2], "--json"],
        "summary chromium": ["summary", chromium, "--json"],
        "summary detached": ["summary", chromium, "--json", "--filter", "detached-dom"],
        "diff": ["diff", leaky[1], leaky[2], "--json"],
        "leaks": ["leaks", *leaky, "--json"],
        "top": ["top", leaky[2], "--json", "--top", "30"],
        "top chromium": ["top", chromium, "--json", "--top", "30"],
    }
    answers = {}
    for name, args in commands.items():
        result = runner.invoke(main, [*args, "--no-progress", "--no-cache"])
        assert result.exit_code == 0, (name, result.output)
        answers[name] = result.output
    for name, file in (("leaky-3", leaky[2]), ("chromium-2", chromium)):
        for item in json.loads(answers["top" if name == "leaky-3" else "top chromium"])["objects"][:8]:
            args = ["object", file, f"@{item['id']}", "--json", "--no-progress", "--no-cache"]
            result = runner.invoke(main, args)
            assert result.exit_code == 0, (args, result.output)
            answers[f"object {name} @{item['id']}"] = result.output
    return answers


def test_64_bit_retained_sizes_give_the_same_answers(tmp_path, monkeypatch):
    narrow = _answers(tmp_path)
    monkeypatch.setattr(dominators, "RETAINED_32_LIMIT", 0)  # no sum is below it: every load takes int64
    assert load_snapshot(fixture_path("leaky-3")).retained.dtype == np.int64
    wide = _answers(tmp_path)
    assert len(wide) == len(narrow) >= 20
    for name in narrow:
        assert wide[name] == narrow[name], name


def _scaled_copy(name: str, factor: int, path) -> None:
    """``name``'s snapshot with every node's self size multiplied by ``factor`` (the graph unchanged)."""
    with gzip.open(fixture_path(name), "rb") as f:
        snapshot = json.loads(f.read())
    fields = snapshot["snapshot"]["meta"]["node_fields"]
    step, at = len(fields), fields.index("self_size")
    nodes = snapshot["nodes"]
    for i in range(at, len(nodes), step):
        nodes[i] *= factor
    path.write_text(json.dumps(snapshot, separators=(",", ":")))


# (fixture, factor): Chromium (the shallow-size transfer, DOM state) and Node 22, each over 4 GiB in all once
# multiplied, no node over 4 GiB (self sizes are uint32 in heaptui as in V8's writer).
SCALED = [("chromium-1", 4096), ("runtime-node22", 1024)]


@pytest.mark.parametrize(("name", "factor"), SCALED)
def test_sizes_over_4_gib_in_all_take_64_bits_and_stay_exact(tmp_path, name, factor):
    """Dominators do not depend on sizes and every retained size is a sum of self sizes, so DevTools' numbers for
    the fixture, multiplied, are DevTools' numbers for the multiplied file (its worker, tests/oracle/run, prints
    them so: checked on both files). A uint32 would have wrapped the root's and the largest classes' sizes."""
    path = tmp_path / f"{name}-x{factor}.heapsnapshot"
    _scaled_copy(name, factor, path)
    dt = devtools(name)
    s = load_snapshot(path)
    total = int(s.shallow.sum(dtype=np.uint64))
    assert total == factor * sum(dt["nodes"]["self_size"]) and total >= 1 << 32
    assert s.retained.dtype == np.int64
    assert np.array_equal(s.retained, factor * np.array(dt["nodes"]["retained_size"], dtype=np.int64))
    assert int(s.retained[s.root]) == factor * dt["root_retained_size"] >= 1 << 32
    ours = [(r.info.key, r.count, r.shallow_size, r.retained_size) for r in s.summary()]
    theirs = [(r["key"], r["count"], factor * r["shallow_size"], factor * r["retained_size"]) for r in dt["summary"]]
    assert ours == theirs
    assert s.total_size == factor * dt["total_size"] and s.statistics.total == factor * dt["statistics"]["total"]
    # The JSON answers carry the exact values (Python ints: numpy scalars would not serialize).
    result = CliRunner().invoke(main, ["top", str(path), "--json", "--top", "5", "--no-progress", "--no-cache"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["snapshot"]["total_size"] == factor * dt["total_size"]
    theirs_by_id = dict(zip(dt["nodes"]["id"], dt["nodes"]["retained_size"]))
    objects = answer["objects"]
    assert [o["retained_size"] for o in objects] == [factor * theirs_by_id[o["id"]] for o in objects]
