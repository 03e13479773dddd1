"""The compiled kernels of :mod:`heaptui.engine.ownership` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..ownership import _MULTIPLE, _UNVISITED
from . import njit


@njit(cache=True, nogil=True)
def mark_page_owned(root, first_edge, edge_type, edge_to, is_dom_trees_root, shortcut_edge, element_edge, weak_edge):
    """A byte per node: 1 when DevTools' ``markPageOwnedNodes`` reaches it."""
    n = first_edge.shape[0] - 1
    owned = np.zeros(n, dtype=np.uint8)
    stack = np.empty(n, dtype=np.int32)
    top = 0
    for e in range(first_edge[root], first_edge[root + 1]):
        t = edge_type[e]
        w = edge_to[e]
        if t == element_edge:
            if not is_dom_trees_root[w]:
                continue
        elif t != shortcut_edge:
            continue
        # DevTools pushes an entry point once per edge; marking twice changes nothing.
        if not owned[w]:
            stack[top] = w
            top += 1
        owned[w] = 1
    while top > 0:
        top -= 1
        v = stack[top]
        for e in range(first_edge[v], first_edge[v + 1]):
            w = edge_to[e]
            if owned[w]:
                continue
            if edge_type[e] == weak_edge:
                continue
            owned[w] = 1
            stack[top] = w
            top += 1
    return owned


@njit(cache=True, nogil=True)
def _grown(stack):
    """``stack`` in an array twice its size."""
    bigger = np.empty(2 * stack.shape[0], dtype=stack.dtype)
    bigger[: stack.shape[0]] = stack
    return bigger


@njit(cache=True, nogil=True)
def transfer_shallow_sizes(self_size, is_ownable, is_no_owner, first_edge, edge_type, edge_to, weak_edge):
    """Turn ``self_size`` (in place) into DevTools' shallow sizes: owned nodes' sizes move to their owner.

    The sizes stay uint32, as in DevTools' own node array.

    ``is_ownable`` marks the nodes that can be owned (hidden, array, native
    ExternalStringData); ``is_no_owner`` the owners that take nothing (synthetic
    nodes and the root).
    """
    n = self_size.shape[0]
    owners = np.empty(n, dtype=np.uint32)
    for i in range(n):
        owners[i] = _UNVISITED if is_ownable[i] else i
    # DevTools puts every ordinary node on one worklist first (an array of n); the owners come out the same
    # in any order (each ownable node ends with the one owner that reaches it, or "multiple"), so here each
    # ordinary node's reach is walked before the next one's, on a stack as deep as one walk needs.
    worklist = np.empty(1024, dtype=np.int32)
    for source in range(n):
        if is_ownable[source]:
            continue
        worklist[0] = source
        top = 1
        while top > 0:
            top -= 1
            v = worklist[top]
            owner = owners[v]
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] == weak_edge:
                    continue
                w = edge_to[e]
                current = owners[w]
                if current == _UNVISITED:
                    owners[w] = owner
                elif current == w or current == owner or current == _MULTIPLE:
                    continue
                else:
                    owners[w] = _MULTIPLE
                if top == worklist.shape[0]:
                    worklist = _grown(worklist)
                worklist[top] = w
                top += 1
    for i in range(n):
        o = owners[i]
        if o == _UNVISITED or o == _MULTIPLE or o == i:
            continue
        if is_no_owner[o]:
            continue
        self_size[o] += self_size[i]
        self_size[i] = 0
    return self_size
