"""Load the compiled kernels of the later phases while the file is still being parsed.

numba keeps compiled code on disk, but loading it costs a few tens of
milliseconds per kernel in a new process. The parse phase runs in scanners
that release the GIL, so a second thread can meanwhile index a tiny built-in
snapshot, which loads every kernel the later phases call, with the same
argument types. On a fresh process this hides most of that cost behind I/O.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import kernel_cache

if TYPE_CHECKING:
    import numpy as np

    from .snapshot import Snapshot

_started = False
_lock = threading.Lock()

# The smallest snapshot shaped like Node's (same fields, so the same array types):
# a root, (GC roots), a global, two plain objects sharing a property (an interface),
# a string, an array with two owners, a WeakMap-named edge and a location.
_NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
# fmt: off
TINY = {
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
    "trace_function_infos": [],
    "trace_tree": [],  # as Node writes them: the parse passes over it with the scanner's skip_value
    "locations": [21, 1, 2, 3],
    "strings": ["", "(GC roots)", "global", "Object", "text", "(object elements)", "global", "1", "a", "elements",
                "1 / part of key (Object @7) -> value (Object @7) pair in WeakMap (table @11)"],
}
# fmt: on


def _warm() -> None:
    import numpy as np

    from .index import build_index
    from .parse import read_snapshot_bytes
    from .parse.side_by_side import compile_kernels

    try:
        compile_kernels()
        tiny = build_index(read_snapshot_bytes(json.dumps(TINY).encode()), "<warm-up>")
        # The tiny snapshot's few classes give byte-wide class ids; most real ones have more than 256 classes.
        class_id_kernels(tiny, (np.dtype(np.uint16),), instances=False)
    except Exception:  # only a speed-up: a failure here must never reach the user
        pass


def class_id_kernels(s: Snapshot, dtypes: Iterable[np.dtype], instances: bool = True) -> None:
    """Call the kernels that read class ids with ids of each of ``dtypes`` (the snapshot's other arrays as they are).

    numba compiles (or loads from its cache) one machine code per argument type, and class ids come in the
    narrowest type for the class count (``classes.class_id_dtype``): a tiny snapshot's calls meet the byte-wide
    ones only. The Summary's kernels, and with ``instances`` the instances' counting sort.
    """
    import numpy as np

    from .classes import class_counts, class_retained_sizes
    from .instances import _group_by_class

    flags = np.empty(0, dtype=np.uint8)
    counted = np.flatnonzero(s.shallow > 0).astype(np.int32)
    for dtype in dtypes:
        class_id = s.class_id.astype(dtype)
        class_id.flags.writeable = s.class_id.flags.writeable  # a cached index's arrays are read-only: another type
        class_counts(class_id, len(s.classes), s.shallow, s.distances, flags)
        class_retained_sizes(
            class_id, len(s.classes), s.shallow, s.retained, s.dominator, s.root, flags, np.empty(0, dtype=np.int32)
        )
        if instances:
            _group_by_class(class_id, len(s.classes), counted)


def kernels_compiled() -> bool:
    """Whether heaptui's kernels directory holds every kernel compiled (False on a first run), without numba."""
    return kernel_cache.kernels_compiled()


def warm_up_in_background() -> None:
    """Start loading the later phases' kernels on a daemon thread (once per process)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_warm, name="heaptui-warm-up", daemon=True).start()
