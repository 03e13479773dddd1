"""Whether a mapped cache's arrays hold together, so the compiled loops never index out of bounds.

The compiled passes follow the index's offsets and ids without bounds checks
(that is what makes them fast), so a cache file is used only after every array
has the count, dtype and range of values a real index has, and (unless this
process has just written it) the CRC its header records. Kept apart from the
reading and writing in :mod:`.cache`, which calls :func:`consistent` once per
opened cache.
"""

from __future__ import annotations

import mmap
import os
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .classes import class_id_dtype
from .dominators import retained_dtype
from .format import Meta

# The dtypes the compiled passes are built for: another one would be compiled anew or rejected.
_INDEX_DTYPE: dict[str, np.dtype] = {
    name: np.dtype(np.int32)
    for name in (
        "first_edge",
        "edge_to",
        "first_retainer",
        "retainer_edge",
        "dominator",
        "ephemeron_names",
        "ephemeron_parts",
    )
}
_INDEX_DTYPE["ephemeron_marks"] = np.dtype(np.uint8)
# The string hashes are compared with the 32-bit ones the parse computes (another width would match nothing).
_INDEX_DTYPE["strings_hashes"] = np.dtype(np.uint32)
_NODE_ARRAYS = (
    "node_type",
    "node_name",
    "node_id",
    "shallow",
    "node_trace_id",
    "distances",
    "dominator",
    "retained",
    "class_id",
)
_EDGE_ARRAYS = ("edge_type", "edge_name", "edge_to", "retainer_edge")


def consistent(
    mapped: mmap.mmap, a: dict[str, np.ndarray], entries: dict[str, dict], meta: Meta, tables: dict, verify: bool
) -> bool:
    """Whether the arrays hold together, so the compiled loops never index out of bounds; and their CRCs.

    Counts first (as many nodes and edges as the file's header says, every
    node array a value per node, offsets one more, the tables as long as the
    ids into them allow); then, per array and side
    by side, the CRC and the range of values (a min and a max, and for the
    offsets that they never go backwards). These reads are what a reopen
    costs beyond mapping the file: vectorised, on arrays numpy reads at
    memory speed, with the pages dropped again as each array is done.
    """
    n = a["node_type"].shape[0]
    e = a["edge_type"].shape[0]
    if (n, e) != (meta.node_count, meta.edge_count):
        return False
    classes = len(tables["classes"])
    strings = a["strings_starts"].shape[0] + len(tables["added_strings"])
    part_count = tables["ephemeron_part_count"]
    required = (
        *_NODE_ARRAYS,
        *_EDGE_ARRAYS,
        "first_edge",
        "first_retainer",
        "strings_blob",
        "strings_starts",
        "strings_ends",
        "strings_escaped",
        "strings_hashes",
        "numbered_edge",
        "is_object_name",
        "ephemeron_marks",
        "ephemeron_names",
        "ephemeron_parts",
        "ephemeron_table_id",
        "summary",
        "locations",
        "trace_function_infos",
    )
    optional = ("node_trace_id", "detached", "samples", "trace_tree")
    if any(name not in a for name in required if name not in optional) or set(a) - {*required, *optional}:
        return False
    if any(a[name].ndim != 1 for name in a if name != "summary") or a["summary"].shape != (4, classes):
        return False
    if any(a[name].dtype != dtype for name, dtype in _INDEX_DTYPE.items()):
        return False
    if a["class_id"].dtype != class_id_dtype(classes):  # the narrowest for the class count, as a load makes them
        return False
    if any(a[name].shape[0] != n for name in _NODE_ARRAYS if name in a):
        return False
    if any(a[name].shape[0] != e for name in _EDGE_ARRAYS) or a["first_edge"].shape[0] != n + 1:
        return False
    if a["first_retainer"].shape[0] != n + 1 or not 0 <= meta.root_ordinal < max(n, 1):
        return False
    if a["numbered_edge"].shape[0] < len(meta.edge_types) or not isinstance(part_count, int):
        return False
    if a["ephemeron_table_id"].shape[0] != part_count + 1 or not _ephemerons_consistent(a, strings):
        return False
    file_strings = a["strings_starts"].shape[0]
    if any(a[name].shape[0] != file_strings for name in ("strings_ends", "strings_escaped", "strings_hashes")):
        return False
    if meta.location_fields and a["locations"].shape[0] % len(meta.location_fields):
        return False
    for first in (a["first_edge"], a["first_retainer"]):
        if int(first[0]) != 0 or int(first[-1]) != e:
            return False
    # Values: [low, high) per array; the offsets' monotony is checked with their range.
    name_limit = min(strings, a["is_object_name"].shape[0])
    blob_end = a["strings_blob"].shape[0] + 1
    ranges: dict[str, tuple[int, int]] = {
        "node_type": (0, len(meta.node_types)),
        "edge_type": (0, len(meta.edge_types)),
        "node_name": (0, name_limit),
        "edge_to": (0, n),
        "dominator": (0, n),
        "retainer_edge": (0, e),
        "class_id": (0, classes),
        "first_edge": (0, e + 1),
        "first_retainer": (0, e + 1),
        "strings_starts": (0, blob_end),
        "strings_ends": (0, blob_end),
        "ephemeron_parts": (0, part_count),
    }
    if "detached" in a and (a["detached"].dtype != np.uint8 or a["detached"].shape[0] != (n + 7) >> 3):
        return False  # a bit per node
    edge_name_limit = min(strings, a["ephemeron_marks"].shape[0] * 8)

    def check(name: str) -> bool:
        array = a[name]
        try:
            if verify and zlib.crc32(memoryview(array.data).cast("B")) != entries[name]["crc32"]:
                return False
            if name in ranges and array.size:
                low, high = ranges[name]
                if int(array.min()) < low or int(array.max()) >= high:
                    return False
            if name in ("first_edge", "first_retainer") and np.any(array[1:] < array[:-1]):
                return False
            if name == "shallow" and a["retained"].dtype != retained_dtype(array):
                return False  # the load's dtype for these sizes, which the compiled readers are built for
            if name == "strings_ends" and np.any(a["strings_starts"] > array):
                return False
            if name == "edge_name" and array.size and int(array.max()) >= edge_name_limit:
                # Element and hidden edges carry an index, not a string: only the others must name one.
                named = ~a["numbered_edge"][a["edge_type"]]
                if np.any(array[named] >= edge_name_limit):
                    return False
            return True
        finally:
            _forget(mapped, entries[name]["offset"], entries[name]["nbytes"])

    # edge_name's check reads edge_type and numbered_edge: their ranges are checked first, on this thread.
    if not (check("edge_type") and check("numbered_edge")):
        return False
    names = sorted((n for n in a if n not in ("edge_type", "numbered_edge")), key=lambda n: -a[n].nbytes)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return all(pool.map(check, names))


def _ephemerons_consistent(a: dict[str, np.ndarray], strings: int) -> bool:
    """The marks cover the file's strings (and at most the ones added), and the listed names are exactly the
    marked strings, ascending."""
    marks, names = a["ephemeron_marks"], a["ephemeron_names"]
    if not (a["strings_starts"].shape[0] + 7) >> 3 <= marks.shape[0] <= (strings + 7) >> 3:
        return False
    if names.shape[0] != a["ephemeron_parts"].shape[0]:
        return False
    if names.size and (int(names[0]) < 0 or int(names[-1]) >= strings or np.any(names[1:] <= names[:-1])):
        return False
    marked = np.flatnonzero(np.unpackbits(marks, bitorder="little"))
    return bool(np.array_equal(marked, names))


def _forget(mapped: mmap.mmap, offset: int, nbytes: int) -> None:
    """Let the kernel take back the pages of a region read once (they come back from the file if read again)."""
    start = offset - offset % mmap.PAGESIZE
    end = offset + nbytes
    end -= end % mmap.PAGESIZE  # the last partial page may hold the next array's start
    if end > start and hasattr(mapped, "madvise"):
        try:
            mapped.madvise(mmap.MADV_DONTNEED, start, end - start)
        except (OSError, ValueError):
            pass


__all__ = ["consistent"]
