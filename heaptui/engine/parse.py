"""Streaming read of a ``.heapsnapshot`` (or ``.heapsnapshot.gz``) into numpy columns.

The file is one JSON object. Its small parts (the ``snapshot`` header with the
meta block, the allocation ``trace_tree``) are parsed as JSON; its big parts
(``nodes``, ``edges``, ``strings``) go through the compiled scanners in
:mod:`.scan`, a chunk at a time, straight into arrays sized from the header's
counts. Sections are recognised by name, in any order; unknown ones are
skipped. Only the node and edge fields the engine uses are kept, in the
narrowest types that hold them.

Input may be hostile: only regular files are opened, and what the file can
make heaptui hold is bounded, so that a small gzip holding gigabytes gets one
line instead of the OOM killer: the header (1 MB), the buffers that grow with
the data (strings, trace tree, small sections: a budget from the memory
headroom less the estimate for the header's counts), a compressed file's
decompressed length, the number of sections and the trace tree's nesting.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from . import scan
from .errors import SnapshotError, Truncated
from .format import Meta, parse_meta
from .jit import as_python
from .memory import headroom
from .prefetch import Prefetcher
from .progress import ProgressCallback, no_progress
from .strings import StringTable

CHUNK_SIZE = 8 << 20
HEADER_CHUNK = 64 << 10  # read_header reads the start of the file only
HEADER_LIMIT = 1 << 20  # a real header is a few kB; its JSON can cost 67 times its size once parsed
# The trace tree is kept as text, but the Allocation view parses it: json.loads and the flattening
# take about 24 bytes per byte of it (measured), counted against the memory budget when it is read.
TRACE_TREE_COST = 24
# A compressed file's text is bounded by what its header's counts and the memory budget let it hold
# (deflate expands up to 1032 times: a 1 GB file of white space would take hours to read through).
TEXT_PER_NUMBER = 24  # a number, its comma and generous white space
TEXT_SLACK = 1 << 30  # white space, sections V8 does not write, the header
MAX_SECTIONS = 1000  # V8 writes nine; millions of tiny ones would take Python minutes to step through
TRACE_DEPTH_LIMIT = 400  # V8 records at most 64 frames a stack; JSON deeper than ~900 levels cannot be parsed
_SPACE = (False,) * 9 + (True, True, False, False, True) + (False,) * 18 + (True,) + (False,) * 223  # \t \n \r and " "
_GZIP_MAGIC = b"\x1f\x8b"
_SMALL_INT_SECTIONS = ("locations", "samples", "trace_function_infos")


@dataclass(frozen=True)
class RawSnapshot:
    """The file's content as columns: node and edge fields by ordinal, strings, extras."""

    meta: Meta
    node_type: np.ndarray  # uint8
    node_name: np.ndarray  # uint32, string index
    node_id: np.ndarray  # uint32
    node_self_size: np.ndarray  # uint32, as in the file
    first_edge: np.ndarray  # int32 (int64 past 2^31 edges), node_count + 1: node i's edges are [i]:[i+1]
    node_trace_id: np.ndarray | None  # uint32, when the file has allocation traces
    node_detachedness: np.ndarray | None  # uint8 (0 unknown, 1 attached, 2 detached), when the file has it
    edge_type: np.ndarray  # uint8
    edge_name: np.ndarray  # uint32: string index, or the element/hidden index
    edge_to: np.ndarray  # int32, target node ordinal
    strings: StringTable
    locations: np.ndarray  # int64, flat, location_fields per row
    samples: np.ndarray  # int64, flat, sample_fields per row
    trace_function_infos: np.ndarray  # int64, flat
    trace_tree: bytes | None  # raw JSON of the allocation trace tree
    file_size: int
    lost: tuple[str, ...] = ()  # what a salvaged read of a truncated file could not recover

    @property
    def node_count(self) -> int:
        return int(self.node_type.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.edge_type.shape[0])


_SPECIAL_FILES = ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_kind(path: str | os.PathLike[str], st: os.stat_result, what: str) -> None:
    """Refuse what is not a regular file: a pipe blocks or is read once, a device never ends, /proc lies about sizes.

    Inputs are read more than once (the header for the memory estimate, then
    the load) and their size bounds what they can hold, so only a regular file will do.
    """
    if stat.S_ISDIR(st.st_mode):
        raise SnapshotError(path, f"is a directory, not a {what}")
    for test, kind in _SPECIAL_FILES:
        if test(st.st_mode):
            raise SnapshotError(path, f"is {kind}, not a regular file: save it to a file first")
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotError(path, "is not a regular file: save it to a file first")
    real = os.path.realpath(path)
    if real.startswith(("/proc/", "/sys/")):
        raise SnapshotError(path, f"is a /{real.split('/')[1]} file, not a {what}")


def open_input(path: str | os.PathLike[str], what: str = "snapshot file") -> BinaryIO:
    """Open a regular file for reading, or raise :class:`SnapshotError` saying in one line why not.

    The file's type is checked before it is opened, and it is opened
    non-blocking and checked again, so a FIFO with no writer never hangs
    (nor a FIFO put in the file's place between the two looks).
    """
    try:
        _check_kind(path, os.stat(path), what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SnapshotError(path, "no such file") from None
    except IsADirectoryError:
        raise SnapshotError(path, f"is a directory, not a {what}") from None
    except PermissionError:
        raise SnapshotError(path, "permission denied") from None
    except OSError as error:
        raise SnapshotError(path, f"cannot open: {error.strerror or error}") from None
    try:
        _check_kind(path, os.fstat(fd), what)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_compressed(path: str | os.PathLike[str]) -> bool:
    """Whether the file is gzipped (by its first bytes, not its name); raises :class:`SnapshotError` if unreadable."""
    with open_input(path) as raw:
        try:
            return raw.read(2) == _GZIP_MAGIC
        except OSError as error:
            raise SnapshotError(path, f"cannot read: {error.strerror or error}") from None


def open_snapshot_file(path: str | os.PathLike[str]) -> tuple[BinaryIO, Callable[[], int], int]:
    """Open a snapshot, transparently gunzipping; returns (stream, bytes read so far, size on disk)."""
    raw = open_input(path)
    try:
        size = os.fstat(raw.fileno()).st_size
        magic = raw.read(2)
        raw.seek(0)
    except OSError as error:
        raw.close()
        raise SnapshotError(path, f"cannot read: {error.strerror or error}") from None
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw.tell, size  # type: ignore[return-value]
    return raw, raw.tell, size


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
        reader = _Reader(stream, path, consumed, chunk_size=HEADER_CHUNK)
        if isinstance(stream, gzip.GzipFile):
            reader.text_limit = TEXT_SLACK
        _open_object(reader, path)
        for count in range(MAX_SECTIONS + 1):
            c = reader.next_byte()
            if c == ord("}"):
                break
            _next_section(reader, c, count, path)
            key = reader.read_key()
            if key == "snapshot":
                return _read_header_value(reader, path)
            reader.skip_value(None, f"the {key} section")
    raise SnapshotError(path, 'not a V8 heap snapshot: no "snapshot" header')


def _next_section(reader: _Reader, c: int, count: int, path: object) -> None:
    """Step over the comma before section ``count`` (none before the first); refuse too many sections."""
    if count >= MAX_SECTIONS:
        raise SnapshotError(path, f"not a V8 heap snapshot: more than {MAX_SECTIONS:,} sections")
    if count:
        if c != ord(","):
            reader.fail_at(c, "between two sections")
        reader.pos += 1


def _open_object(reader: _Reader, path: object) -> None:
    """Consume the ``{`` a snapshot starts with, or say what the file is instead."""
    first = reader.next_byte()
    if first < 0:
        raise SnapshotError(path, "empty file")
    if first == ord("["):
        raise SnapshotError(path, "not a V8 heap snapshot: the file is a JSON array, not an object")
    if first != ord("{"):
        raise SnapshotError(path, "not JSON: a heap snapshot starts with '{'")
    reader.pos += 1


def _read_header_value(reader: _Reader, path: object) -> Meta:
    """The ``snapshot`` header's value, parsed; bounded in size, and nesting too deep for JSON is one line."""
    captured = bytearray()
    # The header is a few hundred bytes (at most HEADER_LIMIT): the scanner's Python function passes over it in
    # well under a millisecond, and opening a snapshot from its index cache (which checks this header) never
    # waits for numba to start.
    with as_python(["scan"]):
        reader.skip_value(captured, "the snapshot header", limit=HEADER_LIMIT)
    try:
        return parse_meta(json.loads(captured), path)
    except RecursionError:
        raise SnapshotError(path, "not a V8 heap snapshot: the snapshot header is nested too deeply") from None
    except ValueError:
        raise SnapshotError(path, "not JSON: the snapshot header does not parse") from None


def nesting_depth(text: bytes | bytearray) -> int:
    """How deep brackets nest in JSON text (strings are not skipped: for text that has none, like a trace tree)."""
    data = np.frombuffer(text, dtype=np.uint8)
    deepest = depth = 0
    block = 1 << 20
    for start in range(0, data.shape[0], block):
        part = data[start:start + block]
        steps = (part == 91).astype(np.int32) + (part == 123) - (part == 93) - (part == 125)
        levels = np.cumsum(steps, dtype=np.int64) + depth
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
    return deepest


LOST = "(lost)"  # the name of what a salvaged snapshot lost


class _Reader:
    """A chunked byte buffer over the file, with the small token reads the top level needs."""

    def __init__(self, stream: BinaryIO, path: object, consumed: Callable[[], int], file_size: int = 0,
                 chunk_size: int = CHUNK_SIZE) -> None:
        self.stream = stream
        self.path = path
        self.consumed = consumed
        self.file_size = file_size
        self.chunk_size = chunk_size
        self.buf = np.empty(chunk_size, dtype=np.uint8)
        self.pos = 0
        self.end = 0
        self.base = 0  # stream offset of buf[0]
        self.eof = False
        self.mapped: str | None = None  # the file's path when its strings can be memory-mapped
        self.plain = False  # the stream is the JSON text itself, file_size its length
        self.salvage = False  # keep what is complete when the file ends early
        self.lost: list[str] = []  # what a salvaged read could not recover
        # Bytes the buffers that grow with the data (strings, trace tree, small sections) may take, or None:
        # what keeps a small compressed file that holds gigabytes from taking them.
        self.budget: int | None = None
        self.held = 0
        self.room = ""  # which limit the budget comes from, for the message
        self.text_limit: int | None = None  # the most text a compressed file may decompress to

    def hold(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` more of memory for ``what``; past the budget, refuse the file in one line."""
        self.held += nbytes
        if self.budget is not None and self.held > self.budget:
            raise SnapshotError(self.path, f"{what} needs more than the {self.budget / 1e9:.1f} GB of memory left "
                                           f"for it, of {self.room}: too big for this machine, or a file made to "
                                           "exhaust memory")

    def offset(self) -> int:
        """The position in the (uncompressed) text, for messages."""
        return self.base + self.pos

    def truncated(self, where: str, detail: str = "") -> Truncated:
        """The error for a file that ends early: where, and at which byte it was cut."""
        unit = "of its uncompressed text" if not (self.mapped or self.plain) else ""
        return Truncated(self.path, f"truncated: the file ends {where}, cut short at byte {self.base + self.end:,} "
                                    f"{unit}{detail}")

    def fill(self) -> bool:
        """Keep the unread bytes, read more after them; False at end of file."""
        remaining = self.end - self.pos
        if remaining:
            self.buf[:remaining] = self.buf[self.pos:self.end]
        self.base += self.pos
        self.pos, self.end = 0, remaining
        if remaining == self.buf.shape[0]:
            self.buf = np.concatenate([self.buf, np.empty(self.chunk_size, dtype=np.uint8)])
        try:
            n = self.stream.readinto(memoryview(self.buf)[remaining:])  # type: ignore[attr-defined]
        except EOFError:
            raise Truncated(self.path, f"truncated: the compressed file ends early, cut short after byte "
                                       f"{self.base + self.end:,} of its uncompressed text") from None
        except (OSError, gzip.BadGzipFile, zlib.error) as error:
            raise SnapshotError(self.path, f"cannot read: {error}") from None
        if not n:
            self.eof = True
            return False
        self.end += n
        if self.text_limit is not None and self.base + self.end > self.text_limit:
            raise SnapshotError(self.path, f"decompresses to more than {self.text_limit / 1e9:.1f} GB, more than its "
                                           "header's counts and the memory left allow: a file made to exhaust time "
                                           "or memory")
        return True

    def next_byte(self) -> int:
        """The next byte that is not white space (not consumed), or -1 at end of file."""
        while True:
            while self.pos < self.end:
                c = int(self.buf[self.pos])
                if _SPACE[c]:
                    self.skip_spaces()
                    continue
                if c == 0xEF and self.end - self.pos >= 3 and bytes(self.buf[self.pos:self.pos + 3]) == b"\xef\xbb\xbf":
                    self.pos += 3  # a BOM
                    continue
                return c
            if not self.fill():
                return -1

    def skip_spaces(self) -> None:
        """Pass a run of white space in the buffer with numpy (a byte at a time in Python took 88 s for 100 MB)."""
        step = 256
        while self.pos < self.end:
            window = self.buf[self.pos:min(self.pos + step, self.end)].tobytes()
            others = window.translate(None, b" \t\r\n")  # C speed (lstrip with an argument is 5 times slower)
            if others:  # the first of them is where the run ends: an earlier copy of it would be first
                self.pos += window.index(others[:1])
                return
            self.pos += len(window)
            step = min(step * 16, 1 << 22)

    def expect(self, char: str, where: str) -> None:
        c = self.next_byte()
        if c != ord(char):
            self.fail_at(c, where)
        self.pos += 1

    def fail_at(self, c: int, where: str) -> None:
        if c < 0:
            raise self.truncated(where)
        raise SnapshotError(self.path, f"not a V8 heap snapshot: unexpected {chr(c)!r} {where}")

    def read_key(self) -> str:
        self.expect('"', "where a section name should be")
        raw = bytearray()
        while True:
            if self.pos >= self.end and not self.fill():
                raise self.truncated("inside a section name")
            c = int(self.buf[self.pos])
            self.pos += 1
            if c == 34 and not (raw and raw[-1] == 92):
                break
            raw.append(c)
            if len(raw) > 4096:
                raise SnapshotError(self.path, "not a V8 heap snapshot: a section name is too long")
        self.expect(":", "after a section name")
        try:
            return json.loads(b'"' + bytes(raw) + b'"')
        except ValueError:
            raise SnapshotError(self.path, "not a V8 heap snapshot: a section name is not a JSON string") from None

    def skip_value(self, capture: bytearray | None = None, what: str = "a value", limit: int | None = None,
                   cost: int = 1) -> None:
        """Pass over one JSON value, copying its bytes into ``capture`` if given.

        A capture counts against the memory budget (``cost`` bytes per byte), and is refused past ``limit`` bytes.
        """
        state = scan.new_state()
        self.next_byte()
        while True:
            start = self.pos
            self.pos = int(scan.skip_value(self.buf, self.pos, self.end, state))
            if capture is not None:
                if limit is not None and len(capture) + self.pos - start > limit:
                    raise SnapshotError(self.path, f"not a V8 heap snapshot: {what} is larger than "
                                                   f"{limit >> 20} MB")
                self.hold((self.pos - start) * cost, what)
                capture += self.buf[start:self.pos].tobytes()
            if state[scan.SK_DONE]:
                return
            if not self.fill():
                raise self.truncated(f"inside {what}")

    def run_scanner(self, step: Callable[[np.ndarray, int, int, np.ndarray], int], state: np.ndarray,
                    what: str, on_chunk: Callable[[], None] | None = None, expected: int = 0) -> None:
        """Feed chunks to a number scanner until it reads its closing bracket."""
        self.expect("[", f"where the {what} array should start")
        while True:
            self.pos = int(step(self.buf, self.pos, self.end, state))
            if state[scan.ST_ERROR]:
                self.raise_scan_error(state, what)
            if state[scan.ST_DONE]:
                return
            if on_chunk is not None:
                on_chunk()
            if not self.fill():
                raise self.truncated(f"inside the {what} array",
                                     f" (after {int(state[scan.ST_POS]):,} of the {expected:,} numbers its header "
                                     "counts)")

    def raise_scan_error(self, state: np.ndarray, what: str) -> None:
        code = int(state[scan.ST_ERROR])
        at = int(state[scan.ST_POS])
        if code == scan.ERR_TOO_MANY:
            raise SnapshotError(self.path, f"meta disagrees with the data: the {what} array has more "
                                           f"numbers than snapshot.{what[:-1]}_count allows ({at:,})")
        if code == scan.ERR_RANGE:
            raise SnapshotError(self.path, f"bad value in the {what} array at number {at:,}")
        c = int(self.buf[self.pos]) if self.pos < self.end else -1
        char = repr(chr(c)) if c >= 0 else "end of data"
        raise SnapshotError(self.path, f"not a V8 heap snapshot: unexpected {char} in the {what} array "
                                       f"at number {at:,}")


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    """A bigger array holding ``array``'s values (np.resize would also tile them: slower)."""
    out = np.empty(capacity, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


def _read_int_array(reader: _Reader, what: str) -> np.ndarray:
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


def _read_strings(reader: _Reader, report: Callable[[], None], mapped: str | None) -> StringTable:
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
    per_string = 25  # start, end, hash and escape flag
    reader.hold(capacity * per_string, "the strings array")
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    escaped = np.empty(capacity, dtype=np.uint8)
    hashes = np.empty(capacity, dtype=np.uint64)
    state = scan.new_state()
    while True:
        begin = reader.pos
        reader.pos = int(scan.index_strings_chunk(reader.buf, reader.pos, reader.end, reader.base, state,
                                                  starts, ends, escaped, hashes))
        if mapped is None:
            reader.hold(reader.pos - begin, "the strings array")
            blob += reader.buf[begin:reader.pos].tobytes()
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
                raise reader.truncated("inside the strings array",
                                       f" (after {int(state[scan.IS_COUNT]):,} strings)")
            reader.lost.append(f"the file ends inside the strings array: strings from #{int(state[scan.IS_COUNT]):,} "
                               f"on are lost (shown as {LOST!r})")
            break
    count = int(state[scan.IS_COUNT])
    escaped, hashes = escaped[:count].copy(), hashes[:count].copy()
    if mapped is not None:
        data = np.memmap(mapped, dtype=np.uint8, mode="r")
        shift = 0
    else:
        data = np.frombuffer(blob, dtype=np.uint8)
        shift = section_start
    # Offsets into the text fit 32 bits below 4 GB, halving the table's largest arrays.
    width = np.uint32 if data.shape[0] < 2**32 else np.int64
    starts, ends = ((a[:count] - shift).astype(width) for a in (starts, ends))
    return StringTable(data, starts, ends, escaped, hashes)


def read_snapshot(path: str | os.PathLike[str], report: ProgressCallback = no_progress,
                  salvage: bool = False) -> RawSnapshot:
    """Read a snapshot file into a :class:`RawSnapshot`, checking it against its own meta.

    With ``salvage``, a file that ends early (a process killed while writing
    it) gives what was complete: every node, the edges read so far, the strings
    read so far (the others named ``(lost)``); ``RawSnapshot.lost`` says what is missing.
    """
    room = headroom()
    stream, consumed, file_size = open_snapshot_file(path)
    mapped = None if isinstance(stream, gzip.GzipFile) else os.fspath(path)
    with stream, Prefetcher(stream, CHUNK_SIZE) as prefetched:
        return _read(prefetched, consumed, file_size, path, report, mapped,  # type: ignore[arg-type]
                     salvage=salvage, budget=None if room is None else room.bytes * 9 // 10,
                     room="" if room is None else room.describe())


def _read(stream: BinaryIO, consumed: Callable[[], int], file_size: int, path: object,
          report: ProgressCallback, mapped: str | None = None, plain: bool = False,
          salvage: bool = False, budget: int | None = None, room: str = "") -> RawSnapshot:
    reader = _Reader(stream, path, consumed, file_size if mapped is not None else 0)
    reader.mapped = mapped
    reader.salvage = salvage
    reader.plain = plain  # file_size is the size of the JSON text itself
    reader.budget, reader.room = budget, room
    if mapped is None and not plain:
        reader.text_limit = TEXT_SLACK  # until the header says more
    return _read_sections(reader, file_size, path, report)


def _bound_by_the_header(reader: _Reader, meta: Meta) -> None:
    """Bounds from the header's counts.

    The budget for what grows with the data is what the estimate from the counts leaves of it (the
    estimate's base too: numba's kernels are not all loaded yet); a quarter at least, so that with
    ``--force`` a load the estimate refused still gets to try. A compressed file's text may be as long
    as the counts' numbers and that budget's worth of strings can take, and a gigabyte more.
    """
    if reader.budget is not None:
        from .estimate import needed_for  # estimate reads headers with this module

        reader.budget = max(reader.budget - needed_for(meta.node_count, meta.edge_count), reader.budget // 4)
    if reader.text_limit is not None:
        numbers = meta.node_count * meta.node_field_count + meta.edge_count * meta.edge_field_count
        # What grows with the data holds at most the budget in memory, from at most 3 times that in text.
        held = 3 * reader.budget if reader.budget is not None else 64 << 30
        reader.text_limit = reader.offset() + TEXT_PER_NUMBER * numbers + held + TEXT_SLACK


def _read_sections(reader: _Reader, file_size: int, path: object, report: ProgressCallback) -> RawSnapshot:
    consumed = reader.consumed
    # The most text the file can hold: deflate compresses at most about 1032 to 1.
    text_bound = file_size if reader.mapped is not None or reader.plain else file_size * 1032
    mapped = reader.mapped

    def tick() -> None:
        report("parse", min(consumed(), file_size), file_size)

    _open_object(reader, path)

    meta: Meta | None = None
    columns: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    strings: StringTable | None = None
    trace_tree: bytes | None = None
    try:
        for count in range(MAX_SECTIONS + 1):
            c = reader.next_byte()
            if c == ord("}"):
                break
            _next_section(reader, c, count, path)
            key = reader.read_key()
            if key == "snapshot":
                meta = _read_header_value(reader, path)
                # A truncated file holds less than its counts say; --salvage allows that, not absurd counts.
                _check_counts_fit(meta, text_bound * (1000 if reader.salvage else 1), path,
                                  plain=reader.mapped is not None or reader.plain)
                _bound_by_the_header(reader, meta)
            elif key == "nodes":
                if meta is None:
                    raise SnapshotError(path, "not a V8 heap snapshot: nodes come before the snapshot header")
                columns.update(_read_nodes(reader, meta, tick))
            elif key == "edges":
                if meta is None or "first_edge" not in columns:
                    raise SnapshotError(path, "not a V8 heap snapshot: edges come before the nodes")
                columns.update(_read_edges(reader, meta, tick))
                if "edges_kept" in columns:  # salvaged: nodes keep only the edges that were read
                    np.minimum(columns["first_edge"], columns.pop("edges_kept"), out=columns["first_edge"])
                    raise Truncated(path, "truncated: the file ends inside the edges array")
            elif key == "strings":
                strings = _read_strings(reader, tick, mapped)
            elif key in _SMALL_INT_SECTIONS:
                sections[key] = _read_int_array(reader, key)
            elif key == "trace_tree":
                captured = bytearray()
                reader.skip_value(captured, "the trace_tree", cost=TRACE_TREE_COST)
                if nesting_depth(captured) > TRACE_DEPTH_LIMIT:
                    raise SnapshotError(path, f"not a V8 heap snapshot: the trace_tree nests deeper than "
                                              f"{TRACE_DEPTH_LIMIT} levels (V8 records at most 64 frames)")
                trace_tree = bytes(captured)
            else:
                reader.skip_value(None, f"the {key} section")
            tick()
    except Truncated as error:
        if not reader.salvage or meta is None or "edge_type" not in columns:
            raise
        if not any(note.startswith("the file ends") for note in reader.lost):
            reader.lost.append(f"{error.problem.removeprefix('truncated: ')}: the sections after it are lost")
    if meta is None:
        raise SnapshotError(path, 'not a V8 heap snapshot: no "snapshot" header')
    for needed in ("node_type", "edge_type"):
        if needed not in columns:
            raise SnapshotError(path, f"not a V8 heap snapshot: no {needed.split('_')[0]}s array")
    if strings is None and reader.salvage and reader.lost:
        strings = StringTable(np.empty(0, dtype=np.uint8), *(np.empty(0, dtype=t) for t in
                                                             (np.uint32, np.uint32, np.uint8, np.uint64)))
    if strings is None:
        raise SnapshotError(path, "not a V8 heap snapshot: no strings array")
    if reader.lost:
        _mark_lost(meta, columns, strings)
    raw = RawSnapshot(
        meta=meta,
        strings=strings,
        locations=sections.get("locations", np.empty(0, dtype=np.int64)),
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
    lost = strings.add(LOST)
    name = columns["node_name"]
    name[name >= known] = lost
    numbered = meta.numbered_edge_types()
    edge_name = columns["edge_name"]
    by_name = ~numbered[columns["edge_type"]] & (edge_name >= known)
    edge_name[by_name] = lost


_NO_U8 = np.empty(0, dtype=np.uint8)
_NO_U32 = np.empty(0, dtype=np.uint32)
_NO_I32 = np.empty(0, dtype=np.int32)


def _scan_section(reader: _Reader, what: str, count: int, field_count: int, node_field_count: int,
                  offsets: dict[str, int], columns: dict[str, np.ndarray], tick: Callable[[], None],
                  state: np.ndarray) -> None:
    """Scan the ``nodes`` or ``edges`` array into ``columns`` (keyed like ``offsets``), checking the count."""
    limit = count * field_count
    fields = ("type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness", "to_node")
    empty = (_NO_U8, _NO_U32, _NO_U32, _NO_U32, _NO_I32, _NO_U32, _NO_U8, _NO_I32)
    where = [offsets.get(f, -1) for f in fields]
    arrays = [columns.get(f, e) for f, e in zip(fields, empty)]

    def step(buf: np.ndarray, start: int, end: int, st: np.ndarray) -> int:
        return scan.scan_columns(buf, start, end, st, field_count, limit, node_field_count, *where, *arrays)

    reader.run_scanner(step, state, what, tick, expected=limit)
    got = int(state[scan.ST_POS])
    if got != limit:
        raise SnapshotError(reader.path, f"meta disagrees with the data: the {what} array has {got:,} numbers, "
                                         f"snapshot.{what[:-1]}_count {count:,} x {field_count} fields = {limit:,}")


def _check_counts_fit(meta: Meta, text_bound: int, path: object, plain: bool = False) -> None:
    """Counts the file cannot hold (each number takes at least a digit and a comma) are bad input,
    not a reason to ask for terabytes.

    An uncompressed file too short for its counts has almost always been cut
    short (a writer killed midway), and is called truncated; a compressed one
    would have to beat gzip's best ratio, so its counts are wrong.
    """
    for what, count, fields in (("node", meta.node_count, meta.node_field_count),
                                ("edge", meta.edge_count, meta.edge_field_count)):
        needs = count * fields * 2
        if needs <= text_bound + 2:
            continue
        if plain:
            raise Truncated(path, f"truncated: the file ends at byte {text_bound:,}, but snapshot.{what}_count "
                                  f"{count:,} needs at least {needs:,} bytes (unless the count is wrong)")
        raise SnapshotError(path, f"meta disagrees with the data: snapshot.{what}_count {count:,} needs more "
                                  "numbers than the file holds")


def _read_nodes(reader: _Reader, meta: Meta, tick: Callable[[], None]) -> dict[str, Any]:
    n = meta.node_count
    # np.empty, not np.zeros: the scanner writes every value (the count is checked), and
    # zero-filled memory that numpy asks the kernel to back with huge pages faults in about
    # twenty times slower here (1.8 s against 0.1 s for 640 MB).
    columns = {name: np.empty(n, dtype=np.uint32) for name in ("name", "id", "self_size")}
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
    _scan_section(reader, "nodes", n, meta.node_field_count, meta.node_field_count, offsets, columns, tick,
                  scan.new_state())
    edge_counts = columns["edge_count"]
    if n and (int(edge_counts.min()) < 0 or int(edge_counts.max()) > meta.edge_count):
        raise SnapshotError(reader.path, "meta disagrees with the data: a node has more edges than "
                                         "snapshot.edge_count")
    np.cumsum(first_edge, out=first_edge)
    if first_edge[-1] != meta.edge_count or not scan.is_monotonic(first_edge):
        raise SnapshotError(reader.path, f"meta disagrees with the data: the nodes' edge counts add up to "
                                         f"{int(first_edge[-1]):,}, snapshot.edge_count is {meta.edge_count:,}")
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


def _read_edges(reader: _Reader, meta: Meta, tick: Callable[[], None]) -> dict[str, Any]:
    m = meta.edge_count
    if meta.node_count >= 2**31:
        raise SnapshotError(reader.path, "too many nodes (more than 2^31)")
    columns = {"type": np.empty(m, dtype=np.uint8), "name": np.empty(m, dtype=np.uint32),
               "to_node": np.empty(m, dtype=np.int32)}
    offsets = {"type": meta.edge_offset("type"), "name": meta.edge_offset("name_or_index"),
               "to_node": meta.edge_offset("to_node")}
    state = scan.new_state()
    try:
        _scan_section(reader, "edges", m, meta.edge_field_count, meta.node_field_count, offsets, columns, tick,
                      state)
    except Truncated:
        if not reader.salvage:
            raise
        kept = int(state[scan.ST_POS]) // meta.edge_field_count
        reader.lost.append(f"the file ends inside the edges array: {m - kept:,} of {m:,} edges are lost, and the "
                           "sections after it")
        return {"edge_type": columns["type"][:kept], "edge_name": columns["name"][:kept],
                "edge_to": columns["to_node"][:kept], "edges_kept": kept}
    except SnapshotError as error:
        if "bad value in the edges" in error.problem:
            edge = int(state[scan.ST_POS]) // meta.edge_field_count
            raise SnapshotError(reader.path, f"edge {edge:,} has a bad value (to_node must be a node index)") from None
        raise
    return {"edge_type": columns["type"], "edge_name": columns["name"], "edge_to": columns["to_node"]}


def validate(raw: RawSnapshot, path: object) -> None:
    """Check what the scanners could not: references between the arrays."""
    meta = raw.meta
    n = raw.node_count
    if n == 0:
        raise SnapshotError(path, "empty snapshot: it has no nodes")
    string_count = len(raw.strings)
    bad = int(scan.first_bad_edge(raw.edge_type, raw.edge_name, raw.edge_to, n, len(meta.edge_types),
                                  meta.numbered_edge_types(),
                                  string_count))
    if bad >= 0:
        if raw.edge_to[bad] >= n:
            raise SnapshotError(path, f"edge {bad:,} points outside the nodes (to node {int(raw.edge_to[bad]):,} "
                                      f"of {n:,})")
        if raw.edge_type[bad] >= len(meta.edge_types):
            raise SnapshotError(path, f"edge {bad:,} has type {int(raw.edge_type[bad])}, which meta does not list")
        raise SnapshotError(path, f"edge {bad:,} names string {int(raw.edge_name[bad]):,}, "
                                  f"but there are {string_count:,} strings")
    if int(raw.node_type.max()) >= len(meta.node_types):
        bad = int(np.argmax(raw.node_type >= len(meta.node_types)))
        raise SnapshotError(path, f"node {bad:,} has type {int(raw.node_type[bad])}, which meta does not list")
    if int(raw.node_name.max()) >= string_count:
        bad = int(np.argmax(raw.node_name >= string_count))
        raise SnapshotError(path, f"node {bad:,} names string {int(raw.node_name[bad]):,}, "
                                  f"but there are {string_count:,} strings")
    lf = len(meta.location_fields)
    if raw.locations.size and (lf == 0 or raw.locations.size % lf):
        raise SnapshotError(path, "meta disagrees with the data: the locations array does not fit location_fields")


def read_snapshot_bytes(data: bytes, path: object = "<bytes>", salvage: bool = False) -> RawSnapshot:
    """Read a snapshot held in memory (tests and fuzzing)."""
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    stream = io.BytesIO(data)
    return _read(stream, stream.tell, len(data), path, no_progress, plain=True, salvage=salvage)
