"""Will a load fit in memory? An estimate from the header's counts, before reading the rest.

A production box that holds a 3 GB snapshot is often the one short of memory;
finding out after two minutes of loading, from the kernel's OOM killer, is the
worst way. The header gives the node and edge counts, and the index has a
known width per node and per edge (see :class:`~heaptui.engine.snapshot.Snapshot`):
about 42 bytes per node and 13 per edge once loaded, plus what the dominator
pass and the parse buffers hold at the peak. Measured on the benchmark
snapshots: 1.53 GB peak for 14M nodes and 40M edges.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .memory import BASE_BYTES, headroom, needed_for
from .parse import is_compressed, read_header


@dataclass(frozen=True)
class MemoryEstimate:
    path: str
    nodes: int
    edges: int
    needed: int  # bytes at the peak of a load

    def describe(self, available: int, source: str = "") -> str:
        return (f"{self.path}: loading needs about {self.needed / 1e9:.1f} GB ({self.nodes:,} nodes, "
                f"{self.edges:,} edges) and {available / 1e9:.1f} GB is available{source}; "
                "--force loads it anyway")


def estimate(path: str | os.PathLike[str]) -> MemoryEstimate:
    """The peak memory a load of ``path`` needs (raises SnapshotError for an unreadable header)."""
    meta = read_header(path)
    return MemoryEstimate(str(path), meta.node_count, meta.edge_count, needed_for(meta.node_count, meta.edge_count))


def available_memory() -> int | None:
    """Bytes this process can still take: the tightest of free memory, its cgroup's limit and ``ulimit -v``."""
    room = headroom()
    return None if room is None else room.bytes


def _source(available: int) -> str:
    """Which limit ``available`` comes from, as a parenthesis for the message ("" when it is free memory)."""
    room = headroom()
    if room is None or room.source == "free memory" or abs(room.bytes - available) > available // 10 + (64 << 20):
        return ""
    return f" ({room.source})"


def _surely_fits(paths: list[str], available: int) -> bool:
    """A bound from the files' sizes alone, so that small files skip reading their headers.

    A load's peak stays under twice an uncompressed file's size. A compressed
    file's size bounds nothing (a megabyte of gzip can declare or hold
    gigabytes): its header is always read, which decompresses only its start.
    """
    bound = 0
    for path in paths:
        try:
            size = os.path.getsize(path)
            if is_compressed(path):
                return False
        except OSError:
            return False  # let the header read say what is wrong
        bound += size * 2
    return BASE_BYTES + bound < available // 2


def too_big(paths: list[str]) -> str | None:
    """Why loading ``paths`` would not fit (one line), or None when it fits or memory is unknown.

    All the loaded indexes are held at once, so the estimates add up.
    """
    available = available_memory()
    if available is None or _surely_fits(paths, available):
        return None
    estimates = [estimate(p) for p in paths]
    for e in estimates:
        if e.needed > available:
            return e.describe(available, _source(available))
    total = sum(e.needed for e in estimates)
    if total > available:
        return (f"{', '.join(paths)}: loading them needs about {total / 1e9:.1f} GB and "
                f"{available / 1e9:.1f} GB is available{_source(available)}; --force loads them anyway")
    return None


__all__ = ["MemoryEstimate", "available_memory", "estimate", "needed_for", "too_big"]
