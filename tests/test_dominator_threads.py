"""The dominator pass with its semidominators on two threads gives the one-thread pass's arrays, bit for bit.

:func:`heaptui.engine.dominators.dominator_tree` hands the semidominators'
edge lookups to a second thread in chunks; the one-thread kernel
(``serial_dominator_tree``, itself checked against networkx and DevTools by
test_graph_rules and test_devtools_parity) is the reference. Tiny chunks make
every chunk boundary, vertices cut into pieces and orphans happen on real
snapshots.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import heaptui.engine.dominators as dominators
import heaptui.engine.index as index
from builder import node_like
from conftest import fixture_path
from heaptui.engine import load_snapshot
from heaptui.engine.jit import as_python

# (chunk_nodes, chunk_vertices): one retaining node a chunk (every vertex with two cut in pieces), one vertex a
# chunk, a few of each, and the load's own sizes.
CHUNK_SIZES = [(1, 1), (1, 3), (2, 1), (3, 2), (5, 64), (64, 5), (dominators.CHUNK_NODES, dominators.CHUNK_VERTICES)]


def _inputs(path, monkeypatch) -> tuple:
    """The arguments a load of ``path`` passes to the dominator pass (its essential bits, retainers, scratch)."""
    calls: list[tuple] = []

    def recording(*args):
        calls.append(args)
        return dominators.dominator_tree(*args)

    with monkeypatch.context() as patch:
        patch.setattr(index, "dominator_tree", recording)
        load_snapshot(path)
    (args,) = calls
    return args


def _serial(args) -> tuple:
    *inputs, scratch = args
    dominator, order, orphans, unreachable = dominators.serial_dominator_tree(*inputs, np.empty_like(scratch))
    return dominator.copy(), order.copy(), orphans, unreachable


def _threaded(args, chunk_nodes: int, chunk_vertices: int) -> tuple:
    *inputs, scratch = args
    return dominators.dominator_tree(*inputs, np.empty_like(scratch), chunk_nodes, chunk_vertices)


def _assert_same(got, expected) -> None:
    assert got[0].dtype == expected[0].dtype and np.array_equal(got[0], expected[0]), "dominators"
    assert got[1].dtype == expected[1].dtype and np.array_equal(got[1], expected[1]), "DFS order"
    assert (got[2], got[3]) == (expected[2], expected[3]), "orphans, unreachable"


def _essential_retainer_counts(args) -> np.ndarray:
    """Per node, how many of its retainer edges retain (an independent count, with numpy)."""
    _, first_edge, _, first_retainer, retainer_edge, essential, _ = args
    bits = np.unpackbits(essential, bitorder="little")[retainer_edge].astype(np.int64)
    sums = np.concatenate(([0], np.cumsum(bits)))
    return sums[first_retainer[1:]] - sums[first_retainer[:-1]]


@pytest.mark.parametrize("name", ["chromium-1", "runtime-deno2", "runtime-bun1", "leaky-3"])
def test_two_threads_give_the_one_thread_tree_on_real_snapshots(name, monkeypatch):
    args = _inputs(fixture_path(name), monkeypatch)
    expected = _serial(args)
    counts = _essential_retainer_counts(args)
    # What the chunk sizes below exercise is there: vertices with many retaining edges (cut into pieces), and
    # orphans (no retaining edge at all) in the snapshots from Chromium, Deno and Bun.
    assert counts.max() > 100
    assert expected[2] == (0 if name == "leaky-3" else int(((counts == 0) & (np.arange(len(counts)) != args[0])).sum()))
    if name != "leaky-3":
        assert expected[2] > 0
    largest = int(counts.max())
    for chunk_nodes, chunk_vertices in [*CHUNK_SIZES, (largest // 3, 7), (largest - 1, 1 << 16)]:
        _assert_same(_threaded(args, chunk_nodes, chunk_vertices), expected)


def test_two_threads_give_the_one_thread_tree_with_unreachable_nodes(tmp_path, monkeypatch):
    """DevTools' fallback (buckets) for a clique nothing reaches, beside an orphan held only weakly."""
    b, root, gc, glob = node_like()
    a = b.node("object", "A", 1)
    c = b.node("object", "C", 2)
    b.edge(glob, "property", "a", a)
    b.edge(a, "property", "c", c)
    b.edge(c, "property", "a", a)
    weakly = b.node("object", "Weakly", 3)
    b.edge(glob, "weak", "w", weakly)
    lost1 = b.node("object", "Lost1", 4)
    lost2 = b.node("object", "Lost2", 8)
    b.edge(lost1, "property", "x", lost2)
    b.edge(lost2, "property", "y", lost1)
    args = _inputs(b.write(tmp_path / "s.heapsnapshot"), monkeypatch)
    expected = _serial(args)
    assert (expected[2], expected[3]) == (1, 2)
    assert expected[0][weakly] == root and expected[0][lost1] == root and expected[0][lost2] == root
    assert expected[0][c] == a
    for chunk_nodes, chunk_vertices in CHUNK_SIZES:
        _assert_same(_threaded(args, chunk_nodes, chunk_vertices), expected)


def test_two_threads_give_the_one_thread_tree_as_python(monkeypatch):
    """A first run's small load runs the kernels as Python: the producer thread does too, with the same result."""
    args = _inputs(fixture_path("runtime-bun1"), monkeypatch)
    expected = _serial(args)
    with as_python(["dominators", "dfs", "retaining"]):
        got = _threaded(args, 7, 5)
    _assert_same(got, expected)


def _run_bounded(function) -> BaseException | None:
    """Run ``function`` on a thread; its error, or a failure if it does not end within a minute."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the dominator pass hung after one of its threads failed"
    return errors[0] if errors else None


def _producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "heaptui-retaining nodes"]


def test_an_error_on_the_producer_thread_is_raised_not_waited_for(monkeypatch):
    args = _inputs(fixture_path("runtime-bun1"), monkeypatch)

    def failing(*_args):
        raise RuntimeError("lookup failed")

    monkeypatch.setattr(dominators, "retaining_nodes", failing)
    error = _run_bounded(lambda: _threaded(args, 5, 3))
    assert isinstance(error, RuntimeError) and str(error) == "lookup failed"


def test_an_error_on_the_consumer_thread_is_raised_and_the_producer_stops(monkeypatch):
    args = _inputs(fixture_path("runtime-bun1"), monkeypatch)
    calls = 0
    chunk_semidominators = dominators.chunk_semidominators

    def failing_later(*chunk_args):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("evaluation failed")
        return chunk_semidominators(*chunk_args)

    monkeypatch.setattr(dominators, "chunk_semidominators", failing_later)
    error = _run_bounded(lambda: _threaded(args, 5, 3))
    assert isinstance(error, RuntimeError) and str(error) == "evaluation failed"
    deadline = time.monotonic() + 60
    while _producers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _producers(), "the producer thread went on after the consumer's error"


def test_the_retaining_node_of_every_edge_with_runs_of_nodes_without_edges():
    """The block tables' lookup against numpy's binary search: nodes without edges between two edges of one fine
    block (more than the forward steps, more than a uint8 offset can skip), nodes with hundreds of edges."""
    from heaptui.engine.kernels.retaining import _retaining_node, edge_blocks

    rng = np.random.default_rng(7)
    counts = rng.choice([0, 0, 0, 1, 2, 3, 5, 17, 300], size=20_000).astype(np.int64)
    counts[100:400] = 0  # 300 nodes without edges in a row: more than _FAR from the block's first node
    counts[1000:1020] = 0  # 20: more than _STEPS
    for dtype in (np.int32, np.int64):
        first_edge = np.concatenate(([0], np.cumsum(counts))).astype(dtype)
        block_source, block_offset = edge_blocks(first_edge)
        assert (block_offset == 255).any() and (block_offset < 255).any()
        edges = np.arange(int(first_edge[-1]))
        expected = np.searchsorted(first_edge, edges, side="right") - 1
        got = np.array([_retaining_node(e, first_edge, block_source, block_offset) for e in edges.tolist()])
        assert np.array_equal(got, expected)


@pytest.mark.parametrize("name", ["chromium-1", "runtime-deno2", "runtime-bun1", "leaky-3"])
def test_the_parents_found_from_the_edges_are_the_walks_own(name, monkeypatch):
    """Step 3's DFS parents, found again from the edges (the last-numbered essential retainer numbered before a
    vertex; none: the root), are the parents the walk itself recorded, for every vertex, orphans included, in
    either half of the vertices."""
    from heaptui.engine.kernels.dfs import dfs_numbering, dfs_parents, number_vertices

    root, first_edge, edge_to, first_retainer, retainer_edge, essential, scratch = _inputs(
        fixture_path(name), monkeypatch
    )
    ancestor, vertex, walked, _, n, orphans, unreachable = dfs_numbering(
        root, first_edge, edge_to, first_retainer, retainer_edge, essential, np.empty_like(scratch)
    )
    assert unreachable == 0 and n == len(first_edge) - 1
    walked = walked.copy()
    number_vertices(n, vertex, ancestor)
    found = np.full(n + 1, -7, dtype=np.int32)
    half = (n + 1) // 3
    dfs_parents(root, first_edge, edge_to, essential, ancestor, vertex, found, 0, half)
    dfs_parents(root, first_edge, edge_to, essential, ancestor, vertex, found, half, n + 1)
    r = root + 1
    assert found[r] == r and walked[r] == 0  # the walk ends above the root; step 3 never reads the root's
    others = np.arange(1, n + 1) != r
    assert np.array_equal(found[1:][others], walked[1:][others])
    # Not trivially the root: most parents are other vertices, and the orphans' walks start at the root.
    assert (found[1:][others] != r).sum() > n // 2
    assert orphans == 0 or (found == r).sum() > orphans
