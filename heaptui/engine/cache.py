"""An on-disk copy of a loaded index, memory-mapped when the same snapshot is opened again.

Indexing a 1 GB snapshot takes seconds; reopening it should not. The first
load writes every array of the :class:`~heaptui.engine.snapshot.Snapshot`
and the small tables beside them into one file; a later load of the same
file (same real path, size and modification time) maps that file instead.

One file per snapshot, named after a hash of its real path, under
``$XDG_CACHE_HOME/heaptui`` (``~/.cache/heaptui``) or a chosen directory::

    MAGIC | header length (8 bytes) | header CRC-32 (8 bytes) | header JSON | arrays, 64-byte aligned

The header names the format version, the source file's identity, each
array's dtype, shape, offset and CRC-32, and the tables (classes, interface
definitions, statistics, added strings). Nothing in a cache file is trusted
before it is checked: a wrong magic or version (foreign), another size or
modification time of the source (stale), a file shorter than the header
says (truncated) or a CRC that does not match (corrupted) makes the loader
ignore the cache, and the caller rebuilds it. Files are written under a
temporary name and renamed when complete, so a cancelled or killed write
never leaves a cache that looks whole.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .classes import ClassInfo, InterfaceDefinition
from .ephemerons import EphemeronNames
from .format import parse_meta
from .snapshot import Snapshot, TypeCodes
from .statistics import Statistics
from .strings import StringTable

MAGIC = b"HEAPTUI-INDEX\n"
VERSION = 1
ALIGN = 64
# Every snapshot a process writes is bigger (Node's smallest heap is ~0.8 MB gzipped, 6 MB as JSON), and
# even those are worth a cache: opening one without it starts numba (about a second), opening it from the
# cache does not, so the first screen comes up in half the time. Hand-made test files are smaller.
MIN_SOURCE_SIZE = 256 << 10
# Temporary files older than this belong to a write that was killed.
STALE_TEMP_SECONDS = 3600

_ARRAYS = ("node_type", "node_name", "node_id", "shallow", "first_edge", "node_trace_id", "node_detachedness",
           "edge_type", "edge_name", "edge_to", "first_retainer", "retainer_edge", "distances", "dominator",
           "retained", "class_id", "locations", "samples", "numbered_edge", "is_object_name",
           "trace_function_infos")


@dataclass(frozen=True)
class CacheOptions:
    """Where the index cache lives and whether to use it."""

    directory: str | None = None  # None: $XDG_CACHE_HOME/heaptui
    enabled: bool = True
    min_source_size: int | None = None  # None: MIN_SOURCE_SIZE
    # Write the cache on a thread and return at once: a command prints its answer while the cache is
    # written, and the process waits for the writer at exit (finish_at_exit); the app does not wait (a
    # quit must be instant), and a write cut short leaves only a temporary file.
    background: bool = False
    finish_at_exit: bool = True

    def location(self) -> Path:
        if self.directory:
            return Path(self.directory)
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "heaptui"

    def applies_to(self, source: str | os.PathLike[str]) -> bool:
        try:
            floor = MIN_SOURCE_SIZE if self.min_source_size is None else self.min_source_size
            return self.enabled and os.path.getsize(source) >= floor
        except OSError:
            return False


def cache_file(source: str | os.PathLike[str], options: CacheOptions) -> Path:
    """The cache file of a snapshot: one per real path (a new version of the file replaces it)."""
    real = os.path.realpath(source)
    return options.location() / (hashlib.sha256(real.encode("utf-8", "surrogatepass")).hexdigest()[:24] + ".index")


def _identity(source: str | os.PathLike[str]) -> dict[str, object]:
    st = os.stat(source)
    return {"path": os.path.realpath(source), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


# ---------------------------------------------------------------- writing


def save(snapshot: Snapshot, options: CacheOptions) -> Path | None:
    """Write the snapshot's index to its cache file; None (quietly) when the location is not writable."""
    target = cache_file(snapshot.path, options)
    temp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target.parent)
        arrays = _arrays_of(snapshot)
        header, layout = _header(snapshot, arrays)
        with open(temp, "wb") as f:
            f.write(layout)
            for name, array in arrays.items():
                f.seek(header["arrays"][name]["offset"])
                f.write(memoryview(np.ascontiguousarray(array)).cast("B"))
            f.truncate(header["file_end"])
        os.replace(temp, target)
        return target
    except (OSError, ValueError):
        return None
    finally:  # a failed, cancelled or interrupted write leaves nothing behind
        try:
            temp.unlink()
        except OSError:
            pass


def _remove_stale_temps(directory: Path) -> None:
    now = time.time()
    for temp in directory.glob("*.index.tmp-*"):
        try:
            if now - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                temp.unlink()
        except OSError:
            pass


def _arrays_of(s: Snapshot) -> dict[str, np.ndarray]:
    arrays = {name: getattr(s, name) for name in _ARRAYS if getattr(s, name) is not None}
    # The Summary's columns per class, so that a reopen needs no compiled pass at all.
    summary = np.zeros((4, len(s.classes)), dtype=np.int64)
    for row in s.summary():
        summary[:, row.class_index] = (row.count, row.distance, row.shallow_size, row.retained_size)
    strings = s.strings
    first = int(strings.starts.min()) if strings.file_count else 0
    last = int(strings.ends.max()) if strings.file_count else 0
    arrays.update(
        strings_blob=np.asarray(strings.blob[first:last]),
        strings_starts=strings.starts - first,
        strings_ends=strings.ends - first,
        strings_escaped=strings.escaped,
        strings_hashes=strings.hashes,
        ephemeron_part=s.ephemerons.part,
        ephemeron_table_id=s.ephemerons.table_id,
        summary=summary,
    )
    if s.trace_tree is not None:
        arrays["trace_tree"] = np.frombuffer(s.trace_tree, dtype=np.uint8)
    return arrays


def _header(s: Snapshot, arrays: dict[str, np.ndarray]) -> tuple[dict, bytes]:
    """The header (with every array's place and CRC) and the bytes that start the file."""
    entries = {}
    for name, array in arrays.items():
        data = memoryview(np.ascontiguousarray(array)).cast("B")
        entries[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "nbytes": int(array.nbytes),
                         "crc32": zlib.crc32(data)}
    header = {
        "version": VERSION,
        "source": _identity(s.path),
        "path": s.path,
        "meta": s.meta.raw,
        "file_size": s.file_size,
        "classes": [[c.name, list(c.location) if c.location else None] for c in s.classes],
        "interfaces": [[d.name, list(d.properties)] for d in s.interfaces],
        "statistics": asdict(s.statistics),
        "added_strings": list(s.strings._added),
        "ephemeron_part_count": s.ephemerons.part_count,
        "arrays": entries,
    }
    # Offsets depend on the header's length, which depends on the offsets: lay out twice.
    for _ in range(2):
        text = json.dumps(header, separators=(",", ":")).encode()
        offset = _align(len(MAGIC) + 16 + len(text) + 64)
        for name in arrays:
            entries[name]["offset"] = offset
            offset = _align(offset + entries[name]["nbytes"])
        header["file_end"] = offset
    text = json.dumps(header, separators=(",", ":")).encode()
    layout = MAGIC + len(text).to_bytes(8, "little") + zlib.crc32(text).to_bytes(8, "little") + text
    return header, layout


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


# ---------------------------------------------------------------- reading


def load(source: str | os.PathLike[str], options: CacheOptions, verify: bool = True) -> Snapshot | None:
    """The snapshot from its cache file, or None when there is none or it cannot be trusted.

    ``verify=False`` skips the arrays' CRCs: only for a file this process has just written.
    """
    path = cache_file(source, options)
    try:
        with open(path, "rb") as f:
            # Copy-on-write: the arrays are writable like a fresh load's (numba compiles read-only
            # arrays as another type), yet pages are read only when touched and never written back.
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError):
        return None
    try:
        return _read(mapped, source, verify)
    except (ValueError, KeyError, TypeError, IndexError, json.JSONDecodeError, OverflowError):
        return None


def _read(mapped: mmap.mmap, source: str | os.PathLike[str], verify: bool = True) -> Snapshot | None:
    if mapped[:len(MAGIC)] != MAGIC:
        return None  # foreign
    at = len(MAGIC)
    length = int.from_bytes(mapped[at:at + 8], "little")
    crc = int.from_bytes(mapped[at + 8:at + 16], "little")
    text = mapped[at + 16:at + 16 + length]
    if len(text) != length or zlib.crc32(text) != crc:
        return None  # truncated or corrupted header
    header = json.loads(text)
    if header.get("version") != VERSION or header.get("source") != _identity(source):
        return None  # another format, or the snapshot changed since
    if len(mapped) != header["file_end"]:
        return None  # truncated (or grown)
    buffer = memoryview(mapped)
    arrays: dict[str, np.ndarray] = {}
    for name, entry in header["arrays"].items():
        count = int(np.prod(entry["shape"])) if entry["shape"] else 1
        arrays[name] = np.frombuffer(buffer, dtype=np.dtype(entry["dtype"]), count=count,
                                     offset=entry["offset"]).reshape(entry["shape"])
    if verify and not _crcs_match(mapped, arrays, header["arrays"]):
        return None  # corrupted
    return _snapshot(header, arrays, str(source))


def _crcs_match(mapped: mmap.mmap, arrays: dict[str, np.ndarray], entries: dict[str, dict]) -> bool:
    """Check every array's CRC, the large ones side by side (zlib releases the GIL).

    Reading an array for its CRC brings all its pages in; they are dropped
    again right after (nothing was written to them), so the process holds
    only the pages the views go on to read.
    """
    def check(name: str) -> bool:
        ok = zlib.crc32(memoryview(arrays[name]).cast("B")) == entries[name]["crc32"]
        _forget(mapped, entries[name]["offset"], entries[name]["nbytes"])
        return ok

    names = sorted(arrays, key=lambda n: -arrays[n].nbytes)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return all(pool.map(check, names))


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


def _snapshot(header: dict, a: dict[str, np.ndarray], path: str) -> Snapshot:
    meta = parse_meta(header["meta"], path)
    strings = StringTable(a["strings_blob"], a["strings_starts"], a["strings_ends"], a["strings_escaped"],
                          a["strings_hashes"])
    for text in header["added_strings"]:
        strings.add(text)
    classes = [ClassInfo(name, tuple(location) if location else None) for name, location in header["classes"]]
    snapshot = Snapshot(
        path=path, meta=meta, types=TypeCodes.from_meta(meta), strings=strings, file_size=header["file_size"],
        node_type=a["node_type"], node_name=a["node_name"], node_id=a["node_id"], shallow=a["shallow"],
        first_edge=a["first_edge"], node_trace_id=a.get("node_trace_id"),
        node_detachedness=a.get("node_detachedness"), edge_type=a["edge_type"], edge_name=a["edge_name"],
        edge_to=a["edge_to"], first_retainer=a["first_retainer"], retainer_edge=a["retainer_edge"],
        distances=a["distances"], dominator=a["dominator"], retained=a["retained"], class_id=a["class_id"],
        classes=classes, interfaces=[InterfaceDefinition(n, tuple(p)) for n, p in header["interfaces"]],
        locations=a["locations"], statistics=Statistics(**header["statistics"]),
        numbered_edge=a["numbered_edge"], is_object_name=a["is_object_name"],
        ephemerons=EphemeronNames(a["ephemeron_part"], a["ephemeron_table_id"], header["ephemeron_part_count"]),
        samples=a.get("samples"), trace_tree=a["trace_tree"].tobytes() if "trace_tree" in a else None,
        # Required: a cache written before it was kept lacks it and is rebuilt (KeyError -> None).
        trace_function_infos=a["trace_function_infos"],
    )
    snapshot.summary_rows = snapshot.rows_from(*a["summary"])
    return snapshot


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
    for name in (*_ARRAYS, "samples"):
        if getattr(snapshot, name) is not None and getattr(mapped, name) is not None:
            setattr(snapshot, name, getattr(mapped, name))
    # The string table stays as it is: its text and offsets must change together, and a reader on
    # another thread could see one without the other. (An uncompressed file's text is mapped already.)
    return True


__all__ = ["CacheOptions", "cache_file", "load", "save", "save_and_adopt"]
