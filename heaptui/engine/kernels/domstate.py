"""The compiled kernels of :mod:`heaptui.engine.domstate` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from ..domstate import ATTACHED, DETACHED, UNKNOWN
from . import njit


@njit(cache=True, nogil=True)
def propagate_dom_state(state, node_type, first_edge, edge_type, edge_to, native_type, hidden_edge, weak_edge):
    """Spread the states in place; returns the ordinals that became (or were) detached, in order."""
    n = state.shape[0]
    visited = np.zeros(n, dtype=np.uint8)
    attached = np.empty(n, dtype=np.int32)
    n_attached = 0
    detached = np.empty(n, dtype=np.int32)
    n_detached = 0
    renamed = np.empty(n, dtype=np.int32)
    n_renamed = 0
    for v in range(n):
        s = state[v]
        if s == UNKNOWN or visited[v]:
            continue
        visited[v] = 1
        if node_type[v] != native_type:
            continue
        if s == ATTACHED:
            attached[n_attached] = v
            n_attached += 1
        elif s == DETACHED:
            detached[n_detached] = v
            n_detached += 1
            renamed[n_renamed] = v
            n_renamed += 1
    for phase in range(2):
        new_state = ATTACHED if phase == 0 else DETACHED
        while True:
            if phase == 0:
                if n_attached == 0:
                    break
                n_attached -= 1
                v = attached[n_attached]
            else:
                if n_detached == 0:
                    break
                n_detached -= 1
                v = detached[n_detached]
                if state[v] == ATTACHED:
                    continue
            for e in range(first_edge[v], first_edge[v + 1]):
                t = edge_type[e]
                if t == hidden_edge or t == weak_edge:
                    continue
                w = edge_to[e]
                if visited[w]:
                    continue
                visited[w] = 1
                if node_type[w] != native_type:
                    continue
                state[w] = new_state
                if new_state == ATTACHED:
                    attached[n_attached] = w
                    n_attached += 1
                else:
                    detached[n_detached] = w
                    n_detached += 1
                    renamed[n_renamed] = w
                    n_renamed += 1
    return renamed[:n_renamed].copy()
