"""Snapshots of a page in Chromium 156 (tests/fixtures/make_chromium.py): DOM classes, detached elements,
DevTools' Summary filters, duplicated strings and a Comparison, against DevTools' own figures and the page's
construction (tests/fixtures/chromium_expected.json). Every node's numbers: test_devtools_parity.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import FIXTURES, devtools, loaded
from heaptui.engine.compare import compare
from heaptui.engine.filters import (
    FILTERS,
    duplicated_string_groups,
    filter_mask,
    native_context_filter,
    native_context_label,
    native_contexts,
)

NAMES = ["chromium-1", "chromium-2"]
EXPECTED = json.loads((FIXTURES / "chromium_expected.json").read_text())
BUILT = {state["snapshot"].removesuffix(".heapsnapshot.gz"): state["by_construction"] for state in EXPECTED["states"]}


def classes(name: str, mask=None) -> dict[str, int]:
    return {row.name: row.count for row in loaded(name).summary(mask)}


@pytest.mark.parametrize("name", NAMES)
def test_the_format_is_read_from_meta(name):
    s = loaded(name)
    assert s.meta.node_fields == ("type", "name", "id", "self_size", "edge_count", "detachedness")
    assert "script_object_index" in s.meta.location_fields
    assert s.node_trace_id is None or not s.node_trace_id.any()


@pytest.mark.parametrize("name", NAMES)
def test_dom_elements_and_detached_ones_as_the_page_made_them(name):
    built, found = BUILT[name], classes(name)
    assert found["<li>"] == built["attached_li"] and found["Detached <li>"] == built["detached_li"]
    assert found["<span>"] == built["attached_span"] and found["Detached <span>"] == built["detached_span"]
    assert found["<button>"] == built["attached_button"]
    assert found["Detached <button>"] == built["detached_button"]
    assert found["Detached Text"] == built["detached_text_nodes"]
    for js_class in ("RowModel", "ClickState", "RowMeta", "Store"):
        assert found[js_class] == built[js_class], js_class


@pytest.mark.parametrize("name", NAMES)
def test_the_detached_nodes_are_a_bit_each_and_every_detached_named_node_has_one(name):
    # The snapshot keeps DevTools' detachedness (after propagation) as one bit per node: the nodes it names
    # "Detached <x>" are among them, and their count is the page's.
    s = loaded(name)
    assert s.detached is not None and s.detached.dtype == np.uint8 and s.detached.shape[0] == (s.node_count + 7) // 8
    bits = np.unpackbits(s.detached, count=s.node_count, bitorder="little").astype(bool)
    named = np.array([s.strings[int(i)].startswith("Detached ") for i in s.node_name])
    assert (named & ~bits).sum() == 0 and named.sum() > 0
    built = BUILT[name]
    assert bits.sum() >= built["detached_li"] + built["detached_span"] + built["detached_text_nodes"]


@pytest.mark.parametrize("name", NAMES)
def test_every_summary_filter_matches_devtools(name):
    s, dt = loaded(name), devtools(name)
    names = {f.name for f in FILTERS} | {native_context_filter(s, v) for v in native_contexts(s)}
    assert names == set(dt["filters"])
    for filter_name, rows in dt["filters"].items():
        ours = [
            (r.info.key, r.count, r.distance, r.shallow_size, r.retained_size)
            for r in s.summary(filter_mask(s, filter_name))
        ]
        theirs = [(r["key"], r["count"], r["distance"], r["shallow_size"], r["retained_size"]) for r in rows]
        assert sorted(ours) == sorted(theirs), filter_name
    labels = {native_context_filter(s, v): native_context_label(s, v) for v in native_contexts(s)}
    for filter_name, label in labels.items():
        assert label == dt["filter_info"][filter_name]["label"]
    assert {f.name: f.label for f in FILTERS} == {
        k: v["label"] for k, v in dt["filter_info"].items() if not k.startswith("nativeContext_")
    }


@pytest.mark.parametrize("name", NAMES)
def test_the_page_objects_each_filter_finds(name):
    """What the page holds only through each kind of retainer (DevTools shows the same, test above)."""
    built = BUILT[name]
    s = loaded(name)
    detached = classes(name, filter_mask(s, "objectsRetainedByDetachedDomNodes"))
    # the detached rows, and the click state their listeners hold
    assert detached["Detached <li>"] == built["detached_li"] == detached["ClickState"]
    assert classes(name, filter_mask(s, "objectsRetainedByConsole"))["ConsoleHeld"] == built["ConsoleHeld"]
    assert classes(name, filter_mask(s, "objectsRetainedByContexts"))["ContextHeld"] == built["ContextHeld"]
    # the attached rows' click states, held by their handlers only (the detached rows' ones count above)
    handlers = classes(name, filter_mask(s, "objectsRetainedByEventHandlers"))
    assert handlers["ClickState"] == built["click_listeners"] - built["click_listeners_on_detached_li"]


@pytest.mark.parametrize("name", NAMES)
def test_duplicated_strings_match_devtools_groups(name):
    s, dt = loaded(name), devtools(name)
    ours = sorted(
        (g.value, g.count, g.size, g.truncated, tuple(sorted(int(s.node_id[v]) for v in g.nodes)))
        for g in duplicated_string_groups(s)
    )
    theirs = sorted(
        (g["value"], g["count"], g["total_self_size"], g["truncated"], tuple(sorted(g["node_ids"])))
        for g in dt["duplicated_strings"]
    )
    assert ours == theirs
    payload = next(g for g in duplicated_string_groups(s) if g.value == BUILT[name]["duplicated_string"]["value"])
    assert payload.count == BUILT[name]["duplicated_string"]["copies"]


def test_comparison_of_two_chromium_snapshots_shows_the_growth():
    expected = devtools("chromium-2")["comparison"]
    comparison = compare(loaded("chromium-1"), loaded("chromium-2"))
    ours = [(r.key, r.name, r.new_count, r.deleted_count, r.alloc_size, r.freed_size) for r in comparison.rows]
    theirs = [
        (r["key"], r["name"], r["added_count"], r["removed_count"], r["added_size"], r["removed_size"])
        for r in expected
    ]
    assert ours == theirs
    grown = {r.name: r.delta for r in comparison.rows}
    before, after = BUILT["chromium-1"], BUILT["chromium-2"]
    assert grown["Detached <li>"] == after["detached_li"] - before["detached_li"]
    assert grown["RowModel"] == after["RowModel"] - before["RowModel"]
