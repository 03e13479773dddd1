"""Shortest retainer paths: from a GC root down to an object, as the leak report and ``top`` show them.

A path is found by climbing from the object to the retainer with the
smallest distance, until a root (the kernel in :mod:`.kernels.leaks`); a path
through V8's own objects (compiled code, hidden system objects) is flagged,
since the engine, not the program, holds what hangs from it. Kept apart from
the leak report so that the growing-collection check and the views can name
paths without importing the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jit import kernel
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot

MAX_PATH = 1000


@dataclass(frozen=True)
class PathStep:
    """One hop of a retainer path: the edge taken and the node it leads to (in the final snapshot)."""

    edge: int  # -1 for the first node of the path
    node: int
    edge_label: str
    class_name: str


def path_text(path: tuple[PathStep, ...]) -> str:
    """``system / Context → requestLogs → Array → [i] → {url, date} → date → Date``."""
    parts: list[str] = []
    for step in path:
        if step.edge >= 0:
            parts.append(step.edge_label)
        parts.append(step.class_name)
    return " → ".join(parts)


_shortest_paths = kernel("leaks", "_shortest_paths")


NO_CANDIDATES = np.zeros(0, dtype=np.bool_)


def shortest_paths(s: Snapshot, nodes: np.ndarray, progress: ProgressCallback | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The shortest retainer paths of ``nodes`` (see :func:`_shortest_paths`); a path through V8's own
    objects (compiled code, hidden system objects) is flagged.

    The kernel runs on :data:`_PATH_CHUNK` nodes at a time, with ``progress`` called between the chunks.
    """
    report = progress or no_progress
    internal = np.zeros(max(len(s.meta.node_types), 1), dtype=np.bool_)
    for code in (s.types.code, s.types.hidden):
        if code >= 0:
            internal[code] = True
    starts = np.asarray(nodes, dtype=np.int64)
    internal_node = internal[s.node_type]
    parts = []
    for begin in range(0, max(starts.shape[0], 1), _PATH_CHUNK):
        report("retainer paths", begin, starts.shape[0])
        parts.append(_shortest_paths(starts[begin:begin + _PATH_CHUNK], s.first_retainer, s.retainer_edge,
                                     s.first_edge, s.edge_type, s.types.weak_edge, s.root, s.distances,
                                     internal_node, MAX_PATH))
    report("retainer paths", starts.shape[0], starts.shape[0])
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [int(p[0][-1]) for p in parts[:-1]])
    first = np.concatenate([parts[0][0][:1]] + [p[0][1:] + o for p, o in zip(parts, offsets)])
    return (first, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]))


_PATH_CHUNK = 1 << 16  # paths per kernel call: each call climbs again what an earlier one climbed, so not small


def path_of(s: Snapshot, v: int) -> tuple[tuple[PathStep, ...], bool]:
    """One object's shortest retainer path as steps, and whether V8's own objects are on the way."""
    first, edges, top, via_internal = shortest_paths(s, np.array([v]))
    return path_steps(s, int(top[0]), v, edges, NO_CANDIDATES), bool(via_internal[0])


def path_steps(s: Snapshot, start: int, v: int, edges: np.ndarray, candidate: np.ndarray) -> tuple[PathStep, ...]:
    """The path shown: root side first, then on through the leaked objects ``v`` dominates (``candidate``)."""
    steps = [PathStep(-1, start, "", s.class_name(start))]
    steps += [_step(s, e) for e in edges.tolist()]
    # Follow the largest leaked object this one dominates, while there is one (e.g. {url, date} → date → Date).
    seen = {v}
    while candidate.shape[0]:
        best = -1
        for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])):
            w = int(s.edge_to[e])
            if candidate[w] and int(s.dominator[w]) == v and w not in seen and (
                    best < 0 or s.retained[w] > s.retained[int(s.edge_to[best])]):
                best = e
        if best < 0:
            break
        steps.append(_step(s, best))
        v = int(s.edge_to[best])
        seen.add(v)
    return tuple(steps)


def _step(s: Snapshot, e: int) -> PathStep:
    w = int(s.edge_to[e])
    t = s.edge_type_name(e)
    label = "[i]" if t == "element" else s.edge_name_of(e)
    return PathStep(e, w, label, s.class_name(w))


__all__ = ["MAX_PATH", "NO_CANDIDATES", "PathStep", "path_of", "path_steps", "path_text", "shortest_paths"]
