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

from .parse import read_header

PEAK_BYTES_PER_NODE = 75
PEAK_BYTES_PER_EDGE = 14
BASE_BYTES = 200 << 20  # Python, numpy, numba and the strings' index


@dataclass(frozen=True)
class MemoryEstimate:
    path: str
    nodes: int
    edges: int
    needed: int  # bytes at the peak of a load

    def describe(self, available: int) -> str:
        return (f"{self.path}: loading needs about {self.needed / 1e9:.1f} GB ({self.nodes:,} nodes, "
                f"{self.edges:,} edges) and {available / 1e9:.1f} GB is available; --force loads it anyway")


def estimate(path: str | os.PathLike[str]) -> MemoryEstimate:
    """The peak memory a load of ``path`` needs (raises SnapshotError for an unreadable header)."""
    meta = read_header(path)
    needed = BASE_BYTES + PEAK_BYTES_PER_NODE * meta.node_count + PEAK_BYTES_PER_EDGE * meta.edge_count
    return MemoryEstimate(str(path), meta.node_count, meta.edge_count, needed)


def available_memory() -> int | None:
    """Bytes the kernel says can be allocated without swapping (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _surely_fits(paths: list[str], available: int) -> bool:
    """A bound from the files' sizes alone, so that small files skip reading their headers.

    A load's peak stays under twice an uncompressed file's size; gzip shrinks
    a snapshot at most about tenfold.
    """
    bound = 0
    for path in paths:
        try:
            size = os.path.getsize(path)
        except OSError:
            return False  # let the header read say what is wrong
        bound += size * (20 if str(path).endswith(".gz") else 2)
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
            return e.describe(available)
    total = sum(e.needed for e in estimates)
    if total > available:
        return (f"{', '.join(paths)}: loading them needs about {total / 1e9:.1f} GB and "
                f"{available / 1e9:.1f} GB is available; --force loads them anyway")
    return None


__all__ = ["MemoryEstimate", "available_memory", "estimate", "too_big"]
