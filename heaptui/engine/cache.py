"""An on-disk copy of a loaded index, memory-mapped when the same snapshot is opened again.

Indexing a 1 GB snapshot takes seconds; reopening it should not. The first
load writes every array of the :class:`~heaptui.engine.snapshot.Snapshot`
and the small tables beside them into one file; a later load of the same
file maps that file instead.

One file per snapshot, named after a hash of its real path, under
``$XDG_CACHE_HOME/heaptui`` (``~/.cache/heaptui``) or a chosen directory::

    MAGIC | header length (8 bytes) | header HMAC (32 bytes) | header JSON | arrays, 64-byte aligned

The header names the format version, the source file and the engine that
wrote it, and each array's dtype, shape, offset and CRC-32; the tables
(classes, interface definitions, statistics, added strings) are one of the
arrays, so the header stays small enough to list many caches quickly. What
the directory must be, how the header is sealed and bound, and how caches are
pruned is :mod:`.cache_store`'s job.

Nothing in a cache file is trusted before it is checked: a header not sealed
with the user's key, of another format or engine, or naming another source
file (path, size, modification time, inode, device); a file shorter than the
header says; a CRC that does not match; or arrays that do not hold together
(an index out of range, offsets that go backwards, lengths that disagree:
:func:`.cache_check.consistent`) make the loader ignore the cache, and the caller
rebuilds it. The compiled loops follow these indices without bounds checks,
so this is what keeps a damaged or forged cache from crashing them. Files are
written under an unpredictable temporary name (0600, created exclusively)
and renamed when complete, so a cancelled or killed write never leaves a
cache that looks whole.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

import numpy as np

from ..private_files import open_own_file, private_temp, publish
from . import cache_store as store
from .cache_check import consistent
from .cache_store import VERSION, cache_name, engine_identity, source_identity
from .classes import ClassInfo, InterfaceDefinition
from .ephemerons import EphemeronNames
from .errors import SnapshotError
from .format import Meta, parse_meta
from .parse import read_header
from .snapshot import Snapshot, TypeCodes
from .statistics import Statistics
from .strings import StringTable

ALIGN = 64
# Every snapshot a process writes is bigger (Node's smallest heap is ~0.8 MB gzipped, 6 MB as JSON), and
# even those are worth a cache: opening one without it starts numba (about a second), opening it from the
# cache does not, so the first screen comes up in half the time. Hand-made test files are smaller.
MIN_SOURCE_SIZE = 256 << 10

# The Snapshot's array fields, as the cache stores them (and benchmarks/search.py sums their sizes).
SNAPSHOT_ARRAY_FIELDS = (
    "node_type",
    "node_name",
    "node_id",
    "shallow",
    "first_edge",
    "node_trace_id",
    "detached",
    "edge_type",
    "edge_name",
    "edge_to",
    "first_retainer",
    "retainer_edge",
    "distances",
    "dominator",
    "retained",
    "class_id",
    "locations",
    "samples",
    "numbered_edge",
    "is_object_name",
    "trace_function_infos",
)


@dataclass(frozen=True)
class CacheOptions:
    """Where the index cache lives, whether to use it, and how big it may grow."""

    directory: str | None = None  # None: $XDG_CACHE_HOME/heaptui
    enabled: bool = True
    min_source_size: int | None = None  # None: MIN_SOURCE_SIZE
    # Write the cache on a thread and return at once: a command prints its answer while the cache is
    # written, and the process waits for the writer at exit (finish_at_exit); the app does not wait (a
    # quit must be instant), and a write cut short leaves only a temporary file.
    background: bool = False
    finish_at_exit: bool = True
    max_bytes: int | None = None  # None: $HEAPTUI_CACHE_MAX, else min(10 GB, half the space it could use)
    warn: Callable[[str], None] | None = None  # one line when the directory is not trusted; None: warnings.warn

    def location(self) -> Path:
        if self.directory:
            return Path(self.directory)
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "heaptui"

    def usable_directory(self, create: bool) -> Path | None:
        """The directory when it may hold caches (see :func:`.cache_store.usable_directory`), else None."""
        return store.usable_directory(self.location(), chosen=bool(self.directory), create=create, warn=self.warn)

    def applies_to(self, source: str | os.PathLike[str]) -> bool:
        """Whether to cache this file: a regular file (never a FIFO or device) at least the size floor."""
        try:
            floor = MIN_SOURCE_SIZE if self.min_source_size is None else self.min_source_size
            st = os.stat(source)
            return self.enabled and S_ISREG(st.st_mode) and st.st_size >= floor
        except OSError:
            return False


def cache_file(source: str | os.PathLike[str], options: CacheOptions) -> Path:
    """The cache file of a snapshot: one per real path (a new version of the file replaces it)."""
    return options.location() / cache_name(source)


# ---------------------------------------------------------------- writing


def save(snapshot: Snapshot, options: CacheOptions) -> Path | None:
    """Write the snapshot's index to its cache file; None (quietly) when the location is not writable."""
    directory = options.usable_directory(create=True)
    if directory is None:
        return None
    target = directory / cache_name(snapshot.path)
    temp: Path | None = None
    try:
        key = store.index_key(directory, create=True)
        if key is None:
            return None
        arrays = _arrays_of(snapshot)
        header, layout = _header(snapshot, arrays, key)
        cap = store.max_bytes(directory, options.max_bytes)
        fits = header["file_end"] <= cap
        store.tidy(directory, key, cap=cap, incoming=header["file_end"] if fits else 0, keep=target.name)
        if not fits:  # bigger than the cap by itself (a cap of 0 keeps no cache at all)
            return None
        fd, temp = private_temp(directory, prefix=target.name + ".tmp-", suffix="")
        with os.fdopen(fd, "wb") as f:
            f.write(layout)
            for name, array in arrays.items():
                f.seek(header["arrays"][name]["offset"])
                f.write(_bytes_of(array))
            f.truncate(header["file_end"])
        publish(temp, target, own_directory=True)
        temp = None
        return target
    except (OSError, ValueError):
        return None
    finally:  # a failed, cancelled or interrupted write leaves nothing behind
        if temp is not None:
            try:
                temp.unlink()
            except OSError:
                pass


def _arrays_of(s: Snapshot) -> dict[str, np.ndarray]:
    arrays = {name: getattr(s, name) for name in SNAPSHOT_ARRAY_FIELDS if getattr(s, name) is not None}
    # The Summary's columns per class, so that a reopen needs no compiled pass at all.
    summary = np.zeros((4, len(s.classes)), dtype=np.int64)
    for row in s.summary():
        summary[:, row.class_index] = (row.count, row.distance, row.shallow_size, row.retained_size)
    strings = s.strings
    first = int(strings.starts.min()) if strings.file_count else 0
    last = int(strings.ends.max()) if strings.file_count else 0
    tables = {
        "meta": s.meta.raw,
        "classes": [[c.name, list(c.location) if c.location else None] for c in s.classes],
        "interfaces": [[d.name, list(d.properties)] for d in s.interfaces],
        "statistics": asdict(s.statistics),
        "added_strings": list(s.strings._added),
        "ephemeron_part_count": s.ephemerons.part_count,
    }
    arrays.update(
        strings_blob=np.asarray(strings.blob[first:last]),
        strings_starts=strings.starts - first,
        strings_ends=strings.ends - first,
        strings_escaped=strings.escaped,
        strings_hashes=strings.hashes,
        ephemeron_marks=s.ephemerons.marks,
        ephemeron_names=s.ephemerons.names,
        ephemeron_parts=s.ephemerons.parts,
        ephemeron_table_id=s.ephemerons.table_id,
        summary=summary,
        tables=np.frombuffer(json.dumps(tables, separators=(",", ":")).encode(), dtype=np.uint8),
    )
    if s.trace_tree is not None:
        arrays["trace_tree"] = np.frombuffer(s.trace_tree, dtype=np.uint8)
    return arrays


def _header(s: Snapshot, arrays: dict[str, np.ndarray], key: bytes) -> tuple[dict, bytes]:
    """The header (with every array's place and CRC) and the sealed bytes that start the file."""
    entries: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        data = _bytes_of(array)
        entries[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "nbytes": int(array.nbytes),
            "crc32": zlib.crc32(data),
        }
    header = {
        "version": VERSION,
        "engine": engine_identity(),
        "source": source_identity(s.path),
        "path": s.path,
        "file_size": s.file_size,
        "arrays": entries,
    }
    # Offsets depend on the header's length, which depends on the offsets: lay out twice.
    for _ in range(2):
        offset = _align(store.sealed_length(header) + 64)
        for name in arrays:
            entries[name]["offset"] = offset
            offset = _align(offset + entries[name]["nbytes"])
        header["file_end"] = offset
    return header, store.seal(header, key)


def _bytes_of(array: np.ndarray) -> memoryview:
    """An array's bytes, without a copy when it is contiguous already."""
    return memoryview(np.ascontiguousarray(array).data).cast("B")


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


# ---------------------------------------------------------------- reading


def load(source: str | os.PathLike[str], options: CacheOptions, verify: bool = True) -> Snapshot | None:
    """The snapshot from its cache file, or None when there is none or it cannot be trusted.

    ``verify=False`` skips the arrays' CRCs: only for a file this process has
    just written (the consistency checks always run). Caches that can never
    be used again (their source deleted or changed) are removed on the way.
    """
    directory = options.usable_directory(create=False)
    if directory is None:
        return None
    key = store.index_key(directory, create=False)
    if key is None:
        return None
    name = cache_name(source)
    store.tidy(directory, key, keep=name)
    fd = open_own_file(directory / name)  # None for a link, FIFO, device, or a file of someone else's
    if fd is None:
        return None
    try:
        header = store.read_header(fd, key)
        if header is None or header.get("engine") != engine_identity():
            return None  # not sealed with the user's key, or written by another engine
        if header.get("source") != source_identity(source):
            return None  # made from another file (or this one changed since)
        # The file's own header (a few kB read) must describe the cached index: its meta and counts.
        declared = read_header(source)
        # Copy-on-write: the arrays are writable like a fresh load's (numba compiles read-only
        # arrays as another type), yet pages are read only when touched and never written back.
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_COPY)
        try:
            snapshot = _read(mapped, header, declared, str(source), verify)
        except (ValueError, KeyError, TypeError, IndexError, OverflowError, AttributeError, SnapshotError):
            snapshot = None
        if snapshot is not None:
            store.touch(fd)
        return snapshot
    except (OSError, ValueError, SnapshotError):
        return None
    finally:
        os.close(fd)


def _read(mapped: mmap.mmap, header: dict, declared: Meta, path: str, verify: bool = True) -> Snapshot | None:
    if len(mapped) != header["file_end"]:
        return None  # truncated (or grown)
    buffer = memoryview(mapped)
    arrays: dict[str, np.ndarray] = {}
    for name, entry in header["arrays"].items():
        dtype = np.dtype(entry["dtype"])
        if dtype.kind not in "biu" or not dtype.isnative:
            return None
        shape = [int(n) for n in entry["shape"]]
        if any(n < 0 for n in shape) or int(entry["offset"]) < 0:
            return None
        count = int(np.prod(shape)) if shape else 1
        if count * dtype.itemsize != entry["nbytes"]:
            return None
        arrays[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=entry["offset"]).reshape(shape)
    tables = json.loads(arrays.pop("tables").tobytes())
    meta = parse_meta(tables["meta"], path)
    if meta != declared:
        return None  # the index of another snapshot
    if not consistent(mapped, arrays, header["arrays"], meta, tables, verify):
        return None  # corrupted, or arrays that do not hold together
    return _snapshot(header, tables, meta, arrays, path)


def _snapshot(header: dict, tables: dict, meta: Meta, a: dict[str, np.ndarray], path: str) -> Snapshot:
    strings = StringTable(
        a["strings_blob"], a["strings_starts"], a["strings_ends"], a["strings_escaped"], a["strings_hashes"]
    )
    for text in tables["added_strings"]:
        strings.add(text)
    classes = [ClassInfo(name, tuple(location) if location else None) for name, location in tables["classes"]]
    snapshot = Snapshot(
        path=path,
        meta=meta,
        types=TypeCodes.from_meta(meta),
        strings=strings,
        file_size=header["file_size"],
        node_type=a["node_type"],
        node_name=a["node_name"],
        node_id=a["node_id"],
        shallow=a["shallow"],
        first_edge=a["first_edge"],
        node_trace_id=a.get("node_trace_id"),
        detached=a.get("detached"),
        edge_type=a["edge_type"],
        edge_name=a["edge_name"],
        edge_to=a["edge_to"],
        first_retainer=a["first_retainer"],
        retainer_edge=a["retainer_edge"],
        distances=a["distances"],
        dominator=a["dominator"],
        retained=a["retained"],
        class_id=a["class_id"],
        classes=classes,
        interfaces=[InterfaceDefinition(n, tuple(p)) for n, p in tables["interfaces"]],
        locations=a["locations"],
        statistics=Statistics(**tables["statistics"]),
        numbered_edge=a["numbered_edge"],
        is_object_name=a["is_object_name"],
        ephemerons=EphemeronNames(
            a["ephemeron_marks"],
            a["ephemeron_names"],
            a["ephemeron_parts"],
            a["ephemeron_table_id"],
            tables["ephemeron_part_count"],
        ),
        samples=a.get("samples"),
        trace_tree=a["trace_tree"].tobytes() if "trace_tree" in a else None,
        trace_function_infos=a["trace_function_infos"],
    )
    snapshot.summary_rows = snapshot.rows_from(*a["summary"])
    return snapshot.seal()


def save_and_adopt(snapshot: Snapshot, options: CacheOptions) -> bool:
    """Write the cache, then let the snapshot use the mapped arrays instead of its own.

    The loaded index is then backed by the cache file: the pages the views
    read are resident, the rest stays on disk (a 1 GB snapshot's index drops
    from about 1.4 GB resident to what is touched). The values are the same,
    so anyone holding an old array keeps a valid one until they let it go.
    """
    if save(snapshot, options) is None:
        return False
    mapped = load(snapshot.path, options, verify=False)
    if mapped is None:
        return False
    try:
        snapshot.adopt_arrays(mapped, SNAPSHOT_ARRAY_FIELDS)
    except ValueError:
        return False
    # The string table stays as it is: its text and offsets must change together, and a reader on
    # another thread could see one without the other. (An uncompressed file's text is mapped already.)
    return True


__all__ = ["CacheOptions", "cache_file", "load", "save", "save_and_adopt"]
