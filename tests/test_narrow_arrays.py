"""Two narrow per-item arrays: class ids in the narrowest type for the class count, 32-bit string hashes.

Class ids: the fixtures have 65 to 882 classes, so their ids are bytes (Node) or two bytes (Chromium, Deno); the
wider types are forced by lowering the limits, and every answer that reads class ids (Summary, filtered Summary,
instances, Comparison, Leaks) must come out identical to the byte-wide load's. String hashes: two texts found by
brute force to share a 32-bit hash must still be told apart everywhere a hash picks candidates.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_cache import from_cache, options

from builder import node_like
from conftest import fixture_path, loaded
from heaptui.engine import classes
from heaptui.engine.classes import class_id_dtype
from heaptui.engine.compare import compare
from heaptui.engine.filters import FILTERS, duplicated_string_groups, duplicated_strings, filter_mask
from heaptui.engine.instances import _group_by_class
from heaptui.engine.leaks import leak_report
from heaptui.engine.load import load_snapshot
from heaptui.engine.scan import hash_bytes
from heaptui.engine.small_first_run import python_kernels, read_small

LEAKY = ("leaky-1", "leaky-2", "leaky-3")
# (UINT8_CLASSES, UINT16_CLASSES) that force each wider type on every fixture.
FORCED = {"uint16": (0, 1 << 16), "int32": (0, 0)}
# Two texts whose stored bytes share a 32-bit hash (FNV-1a folded), found by trying "key%07d" for i < 2**18.
COLLIDING = ("key0063435", "key0098037")
COLLIDING_HASH = 0xC3A791BF


def test_the_class_id_type_is_the_narrowest_that_holds_every_class():
    widths = {count: class_id_dtype(count) for count in (0, 1, 256, 257, 65_536, 65_537, 1 << 24)}
    assert widths == {
        0: np.uint8,
        1: np.uint8,
        256: np.uint8,
        257: np.uint16,
        65_536: np.uint16,
        65_537: np.int32,
        1 << 24: np.int32,
    }


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("leaky-3", np.uint8), ("runtime-bun1", np.uint8), ("chromium-1", np.uint16), ("runtime-deno2", np.uint16)],
)
def test_a_load_keeps_a_byte_per_node_for_a_few_hundred_classes_two_for_more(name, dtype):
    s = loaded(name)
    assert s.class_id.dtype == dtype and s.class_id.nbytes == s.node_count * np.dtype(dtype).itemsize
    # Every id names a class, and every class has a node (the largest id is the last class).
    assert int(s.class_id.min()) == 0 and int(s.class_id.max()) == len(s.classes) - 1
    assert (len(s.classes) <= 256) == (dtype == np.uint8)


def test_the_instances_sort_widens_a_byte_wide_class_id_before_adding_one():
    """Class 255's count goes to first[256]: a uint8 255 + 1 would wrap to 0 (numpy keeps a scalar's type)."""
    class_id = np.array([255, 0, 255, 7], dtype=np.uint8)
    nodes = np.arange(4, dtype=np.int32)
    expected_first = np.zeros(257, dtype=np.int64)
    expected_first[1:8] = 1
    expected_first[8:256] = 2
    expected_first[256] = 4
    for kernel in (_group_by_class, _group_by_class.python):  # compiled, then as Python
        first, order = kernel(class_id, 256, nodes)
        assert np.array_equal(first, expected_first) and order.tolist() == [1, 3, 0, 2]


def _answers(snapshots):
    """What every view and command that reads class ids answers, as plain values."""
    summaries, instances, filtered = [], [], []
    for s in snapshots:
        summaries.append(s.summary())
        instances.append([s.instances(row.class_index).tolist() for row in s.summary()])
        filtered.append([s.summary(filter_mask(s, f.name)) for f in FILTERS])
    first, second, third = snapshots
    comparisons = []
    for base, name in ((first, third), (second, third)):
        comparison = compare(base, name)
        comparisons.append(
            [(r.key, r.name, r.new_count, r.deleted_count, r.alloc_size, r.freed_size) for r in comparison.rows]
        )
        comparisons.append(
            [
                (comparison.new_objects(i).tolist(), comparison.deleted_objects(i).tolist())
                for i in range(len(comparison.rows))
            ]
        )
    report = leak_report(first, second, third)
    leaks = [(c.path_text, c.count, c.retained_size, c.classes, list(c.nodes)) for c in report.clusters]
    return summaries, instances, filtered, comparisons, leaks, report.leaked_count, report.retained_size


@pytest.mark.parametrize("wider", sorted(FORCED))
def test_wider_class_ids_give_the_same_summary_instances_filters_diff_and_leaks(wider, monkeypatch):
    reference = [load_snapshot(fixture_path(name)) for name in LEAKY]
    assert all(s.class_id.dtype == np.uint8 for s in reference)
    expected = _answers(reference)
    assert expected[4] and all(expected[0])  # there are leaks and Summary rows to compare
    monkeypatch.setattr(classes, "UINT8_CLASSES", FORCED[wider][0])
    monkeypatch.setattr(classes, "UINT16_CLASSES", FORCED[wider][1])
    widened = [load_snapshot(fixture_path(name)) for name in LEAKY]
    for s, ref in zip(widened, reference):
        assert s.class_id.dtype == np.dtype(wider)
        assert np.array_equal(s.class_id, ref.class_id) and s.classes == ref.classes
    assert _answers(widened) == expected


@pytest.mark.parametrize("wider", sorted(FORCED))
def test_a_cached_index_keeps_its_class_id_type_and_another_type_is_not_believed(wider, tmp_path, monkeypatch):
    path = fixture_path("leaky-3")
    monkeypatch.setattr(classes, "UINT8_CLASSES", FORCED[wider][0])
    monkeypatch.setattr(classes, "UINT16_CLASSES", FORCED[wider][1])
    fresh = load_snapshot(path, cache=options(tmp_path))
    reopened = load_snapshot(path, cache=options(tmp_path))
    assert from_cache(reopened) and not from_cache(fresh)
    assert reopened.class_id.dtype == fresh.class_id.dtype == np.dtype(wider)
    assert reopened.strings.hashes.dtype == np.uint32
    assert reopened.summary() == fresh.summary() == loaded("leaky-3").summary()
    monkeypatch.undo()
    # Under the real limits the load makes byte-wide ids: a cache holding wider ones is another index, rebuilt.
    rebuilt = load_snapshot(path, cache=options(tmp_path))
    assert not from_cache(rebuilt) and rebuilt.class_id.dtype == np.uint8
    again = load_snapshot(path, cache=options(tmp_path))
    assert from_cache(again) and again.class_id.dtype == np.uint8 and again.summary() == fresh.summary()


def _colliding_snapshot(tmp_path) -> str:
    """Lone string objects of each colliding text, and two objects named after each (two classes)."""
    a, b = COLLIDING
    builder, root, gc_roots, glob = node_like()
    for k, text in enumerate((a, b, "other")):
        builder.edge(glob, "property", f"s{k}", builder.node("string", text, 32))
    for k, text in enumerate((a, a, b)):
        builder.edge(glob, "property", f"o{k}", builder.node("object", text, 16))
    return builder.write(tmp_path / "colliding.heapsnapshot")


def test_two_texts_sharing_a_32_bit_hash_are_never_taken_for_one(tmp_path):
    a, b = COLLIDING
    assert a != b
    for text in COLLIDING:
        assert int(hash_bytes(np.frombuffer(text.encode(), dtype=np.uint8))) == COLLIDING_HASH
    path = _colliding_snapshot(tmp_path)
    s = load_snapshot(path)
    with python_kernels():
        small = read_small(path)  # the first run's reader hashes in Python: the same 32 bits
    assert s.strings.hashes.dtype == small.strings.hashes.dtype == np.uint32
    assert np.array_equal(s.strings.hashes, small.strings.hashes)
    index_a, index_b = (s.strings.find_all(text).tolist() for text in COLLIDING)
    assert len(index_a) == len(index_b) == 1 and index_a != index_b
    assert s.strings.hashes[index_a[0]] == s.strings.hashes[index_b[0]] == COLLIDING_HASH
    assert s.strings[index_a[0]] == a and s.strings[index_b[0]] == b
    # The candidates by hash hold both; the bytes compared pick one.
    by_hash = s.strings.by_hash(np.array(index_a + index_b))
    assert by_hash == {COLLIDING_HASH: index_a + index_b}
    assert s.strings.find_all(a, by_hash).tolist() == index_a and s.strings.find_all(b, by_hash).tolist() == index_b
    assert np.flatnonzero(s.strings.mask_of([a])).tolist() == index_a
    # Two lone strings with one hash are not duplicates of each other (the duplicated-strings filter).
    assert duplicated_string_groups(s) == [] and not duplicated_strings(s).any()
    # Objects named after each text: two classes, counted apart.
    counts = {row.name: row.count for row in s.summary()}
    assert counts[a] == 2 and counts[b] == 1
