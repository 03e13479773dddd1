"""Load the compiled kernels of the later phases while the file is still being parsed.

numba keeps compiled code on disk, but loading it costs a few tens of
milliseconds per kernel in a new process. The parse phase runs in scanners
that release the GIL, so a second thread can meanwhile index a tiny built-in
snapshot, which loads every kernel the later phases call, with the same
argument types. On a fresh process this hides most of that cost behind I/O.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable

_started = False
_lock = threading.Lock()

# The smallest snapshot shaped like Node's (same fields, so the same array types):
# a root, (GC roots), a global, two plain objects sharing a property (an interface),
# a string, an array with two owners, a WeakMap-named edge and a location.
_NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
_TINY = {
    "snapshot": {
        "meta": {
            "node_fields": _NODE_FIELDS,
            "node_types": [["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
                            "synthetic", "concatenated string", "sliced string", "symbol", "bigint",
                            "object shape"], "string", "number", "number", "number", "number", "number"],
            "edge_fields": ["type", "name_or_index", "to_node"],
            "edge_types": [["context", "element", "property", "internal", "hidden", "shortcut", "weak"],
                           "string_or_number", "node"],
            "location_fields": ["object_index", "script_id", "line", "column"],
        },
        "node_count": 7, "edge_count": 9, "trace_function_count": 0,
    },
    "nodes": [9, 0, 1, 0, 2, 0, 0,
              9, 1, 3, 0, 2, 0, 0,
              3, 2, 5, 40, 2, 0, 0,
              3, 3, 7, 32, 2, 0, 0,
              2, 4, 9, 24, 0, 0, 0,
              1, 5, 11, 16, 0, 0, 0,
              3, 3, 13, 32, 1, 0, 0],
    "edges": [5, 6, 14, 1, 1, 7,
              1, 1, 14, 1, 2, 42,
              2, 8, 21, 3, 10, 35,
              2, 4, 28, 3, 9, 35,
              2, 4, 28],
    "locations": [21, 1, 2, 3],
    "strings": ["", "(GC roots)", "global", "Object", "text", "(object elements)", "global", "1", "a", "elements",
                "1 / part of key (Object @7) -> value (Object @7) pair in WeakMap (table @11)"],
}


def _warm() -> None:
    from .load import build_index
    from .parse import read_snapshot_bytes

    try:
        build_index(read_snapshot_bytes(json.dumps(_TINY).encode()), "<warm-up>")
    except Exception:  # only a speed-up: a failure here must never reach the user
        pass


def kernels_compiled() -> bool:
    """Whether numba's on-disk cache holds heaptui's kernels (False on a first run: compiling takes ~20 s).

    Looks for the cache index of the last kernel a load compiles. Where numba
    keeps it beside the sources (a writable ``__pycache__``, no
    ``NUMBA_CACHE_DIR``), the answer comes without importing numba, so that a
    snapshot opened from the index cache never starts it before its first
    screen. When numba's cache layout cannot be read, it answers True (say
    nothing rather than cry wolf).
    """
    try:
        from .distances import compute_distances

        index = _in_tree_cache_index(compute_distances.py_func)
        if index is not None:
            return os.path.exists(index)
        return os.path.exists(compute_distances._cache._cache_file._index_path)
    except Exception:
        return True


def _in_tree_cache_index(py_func: Callable[..., object]) -> str | None:
    """Where numba's in-tree cache locator puts a kernel's index file, or None when numba would look elsewhere."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    source = py_func.__code__.co_filename
    pycache = os.path.join(os.path.dirname(source), "__pycache__")
    if not os.access(pycache if os.path.isdir(pycache) else os.path.dirname(source), os.W_OK):
        return None
    module = os.path.splitext(os.path.basename(source))[0]
    name = f"{module}.{py_func.__qualname__}".replace("<", "").replace(">", "")
    version = f"py{sys.version_info[0]}{sys.version_info[1]}{getattr(sys, 'abiflags', '')}"
    return os.path.join(pycache, f"{name}-{py_func.__code__.co_firstlineno}.{version}.nbi")


def warm_up_in_background() -> None:
    """Start loading the later phases' kernels on a daemon thread (once per process)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_warm, name="heaptui-warm-up", daemon=True).start()
