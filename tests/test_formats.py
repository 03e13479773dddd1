"""What is merely unusual loads: other field orders, missing or unknown fields, odd strings."""

from __future__ import annotations

import gzip
import random

import numpy as np

from builder import NODE_FIELDS, node_like
from conftest import fixture_path, loaded
from heaptui.engine import load_snapshot


def _sample(b):
    b2, root, gc, glob = b
    a = b2.node("object", "Thing", 40)
    s = b2.node("string", "text \ud800 lone", 24)
    b2.edge(glob, "property", "thing", a)
    b2.edge(a, "property", "label", s)
    b2.locations.append((a, 7, 3, 14))
    return b2, a, s


def test_fields_in_another_order_and_unknown_fields(tmp_path):
    b, a, s = _sample(node_like())
    fields = NODE_FIELDS[:] + ["future_field"]
    random.Random(3).shuffle(fields)
    path = b.write(tmp_path / "shuffled.heapsnapshot", node_fields=fields,
                   edge_fields=["to_node", "type", "name_or_index"],
                   header_extra={"title": "x", "unknown_header": {"nested": [1, 2]}},
                   extra_sections={"scopes": [-1, 2, -3], "new_section": {"a": ["]", "["]}})
    snap = load_snapshot(path)
    assert snap.node_count == 5
    assert snap.class_name(a) == "Thing" and snap.class_info(a).location == (7, 3, 14)
    assert snap.retained[a] == 64
    assert snap.name(s) == "text \ud800 lone"


def test_old_format_without_trace_and_detachedness(tmp_path):
    b, a, s = _sample(node_like())
    path = b.write(tmp_path / "old.heapsnapshot", node_fields=["type", "name", "id", "self_size", "edge_count"])
    snap = load_snapshot(path)
    assert snap.node_trace_id is None and snap.detached is None
    assert snap.retained[a] == 64


def test_extra_native_bytes_count_in_total_and_native(tmp_path):
    b, a, s = _sample(node_like())
    snap = load_snapshot(b.write(tmp_path / "x.heapsnapshot", header_extra={"extra_native_bytes": 1000}))
    assert snap.total_size == int(snap.retained[snap.root]) + 1000
    assert snap.statistics.native == 1000 and snap.statistics.total == snap.total_size


def test_gzip_and_plain_give_the_same_index(tmp_path):
    plain = tmp_path / "tiny.heapsnapshot"
    plain.write_bytes(gzip.decompress(fixture_path("tiny").read_bytes()))
    a, b = load_snapshot(plain), loaded("tiny")
    assert np.array_equal(a.retained, b.retained) and np.array_equal(a.distances, b.distances)


def test_whitespace_layout_does_not_matter(tmp_path):
    b, a, s = _sample(node_like())
    text = b.to_json().replace(",", " ,\n\t").replace(":", " :  ")
    path = tmp_path / "spaced.heapsnapshot"
    path.write_text(text)
    assert load_snapshot(path).retained[a] == 64
