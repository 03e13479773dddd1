"""This process's memory: how much more it may take, and giving freed arrays back at once.

:func:`headroom` reads every limit that can end a load in an OOM kill (free
memory, the cgroup's limit, ``ulimit -v``), so that a load that cannot fit is
refused with one line instead. The rest of this module is glibc's part
(a no-op elsewhere):

glibc serves allocations above an adaptive threshold with their own memory
maps, but raises that threshold (up to 32 MB) each time such a block is freed.
A load frees many temporary arrays of one byte or four per node, so later ones
land on the heap, where freeing them does not lower the process's memory. A
fixed 1 MB threshold keeps every large array in its own map, returned on free,
so the peak memory of a load is what its live arrays need and no more.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass

_M_MMAP_THRESHOLD = -3
_done = False
_UNLIMITED_V1 = 1 << 62  # cgroup v1 writes "no limit" as 9223372036854771712 (a page-rounded 2^63 - 1)


def return_large_frees_to_the_system(threshold: int = 1 << 20) -> bool:
    """Fix glibc's mmap threshold; True when it took effect (a no-op elsewhere)."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        _done = False
    return _done


# A load's peak, per node and per edge of the index and its passes (measured on the benchmark snapshots: 1.53 GB
# for 14M nodes and 40M edges); the header's counts give it before the rest of the file is read.
PEAK_BYTES_PER_NODE = 75
PEAK_BYTES_PER_EDGE = 14
BASE_BYTES = 200 << 20  # Python, numpy, numba and the strings' index


def needed_for(node_count: int, edge_count: int) -> int:
    """Bytes at the peak of a load of this many nodes and edges, the strings aside."""
    return BASE_BYTES + PEAK_BYTES_PER_NODE * node_count + PEAK_BYTES_PER_EDGE * edge_count


@dataclass(frozen=True)
class Headroom:
    """How many more bytes this process can take, and which limit says so (for the one-line refusal)."""

    bytes: int
    source: str  # "free memory", "the cgroup's memory.max of 1.1 GB", ...

    def describe(self) -> str:
        if self.source == "free memory":
            return f"{self.bytes / 1e9:.1f} GB of free memory"
        return f"{self.bytes / 1e9:.1f} GB available under {self.source}"


def headroom(root: str = "/") -> Headroom | None:
    """The tightest of the limits on this process's memory, or None when none can be read.

    The system's free memory (``MemAvailable``) is not enough: in a container
    limited to 1 GB on a 64 GB host, a load that fits the host is killed by the
    kernel. So the limits of the process's own cgroup (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``, and those of its ancestors) less what the group
    already uses, and the address-space limit (``ulimit -v``) less the address
    space already mapped, count too. ``root`` is where ``/proc`` and ``/sys``
    are found (tests give a fake tree).
    """
    found = [h for h in (_meminfo(root), *_cgroup_headroom(root), _address_space(root)) if h is not None]
    return min(found, key=lambda h: h.bytes) if found else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read(1 << 16)
    except (OSError, ValueError):
        return None


def _number(path: str) -> int | None:
    text = _read(path)
    try:
        return int(text.split()[0]) if text else None
    except (ValueError, IndexError):
        return None


def _meminfo(root: str) -> Headroom | None:
    for line in (_read(os.path.join(root, "proc/meminfo")) or "").splitlines():
        if line.startswith("MemAvailable:"):
            try:
                return Headroom(int(line.split()[1]) * 1024, "free memory")
            except (ValueError, IndexError):
                return None
    return None


def _cgroup_dirs(root: str) -> list[tuple[str, str]]:
    """(version, directory) of the process's memory cgroup and its ancestors, innermost first.

    ``/proc/self/cgroup`` names the group relative to the cgroup namespace's
    root, which is where ``/sys/fs/cgroup`` is mounted in a container; a path
    that is not there (a container without its own namespace sees the host's
    names) falls back to the mount's root, which is then the container's group.
    """
    dirs: list[tuple[str, str]] = []
    for line in (_read(os.path.join(root, "proc/self/cgroup")) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, group = parts
        if controllers == "":
            version, mount = "v2", os.path.join(root, "sys/fs/cgroup")
            if not os.path.exists(os.path.join(mount, "cgroup.controllers")):
                mount = os.path.join(mount, "unified")  # hybrid: v2 beside the v1 controllers
        elif "memory" in controllers.split(","):
            version, mount = "v1", os.path.join(root, "sys/fs/cgroup/memory")
        else:
            continue
        relative = group.strip().strip("/")
        if relative and not os.path.isdir(os.path.join(mount, relative)):
            relative = ""
        while True:
            dirs.append((version, os.path.join(mount, relative)))
            if not relative:
                break
            relative = os.path.dirname(relative)
    return dirs


def _cgroup_headroom(root: str) -> list[Headroom]:
    """The headroom under each memory limit of the process's cgroups (limits that are set only)."""
    found = []
    for version, directory in _cgroup_dirs(root):
        if version == "v2":
            limit_text = (_read(os.path.join(directory, "memory.max")) or "").strip()
            if not limit_text.isdigit():
                continue  # "max" or no such file (the root group)
            limit, used = int(limit_text), _number(os.path.join(directory, "memory.current"))
            name = "the cgroup's memory.max"
        else:
            limit = _number(os.path.join(directory, "memory.limit_in_bytes")) or 0
            if not limit or limit >= _UNLIMITED_V1:
                continue
            used = _number(os.path.join(directory, "memory.usage_in_bytes"))
            name = "the cgroup's memory.limit_in_bytes"
        used = max((used or 0) - _reclaimable(directory, version), 0)
        found.append(Headroom(max(limit - used, 0), f"{name} of {limit / 1e9:.1f} GB"))
    return found


def _reclaimable(directory: str, version: str) -> int:
    """Page cache the kernel drops before it kills anything: counted in a group's usage, yet not in the way."""
    key = "inactive_file" if version == "v2" else "total_inactive_file"
    for line in (_read(os.path.join(directory, "memory.stat")) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def _address_space(root: str) -> Headroom | None:
    """Headroom under ``RLIMIT_AS``: the limit less the address space already mapped (``VmSize``)."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    if limit == resource.RLIM_INFINITY or limit <= 0:
        return None
    mapped = 0
    for line in (_read(os.path.join(root, "proc/self/status")) or "").splitlines():
        if line.startswith("VmSize:"):
            try:
                mapped = int(line.split()[1]) * 1024
            except (ValueError, IndexError):
                pass
    return Headroom(max(limit - mapped, 0), f"the address-space limit (ulimit -v) of {limit / 1e9:.1f} GB")
