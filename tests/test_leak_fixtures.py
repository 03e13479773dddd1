"""The leak report on the other leak shapes: EventEmitter listeners, closures, a bounded cache, collections.

Fixtures by tests/fixtures/{emitter_leak,closure_leak,bounded_cache,collections}.js,
three snapshots each (start, after 100 operations, after 100 more). Element
counts are cross-checked by reading the raw JSON (edges of the nodes with the
collections' ids, no heaptui code).
"""

from __future__ import annotations

import gzip
import json
from functools import cache

from conftest import fixture_path, loaded
from heaptui.engine.leaks import leak_report

N = 100


def report(name: str):
    return leak_report(*(loaded(f"{name}-{i}") for i in (1, 2, 3)))


def test_emitter_listeners_leak_is_the_first_path():
    first = report("emitter").clusters[0]
    assert ("bus → EventEmitter → _events → Object → config-changed → Array → [i] → Function → context → "
            "system / Context → ctx → RequestContext") in first.path_text
    assert first.classes["RequestContext"] == N and first.classes["Function"] == N


def test_closure_leak_is_one_cluster_through_the_closures_context():
    r = report("closure")
    first = r.clusters[0]
    assert "handlers → Object → session-" in first.path_text
    assert "→ Function → context → system / Context → session → Session" in first.path_text
    assert first.classes["Session"] == N and len(first.nodes) == N  # 100 keys, one cluster
    assert first.retained_size == r.retained_size


def test_bounded_cache_shows_no_leak():
    r = report("bounded")
    assert r.clusters == [] and r.retained_size == 0 and r.growing == []


@cache
def raw_counts(name: str) -> dict[int, dict[str, int]]:
    """Per node id: its element edges, its property edges (no __proto__) and the internal edges of its table."""
    with gzip.open(fixture_path(name), "rt", encoding="utf-8") as f:
        data = json.load(f)
    meta = data["snapshot"]["meta"]
    nf, ef = meta["node_fields"], meta["edge_fields"]
    edge_types = meta["edge_types"][0]
    nodes, edges, strings = data["nodes"], data["edges"], data["strings"]
    stride, estride = len(nf), len(ef)
    first = [0]
    for i in range(len(nodes) // stride):
        first.append(first[-1] + nodes[i * stride + nf.index("edge_count")])

    def edges_of(i: int):
        for k in range(first[i], first[i + 1]):
            yield (edge_types[edges[k * estride]], edges[k * estride + 1], edges[k * estride + 2] // stride)

    counts = {}
    for i in range(len(nodes) // stride):
        node_id = nodes[i * stride + nf.index("id")]
        c = {"element": 0, "property": 0, "table": 0}
        for kind, name, to in edges_of(i):
            if kind == "element":
                c["element"] += 1
            elif kind == "property" and strings[name] != "__proto__":
                c["property"] += 1
            elif kind == "internal" and strings[name] == "table":
                c["table"] = sum(1 for k2, n2, _ in edges_of(to) if k2 == "internal" and strings[n2] != "map")
        counts[node_id] = c
    return counts


def test_growing_collections_are_reported_and_the_controls_are_not():
    r = report("collections")
    s = r.final
    found = {s.class_name(g.node) if g.kind != "Object" else "Object": g for g in r.growing}
    assert {(g.kind, g.sizes) for g in r.growing} == {(k, (0, N, 2 * N)) for k in ("Array", "Map", "Set", "Object")}
    by_id = {int(s.node_id[g.node]): g for g in r.growing}
    raw = [raw_counts(f"collections-{i}") for i in (1, 2, 3)]
    for node_id, g in by_id.items():
        if g.kind == "Array":
            assert tuple(c[node_id]["element"] for c in raw) == g.sizes
        elif g.kind == "Object":
            assert tuple(c[node_id]["property"] for c in raw) == g.sizes
        elif g.kind == "Map":
            assert tuple(c[node_id]["table"] // 2 for c in raw) == g.sizes
        else:
            assert tuple(c[node_id]["table"] for c in raw) == g.sizes
    paths = sorted(g.path[-1].edge_label for g in r.growing)
    assert paths == ["growingArray", "growingMap", "growingObject", "growingSet"]
    assert "Map" in found
    # The leaked entries cluster by collection, each a path through its collection.
    assert len(r.clusters) == 4 and all(c.count == N for c in r.clusters)


def test_the_leaky_server_reports_request_logs_as_growing():
    growing = report("leaky").growing
    assert len(growing) == 1 and growing[0].kind == "Array" and growing[0].sizes == (0, N, 2 * N)
    assert growing[0].path[-1].edge_label == "requestLogs"
