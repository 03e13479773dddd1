"""WeakMap pair names: which strings are marked, which pair each belongs to, and the kernels' lookup of them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import loaded
from heaptui.engine.jit import kernel

ephemeron_part = kernel("graph", "ephemeron_part")

# DevTools' tryParseWeakMapEdgeName, written out again here: the pair is the text after the leading number.
PAIR = re.compile(r"^\d+( / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\))$", re.S)


@pytest.mark.parametrize("name", ["chromium-1", "chromium-2"])
def test_the_marked_names_are_the_internal_edges_named_as_pairs(name):
    s = loaded(name)
    e = s.ephemerons
    internal = np.unique(s.edge_name[s.edge_type == s.types.internal_edge]).tolist()
    matches = {i: PAIR.match(s.strings[i]) for i in internal}
    expected = sorted(i for i, m in matches.items() if m)
    assert expected and e.names.tolist() == expected  # the fixture has WeakMap entries: the test can fail
    # Two names share a pair exactly when their texts after the number are equal; each pair's table id is its own.
    pair_of_text: dict[str, int] = {}
    for i in expected:
        part = e.part(i)
        assert pair_of_text.setdefault(matches[i].group(1), part) == part
        assert int(e.table_id[part]) == int(matches[i].group(2))
    assert len(pair_of_text) == e.part_count
    # The compiled lookup agrees with the Python one on every string an edge can name, marked or not (the marks
    # cover the file's strings, not the class names added later).
    named = range(min(len(s.strings), e.marks.size * 8))
    assert len(named) >= s.strings.file_count
    looked_up = [int(ephemeron_part(i, *e.lookup)) for i in named]
    assert looked_up == [e.part(i) for i in named]
    assert sum(p >= 0 for p in looked_up) == len(expected)


def test_no_pairs_mark_nothing():
    e = loaded("leaky-1").ephemerons
    assert e.part_count == 0 and e.names.size == 0 and not e.marks.any()
    assert e.marks.nbytes < len(loaded("leaky-1").strings) // 4  # a bit per string, not an int32
