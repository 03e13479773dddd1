"""Hostile input: mutated real snapshots load, or fail with heaptui's own error, never crash or hang.

The seed is a real Node snapshot (tests/fixtures/tiny) cut down to its first
nodes, the edges among them and the strings they use, so that each case loads
in milliseconds and thousands run in CI. Hypothesis then truncates it, flips
bytes, rewrites numbers (counts, indices, types) and splices bytes; every case
runs the whole load (the compiled passes included, which trust validated
input) and a few queries.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fixture_path
from heaptui.engine import SnapshotError
from heaptui.engine.load import build_index
from heaptui.engine.parse import read_snapshot_bytes

KEEP_NODES = 400
# CI runs a fixed set; HEAPTUI_FUZZ_CASES=50000 HEAPTUI_FUZZ_RANDOM=1 hunts by hand.
CASES = int(os.environ.get("HEAPTUI_FUZZ_CASES", 1500))
RANDOM = bool(os.environ.get("HEAPTUI_FUZZ_RANDOM"))


@cache
def seed() -> bytes:
    """The first KEEP_NODES nodes of a real snapshot, with their edges among themselves."""
    data = json.loads(gzip.decompress(fixture_path("tiny").read_bytes()))
    meta = data["snapshot"]["meta"]
    nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
    at_count, at_name = meta["node_fields"].index("edge_count"), meta["node_fields"].index("name")
    at_to, at_edge_name = meta["edge_fields"].index("to_node"), meta["edge_fields"].index("name_or_index")
    numbered = {i for i, t in enumerate(meta["edge_types"][0]) if t in ("element", "hidden")}
    nodes, edges = data["nodes"], data["edges"]
    out_nodes, out_edges, used = [], [], {0}
    e = 0
    for i in range(KEEP_NODES):
        row = nodes[i * nf:(i + 1) * nf]
        count = row[at_count]
        kept = [edges[k * ef:(k + 1) * ef] for k in range(e, e + count)
                if edges[k * ef + at_to] < KEEP_NODES * nf]
        e += count
        row[at_count] = len(kept)
        out_nodes += row
        used.add(row[at_name])
        for edge in kept:
            out_edges += edge
            if edge[0] not in numbered:
                used.add(edge[at_edge_name])
    remap = {old: new for new, old in enumerate(sorted(used))}
    for i in range(KEEP_NODES):
        out_nodes[i * nf + at_name] = remap[out_nodes[i * nf + at_name]]
    for k in range(len(out_edges) // ef):
        if out_edges[k * ef] not in numbered:
            out_edges[k * ef + at_edge_name] = remap[out_edges[k * ef + at_edge_name]]
    data["snapshot"]["node_count"] = KEEP_NODES
    data["snapshot"]["edge_count"] = len(out_edges) // ef
    data.update(nodes=out_nodes, edges=out_edges, strings=[data["strings"][i] for i in sorted(used)],
                locations=[], samples=[], trace_function_infos=[], trace_tree=[])
    return json.dumps(data, separators=(",", ":")).encode()


def load(blob: bytes) -> None:
    """Load, and ask what the views ask; only SnapshotError may come out."""
    try:
        s = build_index(read_snapshot_bytes(blob, "<fuzz>"), "<fuzz>")
    except SnapshotError as error:
        assert str(error).startswith("<fuzz>: ") and "\n" not in str(error)
        return
    rows = s.summary()
    s.instances_index()
    for v in range(0, s.node_count, max(1, s.node_count // 5)):
        s.retainers(v)
        s.name(v)
    assert sum(r.count for r in rows) <= s.node_count


def test_the_seed_loads():
    s = build_index(read_snapshot_bytes(seed(), "<seed>"), "<seed>")
    assert s.node_count == KEEP_NODES and s.edge_count > KEEP_NODES


NUMBER = re.compile(rb"-?[0-9]+")


class Case:
    """A mutated seed; its repr lists the mutations (the bytes are 30 kB)."""

    def __init__(self, blob: bytes, steps: list[str]) -> None:
        self.blob, self.steps = blob, steps

    def __repr__(self) -> str:
        return f"Case({self.steps})"


@st.composite
def mutated(draw) -> Case:
    blob = bytearray(seed())
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["truncate", "flip", "number", "splice", "delete"]))
        if not blob:
            break
        at = draw(st.integers(0, len(blob) - 1))
        if how == "truncate":
            del blob[at:]
            steps.append(f"truncate at {at}")
        elif how == "flip":
            value = draw(st.integers(0, 255))
            blob[at] = value
            steps.append(f"byte {at} = {value}")
        elif how == "number":
            found = NUMBER.search(bytes(blob), at)
            if found:
                value = draw(st.sampled_from([b"-1", b"0", b"1", b"7", b"4294967295", b"9999999999999",
                                              b"1.5", b"1e3", str(KEEP_NODES * 7).encode()]))
                steps.append(f"number at {found.start()} {found.group()!r} -> {value!r}")
                blob[found.start():found.end()] = value
        elif how == "splice":
            value = draw(st.sampled_from([b",", b"]", b"[", b"{", b"}", b'"', b"\\u", b"\\ud800", b"null",
                                          b"-", b"0,0,0"]))
            blob[at:at] = value
            steps.append(f"insert {value!r} at {at}")
        else:
            length = draw(st.integers(1, 64))
            del blob[at:at + length]
            steps.append(f"delete {length} at {at}")
    return Case(bytes(blob), steps)


@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=not RANDOM)
@given(mutated())
def test_mutated_snapshots_load_or_fail_cleanly(case):
    load(case.blob)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.integers(0, 10**9))
def test_truncated_at_any_byte(cut):
    blob = seed()
    load(blob[:cut % len(blob)])


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.integers(0, 10**9))
def test_salvaging_a_truncated_seed_loads_or_fails_cleanly(cut):
    blob = seed()[: cut % len(seed())]
    try:
        s = build_index(read_snapshot_bytes(blob, "<fuzz>", salvage=True), "<fuzz>")
    except SnapshotError as error:
        assert str(error).startswith("<fuzz>: ")
        return
    assert s.node_count == KEEP_NODES and len(s.lost) == 1
    s.summary()
    s.retainers(s.node_count - 1)
