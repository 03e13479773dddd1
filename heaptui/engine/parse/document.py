"""Reading a whole snapshot: the top level of the file, section by section, into a :class:`RawSnapshot`.

Sections are recognised by name, in any order; unknown ones are skipped. An
uncompressed file's nodes and edges are scanned on threads of their own
(:mod:`.side_by_side`) while this reads on; a compressed one is read in line,
gunzipped a chunk ahead on another thread (:mod:`heaptui.engine.prefetch`).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from ..errors import SnapshotError, Truncated
from ..format import Meta
from ..memory import headroom, needed_for
from ..prefetch import Prefetcher
from ..progress import ProgressCallback, no_progress
from ..strings import StringTable
from . import limits
from .files import GZIP_MAGIC, PositionalFile, open_snapshot_file
from .raw import RawSnapshot, validate
from .reader import Reader, Stream, nesting_depth, next_section, open_object, read_header_value
from .sections import narrow_ints, read_edges, read_int_array, read_nodes, read_strings
from .side_by_side import Declined, SideBySide


def read_header(path: str | os.PathLike[str]) -> Meta:
    """Read only the ``snapshot`` header (meta and counts) from the start of the file.

    Cheap even for a huge or compressed file: only the start is read (and
    decompressed), in small chunks, up to the end of the header, which V8
    writes first. A header that is not first is found by skipping the sections
    before it, which takes time but no memory; a header larger than
    :data:`HEADER_LIMIT` is refused. Used to estimate the memory a load will
    need before committing to it.
    """
    stream, consumed, _ = open_snapshot_file(path)
    with stream:
        reader = Reader(stream, path, consumed, chunk_size=limits.HEADER_CHUNK)
        if isinstance(stream, gzip.GzipFile):
            reader.text_limit = limits.TEXT_SLACK
        open_object(reader, path)
        for count in range(limits.MAX_SECTIONS + 1):
            c = reader.next_byte()
            if c == ord("}"):
                break
            next_section(reader, c, count, path)
            key = reader.read_key()
            if key == "snapshot":
                return read_header_value(reader, path)
            reader.skip_value(None, f"the {key} section")
    raise SnapshotError(path, 'not a V8 heap snapshot: no "snapshot" header')


def check_counts_fit(meta: Meta, text_bound: int, path: object, plain: bool = False) -> None:
    """Counts the file cannot hold (each number takes at least a digit and a comma) are bad input,
    not a reason to ask for terabytes.

    An uncompressed file too short for its counts has almost always been cut
    short (a writer killed midway), and is called truncated; a compressed one
    would have to beat gzip's best ratio, so its counts are wrong.
    """
    for what, count, fields in (
        ("node", meta.node_count, meta.node_field_count),
        ("edge", meta.edge_count, meta.edge_field_count),
    ):
        needs = count * fields * 2
        if needs <= text_bound + 2:
            continue
        if plain:
            raise Truncated(
                path,
                f"truncated: the file ends at byte {text_bound:,}, but snapshot.{what}_count "
                f"{count:,} needs at least {needs:,} bytes (unless the count is wrong)",
            )
        raise SnapshotError(
            path,
            f"meta disagrees with the data: snapshot.{what}_count {count:,} needs more numbers than the file holds",
        )


def read_snapshot(
    path: str | os.PathLike[str],
    report: ProgressCallback = no_progress,
    salvage: bool = False,
) -> RawSnapshot:
    """Read a snapshot file into a :class:`RawSnapshot`, checking it against its own meta.

    With ``salvage``, a file that ends early (a process killed while writing
    it) gives what was complete: every node, the edges read so far, the strings
    read so far (the others named ``(lost)``); ``RawSnapshot.lost`` says what is missing.
    """
    room = headroom()
    budget = None if room is None else room.bytes * 9 // 10
    room_text = "" if room is None else room.describe()
    stream, consumed, file_size = open_snapshot_file(path)
    with stream:
        if not isinstance(stream, gzip.GzipFile) and not salvage and file_size > limits.SIDE_BY_SIDE_ABOVE:
            try:
                return _read_side_by_side(stream, file_size, path, report, budget, room_text)
            except Declined:
                stream.seek(0)  # the in-line read below says what is wrong, as it always has
        mapped = None if isinstance(stream, gzip.GzipFile) else os.fspath(path)
        with Prefetcher(stream, limits.CHUNK_SIZE) as prefetched:
            return _read(
                prefetched,
                consumed,
                file_size,
                path,
                report,
                mapped,  # type: ignore[arg-type]
                salvage=salvage,
                budget=budget,
                room=room_text,
            )


def _read_side_by_side(
    stream: BinaryIO,
    file_size: int,
    path: str | os.PathLike[str],
    report: ProgressCallback,
    budget: int | None,
    room: str,
) -> RawSnapshot:
    """An uncompressed file, its nodes and edges scanned on threads of their own; Declined when in doubt."""
    positional = PositionalFile(stream.fileno())
    side = SideBySide(stream.fileno(), path)
    try:
        return _read(
            positional,
            lambda: positional.read + side.progress(),
            file_size,
            path,  # type: ignore[arg-type]
            report,
            os.fspath(path),
            budget=budget,
            room=room,
            side=side,
        )
    except SnapshotError:
        raise Declined() from None
    finally:
        side.close()


def _read(
    stream: Stream,
    consumed: Callable[[], int],
    file_size: int,
    path: object,
    report: ProgressCallback,
    mapped: str | None = None,
    plain: bool = False,
    salvage: bool = False,
    budget: int | None = None,
    room: str = "",
    side: SideBySide | None = None,
) -> RawSnapshot:
    # Beside the threads, this one reads only the small sections and the strings: a small buffer does.
    chunk = limits.PIECE_CHUNK if side is not None else 0
    reader = Reader(stream, path, consumed, file_size if mapped is not None else 0, chunk)
    reader.mapped = mapped
    reader.salvage = salvage
    reader.plain = plain  # file_size is the size of the JSON text itself
    reader.budget, reader.room = budget, room
    if mapped is None and not plain:
        reader.text_limit = limits.TEXT_SLACK  # until the header says more
    return _read_sections(reader, file_size, path, report, side)


def _bound_by_the_header(reader: Reader, meta: Meta) -> None:
    """Bounds from the header's counts.

    The budget for what grows with the data is what the estimate from the counts leaves of it (the
    estimate's base too: numba's kernels are not all loaded yet); a quarter at least, so that with
    ``--force`` a load the estimate refused still gets to try. A compressed file's text may be as long
    as the counts' numbers and that budget's worth of strings can take, and a gigabyte more.
    """
    if reader.budget is not None:
        reader.budget = max(reader.budget - needed_for(meta.node_count, meta.edge_count), reader.budget // 4)
    if reader.text_limit is not None:
        numbers = meta.node_count * meta.node_field_count + meta.edge_count * meta.edge_field_count
        # What grows with the data holds at most the budget in memory, from at most 3 times that in text.
        held = 3 * reader.budget if reader.budget is not None else 64 << 30
        reader.text_limit = reader.offset() + limits.TEXT_PER_NUMBER * numbers + held + limits.TEXT_SLACK


def _read_sections(
    reader: Reader, file_size: int, path: object, report: ProgressCallback, side: SideBySide | None = None
) -> RawSnapshot:
    consumed = reader.consumed
    # The most text the file can hold: deflate compresses at most about 1032 to 1.
    text_bound = file_size if reader.mapped is not None or reader.plain else file_size * 1032
    mapped = reader.mapped

    def tick() -> None:
        report("parse", min(consumed(), file_size), file_size)

    open_object(reader, path)

    meta: Meta | None = None
    columns: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    strings: StringTable | None = None
    trace_tree: bytes | None = None
    try:
        for count in range(limits.MAX_SECTIONS + 1):
            c = reader.next_byte()
            if c == ord("}"):
                break
            next_section(reader, c, count, path)
            key = reader.read_key()
            if key == "snapshot":
                meta = read_header_value(reader, path)
                # A truncated file holds less than its counts say; --salvage allows that, not absurd counts.
                check_counts_fit(
                    meta,
                    text_bound * (1000 if reader.salvage else 1),
                    path,
                    plain=reader.mapped is not None or reader.plain,
                )
                _bound_by_the_header(reader, meta)
            elif key == "nodes":
                if meta is None:
                    raise SnapshotError(path, "not a V8 heap snapshot: nodes come before the snapshot header")
                if side is not None:
                    side.nodes(reader, meta)
                else:
                    columns.update(read_nodes(reader, meta, tick))
            elif key == "edges":
                if meta is None or not ("first_edge" in columns or side is not None and side.has("nodes")):
                    raise SnapshotError(path, "not a V8 heap snapshot: edges come before the nodes")
                if side is not None:
                    side.edges(reader, meta)
                else:
                    columns.update(read_edges(reader, meta, tick))
                if "edges_kept" in columns:  # salvaged: nodes keep only the edges that were read
                    np.minimum(columns["first_edge"], columns.pop("edges_kept"), out=columns["first_edge"])
                    raise Truncated(path, "truncated: the file ends inside the edges array")
            elif key == "strings":
                strings = read_strings(reader, tick, mapped)
            elif key in limits.SMALL_INT_SECTIONS:
                sections[key] = read_int_array(reader, key)
            elif key == "trace_tree":
                captured = bytearray()
                reader.skip_value(captured, "the trace_tree", cost=limits.TRACE_TREE_COST)
                if nesting_depth(captured) > limits.TRACE_DEPTH_LIMIT:
                    raise SnapshotError(
                        path,
                        f"not a V8 heap snapshot: the trace_tree nests deeper than "
                        f"{limits.TRACE_DEPTH_LIMIT} levels (V8 records at most 64 frames)",
                    )
                trace_tree = bytes(captured)
            else:
                reader.skip_value(None, f"the {key} section")
            tick()
    except Truncated as error:
        if not reader.salvage or meta is None or "edge_type" not in columns:
            raise
        if not any(note.startswith("the file ends") for note in reader.lost):
            reader.lost.append(f"{error.problem.removeprefix('truncated: ')}: the sections after it are lost")
    if side is not None:
        columns.update(side.collect(tick))
    if meta is None:
        raise SnapshotError(path, 'not a V8 heap snapshot: no "snapshot" header')
    for needed in ("node_type", "edge_type"):
        if needed not in columns:
            raise SnapshotError(path, f"not a V8 heap snapshot: no {needed.split('_')[0]}s array")
    if strings is None and reader.salvage and reader.lost:
        strings = StringTable(
            np.empty(0, dtype=np.uint8), *(np.empty(0, dtype=t) for t in (np.uint32, np.uint32, np.uint8, np.uint32))
        )
    if strings is None:
        raise SnapshotError(path, "not a V8 heap snapshot: no strings array")
    if reader.lost:
        _mark_lost(meta, columns, strings)
    raw = RawSnapshot(
        meta=meta,
        strings=strings,
        locations=narrow_ints(sections.get("locations", np.empty(0, dtype=np.int64))),
        samples=sections.get("samples", np.empty(0, dtype=np.int64)),
        trace_function_infos=sections.get("trace_function_infos", np.empty(0, dtype=np.int64)),
        trace_tree=trace_tree,
        file_size=file_size,
        lost=tuple(reader.lost),
        **columns,
    )
    validate(raw, path)
    return raw


def _mark_lost(meta: Meta, columns: dict[str, Any], strings: StringTable) -> None:
    """After a salvaged read: names past the strings that were read become ``(lost)``."""
    known = len(strings)
    lost = strings.add(limits.LOST)
    name = columns["node_name"]
    name[name >= known] = lost
    numbered = meta.numbered_edge_types()
    edge_name = columns["edge_name"]
    by_name = ~numbered[columns["edge_type"]] & (edge_name >= known)
    edge_name[by_name] = lost


def read_snapshot_bytes(data: bytes, path: object = "<bytes>", salvage: bool = False) -> RawSnapshot:
    """Read a snapshot held in memory (tests and fuzzing)."""
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    stream = io.BytesIO(data)
    return _read(stream, stream.tell, len(data), path, no_progress, plain=True, salvage=salvage)
