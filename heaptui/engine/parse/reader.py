"""The top level of a snapshot file: a chunked byte buffer with the few token reads it needs.

The sections' big arrays are read by the compiled scanners of :mod:`heaptui.engine.scan`,
fed a chunk at a time by :meth:`Reader.run_scanner`; everything between them
(the braces, the section names, the header) is read here.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

from .. import scan
from ..errors import SnapshotError, Truncated
from ..format import Meta, parse_meta
from ..jit import as_python
from . import limits

_SPACE = (False,) * 9 + (True, True, False, False, True) + (False,) * 18 + (True,) + (False,) * 223  # \t \n \r and " "


# What the reader reads from: a file, a gzip stream, the prefetching or the positional reader (they share only
# readinto, and seek where a salvage rereads; typing's BinaryIO declares neither).
Stream: TypeAlias = Any


class Reader:
    """A chunked byte buffer over the file, with the small token reads the top level needs."""

    def __init__(
        self, stream: Stream, path: object, consumed: Callable[[], int], file_size: int = 0, chunk_size: int = 0
    ) -> None:
        self.stream = stream
        self.path = path
        self.consumed = consumed
        self.file_size = file_size
        self.chunk_size = chunk_size or limits.CHUNK_SIZE
        self.buf = np.empty(self.chunk_size, dtype=np.uint8)
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
            raise SnapshotError(
                self.path,
                f"{what} needs more than the {self.budget / 1e9:.1f} GB of memory left "
                f"for it, of {self.room}: too big for this machine, or a file made to "
                "exhaust memory",
            )

    def offset(self) -> int:
        """The position in the (uncompressed) text, for messages."""
        return self.base + self.pos

    def truncated(self, where: str, detail: str = "") -> Truncated:
        """The error for a file that ends early: where, and at which byte it was cut."""
        unit = "of its uncompressed text" if not (self.mapped or self.plain) else ""
        return Truncated(
            self.path, f"truncated: the file ends {where}, cut short at byte {self.base + self.end:,} {unit}{detail}"
        )

    def fill(self) -> bool:
        """Keep the unread bytes, read more after them; False at end of file."""
        remaining = self.end - self.pos
        if remaining:
            self.buf[:remaining] = self.buf[self.pos : self.end]
        self.base += self.pos
        self.pos, self.end = 0, remaining
        if remaining == self.buf.shape[0]:
            self.buf = np.concatenate([self.buf, np.empty(self.chunk_size, dtype=np.uint8)])
        try:
            n = self.stream.readinto(memoryview(self.buf.data)[remaining:])
        except EOFError:
            raise Truncated(
                self.path,
                f"truncated: the compressed file ends early, cut short after byte "
                f"{self.base + self.end:,} of its uncompressed text",
            ) from None
        except (OSError, gzip.BadGzipFile, zlib.error) as error:
            raise SnapshotError(self.path, f"cannot read: {error}") from None
        if not n:
            self.eof = True
            return False
        self.end += n
        if self.text_limit is not None and self.base + self.end > self.text_limit:
            raise SnapshotError(
                self.path,
                f"decompresses to more than {self.text_limit / 1e9:.1f} GB, more than its "
                "header's counts and the memory left allow: a file made to exhaust time "
                "or memory",
            )
        return True

    def seek(self, offset: int) -> None:
        """Go on reading at ``offset`` of the text (only over a :class:`~.files.PositionalFile`)."""
        self.stream.seek(offset)
        self.base, self.pos, self.end, self.eof = offset, 0, 0, False

    def next_byte(self) -> int:
        """The next byte that is not white space (not consumed), or -1 at end of file."""
        while True:
            while self.pos < self.end:
                c = int(self.buf[self.pos])
                if _SPACE[c]:
                    self.skip_spaces()
                    continue
                if (
                    c == 0xEF
                    and self.end - self.pos >= 3
                    and bytes(self.buf[self.pos : self.pos + 3]) == b"\xef\xbb\xbf"
                ):
                    self.pos += 3  # a BOM
                    continue
                return c
            if not self.fill():
                return -1

    def skip_spaces(self) -> None:
        """Pass a run of white space in the buffer with numpy (a byte at a time in Python took 88 s for 100 MB)."""
        step = 256
        while self.pos < self.end:
            window = self.buf[self.pos : min(self.pos + step, self.end)].tobytes()
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

    def skip_value(
        self, capture: bytearray | None = None, what: str = "a value", limit: int | None = None, cost: int = 1
    ) -> None:
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
                    raise SnapshotError(self.path, f"not a V8 heap snapshot: {what} is larger than {limit >> 20} MB")
                self.hold((self.pos - start) * cost, what)
                capture += self.buf[start : self.pos].tobytes()
            if state[scan.SK_DONE]:
                return
            if not self.fill():
                raise self.truncated(f"inside {what}")

    def run_scanner(
        self,
        step: Callable[[np.ndarray, int, int, np.ndarray], int],
        state: np.ndarray,
        what: str,
        on_chunk: Callable[[], None] | None = None,
        expected: int = 0,
    ) -> None:
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
                raise self.truncated(
                    f"inside the {what} array",
                    f" (after {int(state[scan.ST_POS]):,} of the {expected:,} numbers its header counts)",
                )

    def raise_scan_error(self, state: np.ndarray, what: str) -> None:
        code = int(state[scan.ST_ERROR])
        at = int(state[scan.ST_POS])
        if code == scan.ERR_TOO_MANY:
            raise SnapshotError(
                self.path,
                f"meta disagrees with the data: the {what} array has more "
                f"numbers than snapshot.{what[:-1]}_count allows ({at:,})",
            )
        if code == scan.ERR_RANGE:
            raise SnapshotError(self.path, f"bad value in the {what} array at number {at:,}")
        c = int(self.buf[self.pos]) if self.pos < self.end else -1
        char = repr(chr(c)) if c >= 0 else "end of data"
        raise SnapshotError(
            self.path, f"not a V8 heap snapshot: unexpected {char} in the {what} array at number {at:,}"
        )


def next_section(reader: Reader, c: int, count: int, path: object) -> None:
    """Step over the comma before section ``count`` (none before the first); refuse too many sections."""
    if count >= limits.MAX_SECTIONS:
        raise SnapshotError(path, f"not a V8 heap snapshot: more than {limits.MAX_SECTIONS:,} sections")
    if count:
        if c != ord(","):
            reader.fail_at(c, "between two sections")
        reader.pos += 1


def open_object(reader: Reader, path: object) -> None:
    """Consume the ``{`` a snapshot starts with, or say what the file is instead."""
    first = reader.next_byte()
    if first < 0:
        raise SnapshotError(path, "empty file")
    if first == ord("["):
        raise SnapshotError(path, "not a V8 heap snapshot: the file is a JSON array, not an object")
    if first != ord("{"):
        raise SnapshotError(path, "not JSON: a heap snapshot starts with '{'")
    reader.pos += 1


def read_header_value(reader: Reader, path: object) -> Meta:
    """The ``snapshot`` header's value, parsed; bounded in size, and nesting too deep for JSON is one line."""
    captured = bytearray()
    # The header is a few hundred bytes (at most HEADER_LIMIT): the scanner's Python function passes over it in
    # well under a millisecond, and opening a snapshot from its index cache (which checks this header) never
    # waits for numba to start.
    with as_python(["scan"]):
        reader.skip_value(captured, "the snapshot header", limit=limits.HEADER_LIMIT)
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
        part = data[start : start + block]
        steps = (part == 91).astype(np.int32) + (part == 123) - (part == 93) - (part == 125)
        levels = np.cumsum(steps, dtype=np.int64) + depth
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
    return deepest
