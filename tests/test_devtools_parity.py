"""heaptui's numbers are DevTools' numbers: every node, every class, on real snapshots.

The expected values were printed by DevTools' own heap snapshot worker
(tests/oracle), an implementation independent of heaptui's.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import devtools, loaded


def printable(text: str) -> str:
    """Lone surrogates as U+FFFD, as the oracle's JSON carries them."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


FIXTURES = ["leaky-2", "leaky-3", "mixed", "chromium-1", "chromium-2"]  # Node 20 and Chromium 156


@pytest.mark.parametrize("name", FIXTURES)
def test_every_node_matches_devtools(name):
    s, dt = loaded(name), devtools(name)["nodes"]
    assert np.array_equal(s.node_id, np.array(dt["id"], dtype=np.uint32))
    assert np.array_equal(s.shallow, np.array(dt["self_size"]))
    assert np.array_equal(s.retained, np.array(dt["retained_size"]))
    assert np.array_equal(s.distances, np.array(dt["distance"]))
    assert np.array_equal(s.node_id[s.dominator], np.array(dt["dominator_id"], dtype=np.uint32))
    assert [s.class_info(v).key for v in range(s.node_count)] == dt["class_key"]


@pytest.mark.parametrize("name", FIXTURES)
def test_display_names_match_devtools(name):
    s, dt = loaded(name), devtools(name)["nodes"]
    mismatches = [v for v in range(s.node_count) if s.name(v) != dt["name"][v]]
    assert mismatches == []


@pytest.mark.parametrize("name", FIXTURES)
def test_summary_matches_devtools(name):
    s, dt = loaded(name), devtools(name)
    ours = [(r.info.key, r.name, r.count, r.distance, r.shallow_size, r.retained_size) for r in s.summary()]
    theirs = [(r["key"], r["name"], r["count"], r["distance"], r["shallow_size"], r["retained_size"])
              for r in dt["summary"]]
    assert ours == theirs
    assert s.total_size == dt["total_size"]


@pytest.mark.parametrize("name", FIXTURES)
def test_statistics_match_devtools(name):
    st, dt = loaded(name).statistics, devtools(name)["statistics"]
    assert (st.total, st.v8heap, st.native) == (dt["total"], dt["v8heap"]["total"], dt["native"]["total"])
    assert (st.code, st.strings, st.js_arrays, st.system, st.typed_arrays) == (
        dt["v8heap"]["code"], dt["v8heap"]["strings"], dt["v8heap"]["jsArrays"], dt["v8heap"]["system"],
        dt["native"]["typedArrays"])
    assert st.other_js == dt["ui_records"]["other_js_objects"]
    assert st.other_native == dt["ui_records"]["other_non_js_objects"]


@pytest.mark.parametrize("name", FIXTURES)
def test_retainers_in_devtools_order(name):
    s, dt = loaded(name), devtools(name)
    assert len(dt["objects"]) >= 50
    for obj in dt["objects"]:
        v = s.node_for_id(obj["id"])
        ours = [(int(s.node_id[r.node]), r.edge_type, r.edge_name, r.distance) for r in s.retainers(v)]
        theirs = [(r["node_id"], r["edge_type"], str(r["edge_name"]), r["distance"]) for r in obj["retainers"]]
        assert ours == theirs, f"retainers of @{obj['id']}"
        assert printable(s.name(v)) == printable(obj["name"])
        assert s.class_info(v).key == obj["class_key"]


def test_interface_definitions_match_devtools():
    s, dt = loaded("mixed"), devtools("mixed")
    assert [d.name for d in s.interfaces] == [d["name"] for d in dt["interface_definitions"]]
    assert [list(d.properties) for d in s.interfaces] == [d["properties"] for d in dt["interface_definitions"]]


def test_retainer_pages_agree_with_the_full_order():
    """Paging (only the rows read are ordered) gives the same rows as ordering all of them."""
    import numpy as np

    s = loaded("leaky-3")
    counts = np.diff(s.first_retainer)
    for v in np.argsort(-counts)[:8]:
        whole = s.retainer_list(int(v))
        expected = list(zip(*whole.slice(0, len(whole))))
        paged = s.retainer_list(int(v))
        got = []
        for start in range(0, len(paged), 7):
            got += list(zip(*paged.slice(start, start + 7)))
        assert [tuple(map(int, r)) for r in got] == [tuple(map(int, r)) for r in expected]


@pytest.mark.parametrize("name", FIXTURES)
def test_edges_in_devtools_order(name):
    """An object's properties as the Containment and Summary grids list them (retained size, then name)."""
    from heaptui.engine.containment import EdgeList

    s, dt = loaded(name), devtools(name)
    for obj in dt["objects"]:
        v = s.node_for_id(obj["id"])
        found = EdgeList(s, v)
        ours = [(s.edge_type_name(int(e)), s.edge_name_of(int(e)), int(s.node_id[s.edge_to[e]]))
                for e in found.slice(0, len(found))]
        theirs = [(e["edge_type"], str(e["edge_name"]), e["node_id"]) for e in obj["edges"]]
        assert ours == theirs, f"edges of @{obj['id']}"
