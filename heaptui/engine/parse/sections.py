"""The big sections of a snapshot: nodes and edges into columns, the strings' table, small integer arrays.

Each is read through a :class:`~.reader.Reader` here; :mod:`.side_by_side`
scans the nodes and edges of an uncompressed file on threads of their own with
the same column scanners and checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import scan
from ..errors import SnapshotError, Truncated
from ..format import Meta
from ..strings import StringTable
from . import limits
from .reader import Reader

_NO_U8 = np.empty(0, dtype=np.uint8)
_NO_U32 = np.empty(0, dtype=np.uint32)
_NO_I32 = np.empty(0, dtype=np.int32)
_FIELDS = ("type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness", "to_node")
_EMPTY = (_NO_U8, _NO_U32, _NO_U32, _NO_U32, _NO_I32, _NO_U32, _NO_U8, _NO_I32)


def column_scanner(
    what: str,
    count: int,
    field_count: int,
    node_field_count: int,
    offsets: dict[str, int],
    columns: dict[str, np.ndarray],
    backwards: bool = False,
) -> Callable[[np.ndarray, int, int, np.ndarray], int]:
    """The compiled scanner of the ``nodes`` or ``edges`` array, bound to ``columns`` (keyed like ``offsets``).

    ``backwards``: the one that reads from the array's end (:func:`~heaptui.engine.scan.scan_columns_back`).
    """
    limit = count * field_count
    where = [offsets.get(f, -1) for f in _FIELDS]
    arrays = [columns.get(f, e) for f, e in zip(_FIELDS, _EMPTY)]
    kernel = scan.scan_columns_back if backwards else scan.scan_columns

    def step(buf: np.ndarray, start: int, end: int, st: np.ndarray) -> int:
        return kernel(buf, start, end, st, field_count, limit, node_field_count, *where, *arrays)

    return step


def check_count(path: object, what: str, count: int, field_count: int, state: np.ndarray) -> None:
    """The array held exactly the header's count of numbers."""
    limit = count * field_count
    got = int(state[scan.ST_POS])
    if got != limit:
        raise SnapshotError(
            path,
            f"meta disagrees with the data: the {what} array has {got:,} numbers, "
            f"snapshot.{what[:-1]}_count {count:,} x {field_count} fields = {limit:,}",
        )


def _scan_section(
    reader: Reader,
    what: str,
    count: int,
    field_count: int,
    node_field_count: int,
    offsets: dict[str, int],
    columns: dict[str, np.ndarray],
    tick: Callable[[], None],
    state: np.ndarray,
) -> None:
    """Scan the ``nodes`` or ``edges`` array into ``columns`` (keyed like ``offsets``), checking the count."""
    step = column_scanner(what, count, field_count, node_field_count, offsets, columns)
    reader.run_scanner(step, state, what, tick, expected=count * field_count)
    check_count(reader.path, what, count, field_count, state)


def node_columns(meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int], np.ndarray]:
    """The nodes' columns to scan into (by field name), the fields' offsets, and ``first_edge``."""
    n = meta.node_count
    # np.empty, not np.zeros: the scanner writes every value (the count is checked), and
    # zero-filled memory that numpy asks the kernel to back with huge pages faults in about
    # twenty times slower here (1.8 s against 0.1 s for 640 MB).
    columns: dict[str, np.ndarray] = {name: np.empty(n, dtype=np.uint32) for name in ("name", "id", "self_size")}
    columns["type"] = np.empty(n, dtype=np.uint8)
    # Offsets fit in int32 below 2^31 edges; that halves the largest per-node arrays.
    first_edge = np.empty(n + 1, dtype=np.int32 if meta.edge_count < 2**31 - 1 else np.int64)
    first_edge[0] = 0
    columns["edge_count"] = first_edge[1:]  # counts become offsets by a cumulative sum below
    offsets = {name: meta.node_offset(name) for name in ("type", "name", "id", "self_size", "edge_count")}
    for name, dtype in (("trace_node_id", np.uint32), ("detachedness", np.uint8)):
        if meta.node_offset(name) >= 0:
            offsets[name] = meta.node_offset(name)
            columns[name] = np.empty(n, dtype=dtype)
    return columns, offsets, first_edge


def finish_nodes(path: object, meta: Meta, columns: dict[str, np.ndarray], first_edge: np.ndarray) -> dict[str, Any]:
    """Edge counts checked and made offsets; the columns under RawSnapshot's names."""
    n = meta.node_count
    edge_counts = columns["edge_count"]
    if n and (int(edge_counts.min()) < 0 or int(edge_counts.max()) > meta.edge_count):
        raise SnapshotError(path, "meta disagrees with the data: a node has more edges than snapshot.edge_count")
    np.cumsum(first_edge, out=first_edge)
    if first_edge[-1] != meta.edge_count or not scan.is_monotonic(first_edge):
        raise SnapshotError(
            path,
            f"meta disagrees with the data: the nodes' edge counts add up to "
            f"{int(first_edge[-1]):,}, snapshot.edge_count is {meta.edge_count:,}",
        )
    trace = columns.get("trace_node_id")
    detached = columns.get("detachedness")
    return {
        "node_type": columns["type"],
        "node_name": columns["name"],
        "node_id": columns["id"],
        "node_self_size": columns["self_size"],
        "first_edge": first_edge,
        "node_trace_id": trace if trace is not None and trace.any() else None,
        # Node writes the field but never sets it: an all-zero column is dropped.
        "node_detachedness": detached if detached is not None and detached.any() else None,
    }


def read_nodes(reader: Reader, meta: Meta, tick: Callable[[], None]) -> dict[str, Any]:
    columns, offsets, first_edge = node_columns(meta)
    _scan_section(
        reader,
        "nodes",
        meta.node_count,
        meta.node_field_count,
        meta.node_field_count,
        offsets,
        columns,
        tick,
        scan.new_state(),
    )
    return finish_nodes(reader.path, meta, columns, first_edge)


def edge_columns(meta: Meta) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The edges' columns to scan into (by field name) and the fields' offsets."""
    m = meta.edge_count
    columns: dict[str, np.ndarray] = {
        "type": np.empty(m, dtype=np.uint8),
        "name": np.empty(m, dtype=np.uint32),
        "to_node": np.empty(m, dtype=np.int32),
    }
    offsets = {
        "type": meta.edge_offset("type"),
        "name": meta.edge_offset("name_or_index"),
        "to_node": meta.edge_offset("to_node"),
    }
    return columns, offsets


def check_node_count(path: object, meta: Meta) -> None:
    if meta.node_count >= 2**31:
        raise SnapshotError(path, "too many nodes (more than 2^31)")


def read_edges(reader: Reader, meta: Meta, tick: Callable[[], None]) -> dict[str, Any]:
    m = meta.edge_count
    check_node_count(reader.path, meta)
    columns, offsets = edge_columns(meta)
    state = scan.new_state()
    try:
        _scan_section(reader, "edges", m, meta.edge_field_count, meta.node_field_count, offsets, columns, tick, state)
    except Truncated:
        if not reader.salvage:
            raise
        kept = int(state[scan.ST_POS]) // meta.edge_field_count
        reader.lost.append(
            f"the file ends inside the edges array: {m - kept:,} of {m:,} edges are lost, and the sections after it"
        )
        return {
            "edge_type": columns["type"][:kept],
            "edge_name": columns["name"][:kept],
            "edge_to": columns["to_node"][:kept],
            "edges_kept": kept,
        }
    except SnapshotError as error:
        if "bad value in the edges" in error.problem:
            edge = int(state[scan.ST_POS]) // meta.edge_field_count
            raise SnapshotError(reader.path, f"edge {edge:,} has a bad value (to_node must be a node index)") from None
        raise
    return {"edge_type": columns["type"], "edge_name": columns["name"], "edge_to": columns["to_node"]}


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    """A bigger array holding ``array``'s values (np.resize would also tile them: slower)."""
    out = np.empty(capacity, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


def narrow_ints(values: np.ndarray) -> np.ndarray:
    """``values`` as int32 when every one fits (a 1 GB snapshot's locations: 46 -> 23 MB for the whole session)."""
    info = np.iinfo(np.int32)
    if values.size and (int(values.min()) < info.min or int(values.max()) > info.max):
        return values
    return values.astype(np.int32)


def read_int_array(reader: Reader, what: str) -> np.ndarray:
    """An array of unknown length: filled in blocks, joined once at the end."""
    block = 1 << 20
    blocks: list[np.ndarray] = []
    out = np.empty(block, dtype=np.int64)
    state = scan.new_state()
    reader.expect("[", f"where the {what} array should start")
    while True:
        reader.pos = int(scan.scan_int_array(reader.buf, reader.pos, reader.end, state, out))
        if state[scan.ST_ERROR]:
            reader.raise_scan_error(state, what)
        if state[scan.ST_DONE]:
            if not blocks:  # the usual case, one block: shrunk in place rather than copied
                out.resize(int(state[scan.ST_POS]), refcheck=False)  # no view of it exists
                return out
            blocks.append(out[: int(state[scan.ST_POS])])
            return np.concatenate(blocks)
        if state[scan.ST_POS] >= out.shape[0]:
            blocks.append(out)
            reader.hold(out.nbytes, f"the {what} array")
            out = np.empty(block, dtype=np.int64)
            state[scan.ST_POS] = 0
            continue
        if not reader.fill():
            raise reader.truncated(f"inside the {what} array")


def read_strings(reader: Reader, report: Callable[[], None], mapped: str | None) -> StringTable:
    """Index the strings array while streaming through it.

    With ``mapped`` (the path of an uncompressed file) the text is not copied:
    the table reads it from a read-only memory map of the file, so only the
    pages of strings actually looked at take memory. Otherwise the section's
    bytes are kept in one buffer.
    """
    reader.expect("[", "where the strings array should start")
    section_start = reader.base + reader.pos
    blob = bytearray()
    # V8 writes the strings last: what is left of the file is about their size (~25 bytes a string).
    left = max(reader.file_size - reader.base - reader.pos, 0) if reader.file_size else 0
    capacity = max(1 << 16, left // 20)
    per_string = 21  # start, end, hash and escape flag
    reader.hold(capacity * per_string, "the strings array")
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    escaped = np.empty(capacity, dtype=np.uint8)
    hashes = np.empty(capacity, dtype=np.uint32)
    state = scan.new_state()
    while True:
        begin = reader.pos
        reader.pos = int(
            scan.index_strings_chunk(
                reader.buf, reader.pos, reader.end, reader.base, state, starts, ends, escaped, hashes
            )
        )
        if mapped is None:
            reader.hold(reader.pos - begin, "the strings array")
            blob += reader.buf[begin : reader.pos].tobytes()
        if state[scan.IS_ERROR] == scan.IS_ERR_ESCAPE:
            raise SnapshotError(reader.path, "bad string: an escape sequence JSON does not allow")
        if state[scan.IS_ERROR]:
            raise SnapshotError(reader.path, "not a V8 heap snapshot: the strings array is malformed")
        if state[scan.IS_DONE]:
            break
        if state[scan.IS_COUNT] == capacity:
            reader.hold(capacity * per_string, "the strings array")
            capacity *= 2
            starts, ends, escaped, hashes = (_grown(a, capacity) for a in (starts, ends, escaped, hashes))
            continue
        report()
        if not reader.fill():
            if not reader.salvage:
                raise reader.truncated("inside the strings array", f" (after {int(state[scan.IS_COUNT]):,} strings)")
            reader.lost.append(
                f"the file ends inside the strings array: strings from #{int(state[scan.IS_COUNT]):,} "
                f"on are lost (shown as {limits.LOST!r})"
            )
            break
    count = int(state[scan.IS_COUNT])
    escaped, hashes = escaped[:count].copy(), hashes[:count].copy()
    data: np.ndarray
    if mapped is not None:
        data = np.memmap(mapped, dtype=np.uint8, mode="r")
        shift = 0
    else:
        data = np.frombuffer(blob, dtype=np.uint8)
        shift = section_start
    # Offsets into the text fit 32 bits below 4 GB, halving the table's largest arrays.
    width = np.uint32 if data.shape[0] < 2**32 else np.int64
    text_starts, text_ends = ((a[:count] - shift).astype(width) for a in (starts, ends))
    return StringTable(data, text_starts, text_ends, escaped, hashes)
