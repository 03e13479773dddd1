"""Snapshots of every runtime heaptui supports: Node 18, 20, 22 and 24, Deno 2 and Bun 1.

Each fixture is tests/fixtures/runtime_workload.mjs's heap, written by that runtime
(tests/fixtures/make_runtimes.sh). Every node, Summary row, statistic and sampled
object of each is checked against DevTools' own worker in test_devtools_parity.py;
here: the formats they come in (Node 24 and Deno write 6 node fields but Node 24
still lists 7 ``node_types``), what DevTools tolerates in ``meta``, the workload's
objects, a Comparison across runtimes, and the class-name collision DevTools loses
rows to (runtime-collision).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from builder import node_like
from conftest import RUNTIMES, devtools, fixture_path, loaded
from heaptui.cli import main
from heaptui.engine import SnapshotError, load_snapshot
from heaptui.engine.cache import CacheOptions
from heaptui.engine.compare import compare

WITH_TRACE = ("type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness")
WITHOUT_TRACE = ("type", "name", "id", "self_size", "edge_count", "detachedness")
# node_fields and the number of meta.node_types entries each runtime writes (read from the fixtures' headers).
FORMATS = {
    "runtime-node18": (WITH_TRACE, 7),
    "runtime-node20": (WITH_TRACE, 7),
    "runtime-node22": (WITH_TRACE, 7),
    "runtime-node24": (WITHOUT_TRACE, 7),
    "runtime-deno2": (WITHOUT_TRACE, 6),
    "runtime-bun1": (WITH_TRACE, 7),
}


def test_every_runtime_has_a_format_entry():
    assert sorted(FORMATS) == sorted(RUNTIMES)


@pytest.mark.parametrize("name", RUNTIMES)
def test_each_runtime_format_is_read_from_meta(name):
    s = loaded(name)
    fields, type_entries = FORMATS[name]
    assert s.meta.node_fields == fields
    assert len(s.meta.raw["meta"]["node_types"]) == type_entries
    assert s.node_count == devtools(name)["node_count"]


@pytest.mark.parametrize("name", RUNTIMES)
def test_the_workload_objects_on_every_runtime(name):
    """What runtime_workload.mjs made, counted by construction: 50 logged requests, 20 circles."""
    counts = {row.name: row.count for row in loaded(name).summary()}
    assert counts["RequestLog"] == 50
    assert counts["Circle"] == 20


@pytest.mark.parametrize("name", RUNTIMES)
def test_every_node_and_edge_type_the_runtime_writes_is_exercised(name):
    """The workload reaches each type the file declares, except the few a runtime never writes."""
    never_written = {
        "runtime-node20": {"wasm object"},  # wasm GC objects
        "runtime-deno2": {"hidden"},
        "runtime-bun1": {"array", "number", "native", "hidden edge", "weak edge"},  # JSC's export has none
    }.get(name, set())
    s = loaded(name)
    unused = {t for code, t in enumerate(s.meta.node_types) if not (s.node_type == code).any()}
    unused |= {f"{t} edge" for code, t in enumerate(s.meta.edge_types) if not (s.edge_type == code).any()}
    assert unused == never_written


def test_node24_summary_from_the_command_line():
    """`heaptui summary` refused Node 24's files ("meta.node_types does not match meta.node_fields")."""
    result = CliRunner().invoke(main, ["summary", "--json", str(fixture_path("runtime-node24"))])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["snapshot"]["node_count"] == devtools("runtime-node24")["node_count"] == 64_853
    dt_rows = devtools("runtime-node24")["summary"]
    assert [(r["name"], r["count"], r["retained_size"]) for r in out["classes"]] == [
        (r["name"], r["count"], r["retained_size"]) for r in dt_rows
    ]
    assert {r["name"]: r["count"] for r in out["classes"]}["RequestLog"] == 50


@pytest.mark.parametrize("name", ["runtime-node24", "runtime-deno2"])
def test_six_field_snapshots_reopen_from_the_index_cache(tmp_path, name):
    path = tmp_path / f"{name}.heapsnapshot.gz"
    shutil.copy(fixture_path(name), path)
    options = CacheOptions(directory=str(tmp_path / "cache"), min_source_size=0)
    first = load_snapshot(path, cache=options)
    again = load_snapshot(path, cache=options)
    assert "cache" in again.timings and "parse" not in again.timings
    assert again.meta.node_fields == WITHOUT_TRACE
    assert [r.to_json() for r in again.summary()] == [r.to_json() for r in first.summary()]
    assert np.array_equal(again.retained, first.retained) and np.array_equal(again.distances, first.distances)


# ---------------------------------------------------------------- Comparison across runtimes


@pytest.mark.parametrize("name", [n for n in RUNTIMES if "base" in devtools(n)])
def test_comparison_across_runtimes_matches_devtools(name):
    """Two processes and two formats (Node 22 -> 24: 7 -> 6 node fields): DevTools' rows all the same."""
    dt = devtools(name)
    comparison = compare(loaded(dt["base"]), loaded(name))
    ours = [(r.key, r.name, r.new_count, r.deleted_count, r.alloc_size, r.freed_size) for r in comparison.rows]
    theirs = [
        (r["key"], r["name"], r["added_count"], r["removed_count"], r["added_size"], r["removed_size"])
        for r in dt["comparison"]
    ]
    assert ours == theirs
    assert len(theirs) > 50


# ---------------------------------------------------------------- what DevTools tolerates in meta


def _small_doc(node_fields=WITH_TRACE) -> dict:
    b, root, gc, glob = node_like()
    a = b.node("object", "A", 10)
    c = b.node("closure", "f", 32)
    b.edge(glob, "property", "a", a)
    b.edge(glob, "property", "f", c)
    b.edge(c, "internal", "context", a)
    return json.loads(b.to_json(node_fields=list(node_fields)))


def _load(tmp_path, doc):
    path = tmp_path / "snapshot.heapsnapshot"
    path.write_text(json.dumps(doc))
    return load_snapshot(path)


def _numbers(s):
    return (
        [r.to_json() for r in s.summary()],
        s.retained.tolist(),
        s.distances.tolist(),
        s.node_id[s.dominator].tolist(),
    )


def test_node_types_may_list_more_entries_than_there_are_node_fields(tmp_path):
    """Node 24: trace_node_id left node_fields (6) but not node_types (7 entries); DevTools reads entry 0 only."""
    doc = _small_doc(WITHOUT_TRACE)
    doc["snapshot"]["meta"]["node_types"].append("number")
    assert len(doc["snapshot"]["meta"]["node_types"]) == 7
    assert _numbers(_load(tmp_path, doc)) == _numbers(_load(tmp_path, _small_doc(WITHOUT_TRACE)))
    doc["snapshot"]["meta"]["node_types"] = doc["snapshot"]["meta"]["node_types"][:1]  # fewer, too
    doc["snapshot"]["meta"]["edge_types"] = doc["snapshot"]["meta"]["edge_types"][:1]
    assert _numbers(_load(tmp_path, doc)) == _numbers(_load(tmp_path, _small_doc(WITHOUT_TRACE)))


def test_unknown_node_and_edge_fields_are_skipped(tmp_path):
    plain = _numbers(_load(tmp_path, _small_doc()))
    doc = json.loads(_builder_with_unknown_fields())
    assert _numbers(_load(tmp_path, doc)) == plain


def _builder_with_unknown_fields() -> str:
    b, root, gc, glob = node_like()
    a = b.node("object", "A", 10)
    c = b.node("closure", "f", 32)
    b.edge(glob, "property", "a", a)
    b.edge(glob, "property", "f", c)
    b.edge(c, "internal", "context", a)
    return b.to_json(
        node_fields=["type", "name", "future_field", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        edge_fields=["type", "name_or_index", "edge_flags", "to_node"],
    )


def test_optional_sections_may_be_missing(tmp_path):
    """No locations, samples, allocation traces or detachedness: DevTools loads such files, so does heaptui."""
    plain = _load(tmp_path, _small_doc(("type", "name", "id", "self_size", "edge_count")))
    doc = _small_doc(("type", "name", "id", "self_size", "edge_count"))
    for key in ("location_fields",):
        doc["snapshot"]["meta"].pop(key)
    for key in ("trace_function_count",):
        doc["snapshot"].pop(key)
    doc.pop("locations")
    assert _numbers(_load(tmp_path, doc)) == _numbers(plain)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda meta: meta["node_fields"].remove("self_size"), ("meta.node_fields", "'self_size'")),
        (lambda meta: meta["edge_fields"].remove("to_node"), ("meta.edge_fields", "'to_node'")),
        (lambda meta: meta.pop("node_types"), ("meta.node_types", "position 0")),
        (lambda meta: meta.__setitem__("edge_types", []), ("meta.edge_types", "position 0")),
        (lambda meta: meta["node_types"].__setitem__(0, "string"), ("meta.node_types", "not a list of names")),
    ],
)
def test_a_field_heaptui_needs_and_the_file_lacks_is_one_line_naming_it(tmp_path, change, words):
    doc = _small_doc()
    change(doc["snapshot"]["meta"])
    path = tmp_path / "bad.heapsnapshot"
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert all(word in message for word in words), message


# ---------------------------------------------------------------- where DevTools loses rows


def test_devtools_hides_closures_when_objects_are_named_function_and_heaptui_keeps_them():
    """DevTools classes closures under a 'Function' string it appends to the snapshot's strings, not the file's.

    runtime_collision.mjs made 25 objects whose constructor is the built-in Function (object nodes named
    'Function', no location) beside its closures: two internal class keys, one public key ',Function', and
    DevTools' aggregatesWithFilter() keeps the last (the 25 objects). heaptui shows one row with both,
    which is DevTools' row when its class indexes are made canonical (``--canonical-class-names``).
    """
    name = "runtime-collision"
    s, dt = loaded(name), devtools(name)
    ours = {r.info.key: (r.name, r.count, r.distance, r.shallow_size, r.retained_size) for r in s.summary()}
    canonical = {
        r["key"]: (r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"]) for r in dt["summary"]
    }
    shown = {
        r["key"]: (r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"])
        for r in dt["summary_as_shown"]
    }
    assert ours == canonical
    assert [r.info.key for r in s.summary()] == [r["key"] for r in dt["summary"]]
    # Counted independently: closures and the objects named Function, with a shallow size.
    closure, obj = s.meta.node_type("closure"), s.meta.node_type("object")
    closures = int(((s.node_type == closure) & (s.shallow > 0)).sum())
    named = [v for v in np.flatnonzero((s.node_type == obj) & (s.shallow > 0)) if s.raw_name(int(v)) == "Function"]
    assert len(named) == 25 and closures > 1000
    assert ours[",Function"][1] == closures + 25
    # DevTools as it ships: the same rows, except that ',Function' is the 25 objects only.
    assert shown[",Function"][1] == 25
    assert {k: v for k, v in shown.items() if k != ",Function"} == {k: v for k, v in ours.items() if k != ",Function"}
    # Every node's class key and numbers are DevTools' (canonical) ones.
    nodes = dt["nodes"]
    assert [s.class_info(v).key for v in range(s.node_count)] == nodes["class_key"]
    assert np.array_equal(s.retained, np.array(nodes["retained_size"]))
    assert np.array_equal(s.distances, np.array(nodes["distance"]))
