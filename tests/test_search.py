"""Finding objects by edge name, string value and @id (heaptui/engine/search.py), checked against the raw JSON."""

from __future__ import annotations

import gzip
import json
from functools import cache

import pytest

from conftest import fixture_path, loaded
from heaptui.engine.errors import Cancelled
from heaptui.engine.search import EDGE, ID, STRING, matching_strings, search


@cache
def raw(name: str) -> dict:
    with gzip.open(fixture_path(name), "rb") as f:
        return json.load(f)


def raw_edges(name: str):
    """(holder id, edge type, edge name, target id) for every edge, read from the file with plain Python."""
    data = raw(name)
    meta = data["snapshot"]["meta"]
    nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
    nodes, edges, strings = data["nodes"], data["edges"], data["strings"]
    edge_types = meta["edge_types"][0]
    id_at, count_at = meta["node_fields"].index("id"), meta["node_fields"].index("edge_count")
    e = 0
    for n in range(0, len(nodes), nf):
        for _ in range(nodes[n + count_at]):
            kind = edge_types[edges[e]]
            label = edges[e + 1] if kind in ("element", "hidden") else strings[edges[e + 1]]
            yield nodes[n + id_at], kind, label, nodes[edges[e + 2] + id_at]
            e += ef


def raw_strings(name: str, query: str) -> set[int]:
    """Ids of string objects whose value contains ``query`` (case-insensitive), from the file."""
    data = raw(name)
    meta = data["snapshot"]["meta"]
    fields = meta["node_fields"]
    nf = len(fields)
    kinds = meta["node_types"][0]
    t, n_, i_ = fields.index("type"), fields.index("name"), fields.index("id")
    nodes, strings = data["nodes"], data["strings"]
    wanted = {"string", "concatenated string", "sliced string"}
    return {
        nodes[k + i_]
        for k in range(0, len(nodes), nf)
        if kinds[nodes[k + t]] in wanted and query.lower() in strings[nodes[k + n_]].lower()
    }


def test_an_edge_name_finds_the_object_behind_it_as_the_file_says():
    s = loaded("leaky-3")
    found = search(s, "requestLogs")
    expected = {
        (h, to)
        for h, kind, label, to in raw_edges("leaky-3")
        if isinstance(label, str) and "requestlogs" in label.lower()
    }
    got = {
        (int(s.node_id[h.holder]), int(s.node_id[h.node]))
        for h in found.hits
        if h.how == EDGE and "requestlogs" in h.text.lower()  # (the others have its letters in order)
    }
    assert got == expected and len(expected) >= 1
    first = found.hits[0]
    assert first.how == EDGE and first.text == "requestLogs" and s.class_name(first.node) == "Array"


def test_letters_in_order_find_an_edge_name():
    s = loaded("leaky-3")
    texts = {h.text for h in search(s, "reqlog").hits if h.how == EDGE}
    assert "requestLogs" in texts
    # Two letters are a substring match only.
    assert all("ur" in h.text.lower() for h in search(s, "ur").hits)


def test_a_string_value_finds_the_string_objects_that_contain_it():
    s = loaded("leaky-3")
    query = "/r/1"
    found = search(s, query)
    got = {int(s.node_id[h.node]) for h in found.hits if h.how == STRING}
    expected = raw_strings("leaky-3", query)
    assert got == expected and len(expected) >= 10  # /r/1, /r/10.., /r/100..: urls of requests
    assert all(query in h.text for h in found.hits if h.how == STRING)


def test_matching_strings_is_case_insensitive_and_exact():
    s = loaded("leaky-3")
    strings = raw("leaky-3")["strings"]
    expected = sorted(i for i, text in enumerate(strings) if "date" in text.lower() and text.isascii())
    got = [i for i in matching_strings(s, "DaTe").tolist() if strings[i].isascii()]
    assert got == expected


def test_an_id_finds_its_object():
    s = loaded("leaky-3")
    v = 1234
    found = search(s, f"@{int(s.node_id[v])}")
    assert [(h.node, h.how) for h in found.hits] == [(v, ID)]
    assert search(s, "@999999999999").hits == ()


def test_search_stops_when_its_progress_callback_cancels():
    s = loaded("leaky-3")
    phases = []

    def cancel(phase: str, done: int, total: int) -> None:
        phases.append(phase)
        if phase == "edges":
            raise Cancelled()

    with pytest.raises(Cancelled):
        search(s, "requestLogs", progress=cancel)
    assert phases[0] == "edge names"
