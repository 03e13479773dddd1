"""The dominator tree and retained sizes, by DevTools' rules.

Which edges retain (``computeIsEssentialEdge``): not weak edges, not self
edges, not shortcut edges except from the root, not the table's edge of a
WeakMap ephemeron pair (the key's edge is kept), and not edges from a node that
is not page-owned into a page-owned one.

The tree is built by the Lengauer-Tarjan algorithm exactly as DevTools runs it
(same depth-first order, same treatment of nodes reached only through weak
edges, which hang off the root, and of unreachable cliques), so that even in
those corner cases the retained sizes are DevTools' own.
"""

from __future__ import annotations

from .jit import kernel

essential_edges = kernel("dominators", "essential_edges")


_BLOCK_SHIFT = 8


dominator_tree = kernel("dominators", "dominator_tree")
retained_sizes = kernel("dominators", "retained_sizes")
