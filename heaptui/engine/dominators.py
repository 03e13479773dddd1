"""The dominator tree and retained sizes, by DevTools' rules.

Which edges retain (``computeIsEssentialEdge``): not weak edges, not self
edges, not shortcut edges except from the root, not the table's edge of a
WeakMap ephemeron pair (the key's edge is kept), and not edges from a node that
is not page-owned into a page-owned one.

The tree is built by the Lengauer-Tarjan algorithm exactly as DevTools runs it
(same depth-first order, same treatment of nodes reached only through weak
edges, which hang off the root, and of unreachable cliques), so that even in
those corner cases the retained sizes are DevTools' own.

The semidominators step waits on memory: per retainer edge it reads the edge,
its essential bit and the edges' offsets (to find the retaining node), then
the forest's links. :func:`dominator_tree` splits it in two halves that share
nothing they write: a second thread finds the retaining nodes of the next
vertices (:func:`retaining_nodes`) while this one evaluates the ones found
before (:func:`chunk_semidominators`), in small chunks, two of them in turn.
"""

from __future__ import annotations

import queue

import numpy as np

from .jit import kernel
from .threads import Beside

essential_edges = kernel("dominators", "essential_edges")


# An edge's retaining node is found from two tables (see kernels.retaining.edge_blocks): the node of the first edge
# of each block of 256 edges (int32: 0.6 MB on the 1 GB snapshot's 40M edges), and of each block of 16 edges as a
# count of nodes from its block of 256's (uint8: 2.5 MB), which leaves a step or two in one cache line of the edge
# offsets instead of a binary search over some 90 nodes: the producer's work went from 0.7 s to 0.3 s.
_BLOCK_SHIFT = 8
_FINE_SHIFT = 4
_STEPS = 16

# A chunk's retaining nodes and vertex entries (int32 each): 1.5 MB, some 5 ms of work on the 1 GB snapshot. Each
# handover wakes a thread, which on a busy machine can wait a few ms for a core: smaller chunks lost time there.
# Two (3 MB in all, small beside the pass's arrays of n): a third let the producer run ahead, for no time measured.
CHUNK_NODES = 1 << 18
CHUNK_VERTICES = 1 << 17
CHUNKS = 2

serial_dominator_tree = kernel("dominators", "dominator_tree")
dfs_numbering = kernel("dfs", "dfs_numbering")
immediate_dominators = kernel("dominators", "immediate_dominators")
number_vertices = kernel("dfs", "number_vertices")
dfs_parents = kernel("dfs", "dfs_parents")
edge_blocks = kernel("retaining", "edge_blocks")
start_forest = kernel("dominators", "start_forest")
retaining_nodes = kernel("retaining", "retaining_nodes")
chunk_semidominators = kernel("dominators", "chunk_semidominators")
retained_sizes = kernel("dominators", "retained_sizes")

# A node's retained size adds the shallow sizes of its dominator subtree, so the sum of all shallow sizes bounds
# every one of them: below this, uint32 holds them all exactly.
RETAINED_32_LIMIT = 1 << 32


def retained_dtype(shallow: np.ndarray) -> np.dtype:
    """The dtype of a snapshot's retained sizes: uint32 when they are sure to fit, int64 otherwise.

    uint32 when the shallow sizes add up to less than 4 GiB (every snapshot of a heap below that, i.e. nearly all):
    half the memory of int64, 56 MB on a 1 GB snapshot's 14M nodes, from the dominator pass on. The load writes
    them so directly (:func:`retained_sizes`), the index cache keeps and checks that dtype, and every
    reader widens them to int64 before negating, subtracting or summing them.
    """
    total = int(shallow.sum(dtype=np.uint64))
    return np.dtype(np.uint32) if total < RETAINED_32_LIMIT else np.dtype(np.int64)


def dominator_tree(
    root: int,
    first_edge: np.ndarray,
    edge_to: np.ndarray,
    first_retainer: np.ndarray,
    retainer_edge: np.ndarray,
    essential: np.ndarray,
    scratch: np.ndarray,
    chunk_nodes: int = CHUNK_NODES,
    chunk_vertices: int = CHUNK_VERTICES,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """What :func:`serial_dominator_tree` returns (the same arrays, bit for bit), its step 2 on two threads.

    ``chunk_nodes`` and ``chunk_vertices`` size the chunks (tests make them
    tiny, so that chunk boundaries and vertices cut in pieces are exercised).
    """
    ancestor, vertex, label, semi, n, orphans, unreachable = dfs_numbering(
        root, first_edge, edge_to, first_retainer, retainer_edge, essential, scratch
    )
    edges = (first_edge, first_retainer, retainer_edge, essential)
    if unreachable == 0:
        blocks = _semidominators_beside(n, root, vertex, edges, ancestor, label, semi, chunk_nodes, chunk_vertices)
        # Step 3 reads the DFS parents, which no array kept (see kernels.dominators.dfs_parents): found again
        # from the edges, the vertices split in two halves, one per thread.
        number_vertices(n, vertex, ancestor)
        size = label.shape[0]
        half = size // 2
        other = Beside(
            "DFS parents", dfs_parents, root, first_edge, edge_to, essential, ancestor, vertex, label, half, size
        )
        dfs_parents(root, first_edge, edge_to, essential, ancestor, vertex, label, 0, half)
        other.result()
    else:  # DevTools' fallback for unreachable cliques (small test graphs): all its steps in the next kernel
        start_forest(ancestor)
        blocks = edge_blocks(first_edge)
    dominator, order = immediate_dominators(
        n, root, unreachable, first_edge, edge_to, *edges[1:], *blocks, ancestor, vertex, label, semi, True
    )
    return dominator, order, orphans, unreachable


def _semidominators_beside(
    n: int,
    root: int,
    vertex: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ancestor: np.ndarray,
    label: np.ndarray,
    semi: np.ndarray,
    chunk_nodes: int,
    chunk_vertices: int,
) -> tuple[np.ndarray, np.ndarray]:
    """LT's step 2: a producer thread fills chunks with retaining nodes, this thread evaluates them in order.

    The producer reads only arrays nobody writes during the step (``vertex``,
    the edges, retainers and essential bits); the forest (``ancestor``,
    ``label``, ``semi``) is this thread's alone. A chunk passes between them
    through queues, whose locks also order the chunk's memory. Returns the
    tables of :func:`edge_blocks`, which the producer makes first.
    """
    nodes_size = min(chunk_nodes, max(edges[2].shape[0], 1))  # no more than the retainers
    vertices_size = min(chunk_vertices, max(n, 1))
    chunks = [(np.empty(nodes_size, dtype=np.int32), np.empty(vertices_size, dtype=np.int32)) for _ in range(CHUNKS)]
    free: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    filled: queue.SimpleQueue[tuple[int, int, int, bool] | None] = queue.SimpleQueue()
    for index in range(len(chunks)):
        free.put(index)

    def produce() -> tuple[np.ndarray, np.ndarray]:
        i, k = n, -1
        try:
            blocks = edge_blocks(edges[0])
            arrays = (*edges, *blocks)
            while i > 1:
                index = free.get()
                if index is None:  # the consumer stopped
                    break
                nodes, ends = chunks[index]
                entries, next_i, next_k = retaining_nodes(i, k, vertex, *arrays, nodes, ends)
                filled.put((index, i, entries, next_k >= 0))
                i, k = next_i, next_k
        finally:
            filled.put(None)
        return blocks

    producer: Beside[tuple[np.ndarray, np.ndarray]] = Beside("retaining nodes", produce)
    try:
        start_forest(ancestor)  # while the producer makes its tables and first chunk
        while (chunk := filled.get()) is not None:
            index, i, entries, continued = chunk
            nodes, ends = chunks[index]
            chunk_semidominators(i, entries, continued, root, vertex, nodes, ends, ancestor, label, semi)
            free.put(index)
    finally:
        free.put(None)  # a producer waiting for a chunk stops (after an error here)
    return producer.result()  # or its error, if it stopped on one
