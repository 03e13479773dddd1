"""The case heaptui must nail: a server that pushes {url, date: new Date()} into requestLogs.

leaky-1/2/3 were taken by tests/fixtures/leaky_server.js at start, after 100
requests and after 100 more. Counts were cross-checked by a plain JSON count of
the snapshot files (100 and 200 Date objects; 101 and 201 {url, date}, one of
them the template V8 keeps for the object literal).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import fixture_path, loaded
from heaptui.cli import main

N = 100


def _summary_json(name: str) -> dict:
    result = CliRunner().invoke(main, ["summary", str(fixture_path(name)), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_summary_counts_every_leaked_object():
    for name, requests in (("leaky-2", N), ("leaky-3", 2 * N)):
        data = _summary_json(name)
        rows = {row["name"]: row for row in data["classes"]}
        assert rows["Date"]["count"] == requests
        assert rows["{url, date}"]["count"] == requests + 1
        assert data["snapshot"]["node_count"] == loaded(name).node_count
    rows = {row["name"]: row for row in _summary_json("leaky-1")["classes"]}
    assert "Date" not in rows and "{url, date}" not in rows


def test_summary_json_shape_and_order():
    data = _summary_json("leaky-3")
    assert set(data["snapshot"]) == {"path", "node_count", "edge_count", "total_size"}
    sizes = [row["retained_size"] for row in data["classes"]]
    assert sizes == sorted(sizes, reverse=True)
    located = [row for row in data["classes"] if "location" in row]
    assert located and all(row["location"].count(":") == 2 for row in located)
    servers = [row for row in data["classes"] if row["name"] == "Server"]
    assert len(servers) == 2 and len({row["location"] for row in servers}) == 2  # node's http and net


def test_retainers_lead_from_date_to_request_logs():
    s = loaded("leaky-3")
    date_class = next(r for r in s.summary() if r.name == "Date").class_index
    date = int(s.instances(date_class)[0])
    result = CliRunner().invoke(main, ["object", str(fixture_path("leaky-3")), f"@{s.node_id[date]}", "--json"])
    assert result.exit_code == 0
    obj = json.loads(result.output)
    assert obj["class"] == "Date" and obj["self_size"] > 0 and obj["retained_size"] >= obj["self_size"]
    (entry,) = obj["retainers"]
    assert (entry["edge_type"], entry["edge_name"], entry["class"]) == ("property", "date", "{url, date}")
    entry_node = s.node_for_id(entry["id"])
    array = s.retainers(entry_node)[0]
    assert array.edge_type == "element" and s.class_name(array.node) == "Array"
    holder = s.retainers(array.node)[0]
    assert (holder.edge_type, holder.edge_name) == ("context", "requestLogs")
    assert s.class_name(holder.node) == "system / Context"
    assert s.distances[holder.node] < s.distances[array.node] < s.distances[entry_node] < s.distances[date]


def test_object_text_output():
    s = loaded("leaky-3")
    v = s.instances(next(r for r in s.summary() if r.name == "{url, date}").class_index)[0]
    result = CliRunner().invoke(main, ["object", str(fixture_path("leaky-3")), str(s.node_id[v])])
    assert result.exit_code == 0
    assert "{url, date}" in result.output and "element" in result.output and "Array" in result.output


def test_stats_json_keys():
    result = CliRunner().invoke(main, ["stats", str(fixture_path("leaky-3")), "--json"])
    data = json.loads(result.output)
    for key in (
        "total",
        "v8heap",
        "native",
        "code",
        "strings",
        "js_arrays",
        "typed_arrays",
        "system",
        "node_count",
        "edge_count",
    ):
        assert isinstance(data[key], int)
    assert data["total"] == data["v8heap"] + data["native"]


def test_top_limits_rows():
    result = CliRunner().invoke(main, ["summary", str(fixture_path("leaky-3")), "--top", "3", "--wide"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 2 + 3


def test_instances_in_devtools_order():
    """A class's instances: counted objects only, by retained size (largest first), then by id."""
    import numpy as np

    s = loaded("mixed")
    for row in s.summary()[:40]:
        nodes = s.instances(row.class_index)
        expected = np.flatnonzero((s.class_id == row.class_index) & (s.shallow > 0))
        expected = expected[np.lexsort((s.node_id[expected], -s.retained[expected].astype(np.int64)))]
        assert np.array_equal(nodes, expected) and len(nodes) == row.count
