"""A small snapshot on a first run: read by the json module and indexed by the kernels as plain Python.

Compiling the kernels a load needs takes the loading process 7 to 9 seconds
of a 2-core machine (the compile worker takes the rest). A snapshot of a few
megabytes is faster to read with the standard json module and to index with
the kernels' own Python functions (:mod:`heaptui.engine.python_kernels`):
about 3.5 s for the 5 MB example, the same numbers, while the worker compiles
everything on the other core for the next run.

The columns must be exactly the scanners' (types, values, the string table's
offsets and hashes): anything this reader does not expect (a value out of its
column's range, counts that disagree, allocation traces, a string it cannot
place) makes it give up, and the normal reader runs and says what is wrong.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .format import parse_meta
from .jit import as_python
from .parse import RawSnapshot, open_input, validate
from .parse.sections import narrow_ints
from .strings import StringTable

# Above this much JSON the Python kernels take longer than compiling them.
MAX_TEXT = 12 << 20
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_STRINGS_KEY = re.compile(rb'(?<!\\)"strings"\s*:\s*\[')
_TRACE_TREE = re.compile(rb'(?<!\\)"trace_tree"\s*:\s*(\[\s*\])')
_FNV_OFFSET, _FNV_PRIME, _MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1
_FOLD = 0x9E3779B97F4A7C15  # scan._FOLD: the 64-bit hash folded to the table's 32 bits as the scanner does


def python_kernels() -> contextlib.AbstractContextManager[None]:
    """Run every kernel as plain Python in this thread for the block (other threads keep the compiled ones)."""
    return _quietly(as_python())


@contextlib.contextmanager
def _quietly(block: contextlib.AbstractContextManager[None]) -> Iterator[None]:
    with block, warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # integer arithmetic wraps, as compiled code does
        yield


def read_text(path: str | os.PathLike[str]) -> tuple[bytes, bool, int] | None:
    """(the JSON text, whether it is the file itself, size on disk), or None when it is larger than MAX_TEXT."""
    with open_input(path) as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not compressed:
            return (raw.read(), True, size) if size <= MAX_TEXT else None
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                text = stream.read(MAX_TEXT + 1)
        except (OSError, EOFError, zlib.error):  # the regular reader says what is wrong with the file
            return None
        return (text, False, size) if len(text) <= MAX_TEXT else None


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different (json would keep the last of a repeated one, silently)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a repeated key")
    return document


def _integers(values: Any) -> np.ndarray:
    """A JSON array of integers as int64 (ValueError for anything else: a float, true, a string, a nested array)."""
    if not isinstance(values, list) or not set(map(type, values)) <= {int}:
        raise ValueError("not an array of integers")
    return np.array(values, dtype=np.int64)


def _column(values: np.ndarray, dtype: type, limit: int) -> np.ndarray | None:
    if values.size and (int(values.min()) < 0 or int(values.max()) > limit):
        return None
    return values.astype(dtype)


def _skip_separators(text: bytes, pos: int) -> int:
    """Past commas and JSON whitespace, as the strings scanner skips them."""
    while pos < len(text) and text[pos] in b" \t\r\n,":
        pos += 1
    return pos


def _trace_tree(text: bytes, document: dict[str, Any]) -> tuple[bool, bytes | None]:
    """(usable, the trace_tree's bytes as the scanner captures them): only an empty tree is read here."""
    if "trace_tree" not in document:
        return True, None
    found = list(_TRACE_TREE.finditer(text))
    if document["trace_tree"] != [] or len(found) != 1:
        return False, None
    return True, found[0].group(1)


def _string_table(text: bytes, names: list[Any], mapped: str | None) -> StringTable | None:
    """The scanners' table of the file's strings: stored bytes, offsets, escape flags and FNV-1a hashes."""
    found = list(_STRINGS_KEY.finditer(text))
    if len(found) != 1:
        return None
    section = found[0].end()  # just after the array's '['
    starts, ends, escaped, hashes = [], [], [], []
    pos = _skip_separators(text, section)
    for name in names:
        match = _STRING.match(text, pos)
        if match is None or not isinstance(name, str):
            return None
        stored = match.group(1)
        if (json.loads(b'"' + stored + b'"') if b"\\" in stored else stored.decode("utf-8", "surrogatepass")) != name:
            return None
        starts.append(match.start(1))
        ends.append(match.end(1))
        escaped.append(1 if b"\\" in stored else 0)
        h = _FNV_OFFSET
        for byte in stored:
            h = ((h ^ byte) * _FNV_PRIME) & _MASK
        hashes.append((((h ^ (h >> 32)) * _FOLD) & _MASK) >> 32)
        pos = _skip_separators(text, match.end())
    if pos >= len(text) or text[pos] != 93:  # ']'
        return None
    end = pos + 1
    data: np.ndarray
    if mapped is not None:
        data = np.memmap(mapped, dtype=np.uint8, mode="r")
        shift = 0
    else:
        data = np.frombuffer(bytearray(text[section:end]), dtype=np.uint8)
        shift = section
    width = np.uint32 if data.shape[0] < 2**32 else np.int64
    return StringTable(
        data,
        (np.array(starts, dtype=np.int64) - shift).astype(width),
        (np.array(ends, dtype=np.int64) - shift).astype(width),
        np.array(escaped, dtype=np.uint8),
        np.array(hashes, dtype=np.uint32),
    )


def read_small(path: str | os.PathLike[str]) -> RawSnapshot | None:
    """The snapshot's columns as :func:`~heaptui.engine.parse.read_snapshot` gives them, or None (use that)."""
    got = read_text(path)
    if got is None:
        return None
    text, plain, file_size = got
    if text.lstrip(b" \t\r\n")[:1] != b"{":  # json would take a BOM or UTF-16; the normal reader names them
        return None
    try:
        document = json.loads(text, object_pairs_hook=_no_repeated_keys)
        meta = parse_meta(document["snapshot"], path)
        usable, trace_tree = _trace_tree(text, document)
        if not usable or meta.node_count == 0:
            return None
        nodes = _integers(document["nodes"])
        edges = _integers(document["edges"])
        sections: dict[str, Any] = {
            key: _integers(document.get(key, [])) for key in ("locations", "samples", "trace_function_infos")
        }
        sections["locations"] = narrow_ints(sections["locations"])
    except Exception:  # not JSON, not a snapshot, not integers: the normal reader says what
        return None
    nf, ef = meta.node_field_count, meta.edge_field_count
    if nodes.ndim != 1 or edges.ndim != 1 or nodes.size != meta.node_count * nf or edges.size != meta.edge_count * ef:
        return None
    rows = nodes.reshape(meta.node_count, nf)
    node = {name: rows[:, meta.node_offset(name)] for name in ("type", "name", "id", "self_size", "edge_count")}
    columns: dict[str, Any] = {"node_type": _column(node["type"], np.uint8, 255)}
    for name in ("name", "id", "self_size"):
        columns[f"node_{name}"] = _column(node[name], np.uint32, 2**32 - 1)
    counts = node["edge_count"]
    if counts.size and (int(counts.min()) < 0 or int(counts.max()) > meta.edge_count) or meta.edge_count >= 2**31 - 1:
        return None
    first_edge = np.zeros(meta.node_count + 1, dtype=np.int32)
    np.cumsum(counts, out=first_edge[1:])
    if int(counts.sum()) != meta.edge_count:
        return None
    for name, key, dtype, limit in (
        ("trace_node_id", "node_trace_id", np.uint32, 2**32 - 1),
        ("detachedness", "node_detachedness", np.uint8, 255),
    ):
        offset = meta.node_offset(name)
        column = _column(rows[:, offset], dtype, limit) if offset >= 0 else None
        columns[key] = column if column is not None and column.any() else None
        if offset >= 0 and column is None and rows[:, offset].any():
            return None
    erows = edges.reshape(meta.edge_count, ef)
    to_node = erows[:, meta.edge_offset("to_node")]
    if to_node.size and (int(to_node.min()) < 0 or (to_node % nf).any() or int(to_node.max()) > 2**32 - 1):
        return None
    columns["edge_type"] = _column(erows[:, meta.edge_offset("type")], np.uint8, 255)
    columns["edge_name"] = _column(erows[:, meta.edge_offset("name_or_index")], np.uint32, 2**32 - 1)
    columns["edge_to"] = _column(to_node // nf, np.int32, 2**31 - 1)
    if any(value is None for key, value in columns.items() if key not in ("node_trace_id", "node_detachedness")):
        return None
    strings = _string_table(text, document.get("strings", []), os.fspath(path) if plain else None)
    if strings is None:
        return None
    raw = RawSnapshot(
        meta=meta,
        strings=strings,
        first_edge=first_edge,
        trace_tree=trace_tree,
        file_size=file_size,
        **sections,
        **columns,
    )
    try:
        validate(raw, path)
    except Exception:
        return None
    return raw
