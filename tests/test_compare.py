"""Comparison (diff), the allocation filters and their CLI, on the leaky-server snapshots.

The expected counts are cross-checked two ways: a brute-force count over the
raw JSON of the files (objects matched by id with Python sets, no heaptui
code), and DevTools' own Comparison recorded by tests/oracle/make_comparison.py.
"""

from __future__ import annotations

import gzip
import json
from functools import cache

import pytest
from click.testing import CliRunner

from conftest import EXPECTED, fixture_path, loaded
from heaptui.cli import EXIT_GROWTH, main
from heaptui.engine.compare import base_classes, compare

N = 100


@cache
def raw_classes(name: str) -> dict[str, set[int]]:
    """Ids of the Date objects and of the plain objects with exactly the properties url and date."""
    with gzip.open(fixture_path(name), "rt", encoding="utf-8") as f:
        data = json.load(f)
    meta = data["snapshot"]["meta"]
    nf, ef = meta["node_fields"], meta["edge_fields"]
    node_types, edge_types = meta["node_types"][0], meta["edge_types"][0]
    nodes, edges, strings = data["nodes"], data["edges"], data["strings"]
    n, stride, estride = len(nodes) // len(nf), len(nf), len(ef)
    at = {f: nf.index(f) for f in nf}
    found: dict[str, set[int]] = {"Date": set(), "{url, date}": set()}
    e = 0
    for i in range(n):
        base = i * stride
        count = nodes[base + at["edge_count"]]
        kind = node_types[nodes[base + at["type"]]]
        name = strings[nodes[base + at["name"]]]
        if kind == "object" and nodes[base + at["self_size"]] > 0:
            if name == "Date":
                found["Date"].add(nodes[base + at["id"]])
            elif name == "Object":
                props = set()
                for k in range(e, e + count):
                    if edge_types[edges[k * estride + ef.index("type")]] == "property":
                        props.add(strings[edges[k * estride + ef.index("name_or_index")]])
                props.discard("__proto__")
                if props == {"url", "date"}:
                    found["{url, date}"].add(nodes[base + at["id"]])
        e += count
    return found


def devtools_comparison() -> dict:
    with gzip.open(EXPECTED / "comparison.devtools.json.gz", "rb") as f:
        return json.loads(f.read())


def rows_by_name(base: str, name: str) -> dict[str, object]:
    return {row.name: row for row in compare(loaded(base), loaded(name)).rows}


def test_comparison_counts_the_new_objects_of_each_round():
    for base, name in (("leaky-1", "leaky-2"), ("leaky-2", "leaky-3")):
        rows = rows_by_name(base, name)
        for cls in ("Date", "{url, date}"):
            new = raw_classes(name)[cls] - raw_classes(base)[cls]
            gone = raw_classes(base)[cls] - raw_classes(name)[cls]
            assert rows[cls].new_count == len(new) and rows[cls].deleted_count == len(gone) == 0
        assert rows["Date"].new_count == N
        assert rows["Date"].alloc_size == N * 96 and rows["Date"].size_delta == N * 96
    # The first round also creates the literal's template object (V8's boilerplate): 101, then 100.
    assert rows_by_name("leaky-1", "leaky-2")["{url, date}"].new_count == N + 1
    assert rows_by_name("leaky-2", "leaky-3")["{url, date}"].new_count == N


@pytest.mark.parametrize("pair", ["leaky-1..leaky-2", "leaky-2..leaky-3", "mixed..leaky-3"])
def test_comparison_matches_devtools_row_for_row(pair):
    expected = devtools_comparison()[pair]
    base, name = pair.split("..")
    comparison = compare(loaded(base), loaded(name))
    ours = [(r.key, r.name, r.new_count, r.deleted_count, r.alloc_size, r.freed_size) for r in comparison.rows]
    theirs = [(r["key"], r["name"], r["added_count"], r["removed_count"], r["added_size"], r["removed_size"])
              for r in expected["comparison"]]
    assert ours == theirs
    s, b = loaded(name), loaded(base)
    for i, row in enumerate(expected["comparison"][:40]):
        assert sorted(int(s.node_id[v]) for v in comparison.new_objects(i)) == row["added_ids"]
        assert sorted(int(b.node_id[v]) for v in comparison.deleted_objects(i)) == row["deleted_ids"]


def test_new_objects_are_listed_by_size_then_id_and_deleted_ones_come_from_the_base():
    comparison = compare(loaded("leaky-2"), loaded("leaky-3"))
    s = loaded("leaky-3")
    for i, row in enumerate(comparison.rows[:30]):
        nodes = comparison.new_objects(i)
        keys = [(-int(s.shallow[v]), int(s.node_id[v])) for v in nodes]
        assert keys == sorted(keys) and len(nodes) == row.new_count
        assert all(loaded("leaky-2").class_name(v) == row.name for v in comparison.deleted_objects(i))


def test_warnings_for_other_processes_and_the_wrong_order():
    assert compare(loaded("leaky-2"), loaded("leaky-3")).warnings == []
    other = compare(loaded("mixed"), loaded("leaky-3")).warnings
    assert len(other) == 1 and "different processes" in other[0]
    backwards = compare(loaded("leaky-3"), loaded("leaky-2")).warnings
    assert len(backwards) == 1 and "older than its base" in backwards[0]


def test_max_js_node_id_is_the_largest_odd_id():
    expected = devtools_comparison()
    for base, name in (("leaky-1", "leaky-2"), ("leaky-2", "leaky-3")):
        pair = expected[f"{base}..{name}"]
        for which, key in ((base, "base_max_js_node_id"), (name, "max_js_node_id")):
            s = loaded(which)
            odd = [int(i) for i in s.node_id if i % 2 == 1]
            assert s.max_js_node_id == max(odd) == pair[key]


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_diff_json_and_fail_on_growth():
    a, b = str(fixture_path("leaky-2")), str(fixture_path("leaky-3"))
    code, out = _cli("diff", a, b, "--json", "--no-progress")
    assert code == 0
    data = json.loads(out)
    rows = {r["name"]: r for r in data["classes"]}
    assert rows["Date"] == {"name": "Date", "new": N, "deleted": 0, "delta": N, "alloc_size": 9600,
                            "freed_size": 0, "size_delta": 9600}
    assert rows["{url, date}"]["new"] == N
    growth = data["total"]["size_delta"]
    assert growth == sum(r["size_delta"] for r in data["classes"]) > 0
    assert _cli("diff", a, b, "--fail-on-growth", str(growth), "--no-progress")[0] == 0
    code, out = _cli("diff", a, b, "--fail-on-growth", str(growth - 1), "--no-progress")
    assert code == EXIT_GROWTH and "grew by" in out
    assert _cli("diff", a, b, "--fail-on-growth", "1kB", "--no-progress")[0] == EXIT_GROWTH
    assert _cli("diff", a, b, "--fail-on-growth", "lots", "--no-progress")[0] == 2  # click's usage error


def test_diff_text_and_the_different_process_warning():
    code, out = _cli("diff", str(fixture_path("mixed")), str(fixture_path("leaky-3")), "--top", "3",
                     "--no-progress")
    assert code == 0
    assert "warning:" in out and "different processes" in out
    assert "# New" in out and "Size Delta" in out


def test_summary_since_and_before_are_devtools_allocation_filters():
    expected = devtools_comparison()
    for option, key in (("--since", "leaky-3 since leaky-2"), ("--before", "leaky-3 before leaky-1")):
        older = "leaky-2" if option == "--since" else "leaky-1"
        code, out = _cli("summary", str(fixture_path("leaky-3")), option, str(fixture_path(older)), "--json",
                         "--no-progress")
        assert code == 0
        data = json.loads(out)
        ours = [(r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"]) for r in data["classes"]]
        theirs = [(r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"])
                  for r in expected[key]["filtered_summary"]]
        assert ours == theirs
    rows = {r[0]: r for r in ours}
    assert "Date" not in rows  # nothing of the leak existed before the first snapshot
    code, out = _cli("summary", str(fixture_path("leaky-3")), "--since", str(fixture_path("leaky-2")), "--json",
                     "--no-progress")
    rows = {r["name"]: r for r in json.loads(out)["classes"]}
    assert rows["Date"]["count"] == N and rows["{url, date}"]["count"] == N


def test_summary_since_a_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text("[]")
    code, out = _cli("summary", str(fixture_path("tiny")), "--since", str(bad))
    assert code == 1 and out.count("\n") == 1 and str(bad) in out


def test_snapshots_of_different_formats_get_a_warning(tmp_path):
    from builder import NODE_FIELDS, node_like
    from heaptui.engine import load_snapshot

    paths = []
    for i, fields in enumerate((NODE_FIELDS, [f for f in NODE_FIELDS if f != "detachedness"])):
        b, _root, _gc, glob = node_like()
        thing = b.node("object", "Thing", 32)
        b.edge(glob, "property", "thing", thing)
        paths.append(b.write(tmp_path / f"s{i}.heapsnapshot", node_fields=fields))
    warnings = compare(load_snapshot(paths[0]), load_snapshot(paths[1])).warnings
    assert any("different snapshot formats" in w for w in warnings)


def test_the_comparison_leaves_the_base_snapshot_as_it_was():
    """The base's classes are named under the newer snapshot's definitions without adding to its strings.

    Node 22's snapshot named under Node 24's definitions gets four names it never had (checked: the fork the
    Comparison names them in is four strings longer), which used to be added to the base's own table.
    """
    base, newer = loaded("runtime-node22"), loaded("runtime-node24")
    strings, classes, summary = len(base.strings), list(base.classes), [r.to_json() for r in base.summary()]
    named = base_classes(base, newer)
    assert {c.name for c in named.classes} - {base.strings[i] for i in range(len(base.strings))}
    compare(base, newer)
    assert len(base.strings) == strings
    assert base.classes == classes and [r.to_json() for r in base.summary()] == summary
