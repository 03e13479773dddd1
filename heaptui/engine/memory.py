"""Make freed arrays go back to the system at once (glibc only).

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
import sys

_M_MMAP_THRESHOLD = -3
_done = False


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
