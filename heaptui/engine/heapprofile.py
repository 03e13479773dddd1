"""A ``.heapprofile``: V8's sampling heap profile (``HeapProfiler.stopSampling``), aggregated by function.

The file is the JSON DevTools saves for "Allocation sampling" (plain or
gzipped): ``{"head": node, "samples": [...]}``, each node ``{callFrame:
{functionName, scriptId, url, lineNumber, columnNumber}, selfSize, id,
children}``, each sample ``{size, nodeId, ordinal}``. V8 keeps only the
samples of objects still alive when sampling stops (unless asked otherwise),
so ``selfSize`` is an estimate of the live bytes allocated by that stack.

DevTools shows it bottom-up ("Heavy", ``BottomUpProfileDataGridTree``), and
:meth:`SamplingProfile.by_function` gives that view's top level:

- a function is a ``callUID``: name, script id, line and column (not the URL);
  the root node is not a function of its own;
- its self size sums ``selfSize`` over all its nodes; its total size sums the
  nodes' totals (self plus descendants), skipping a node that has the same
  function among its ancestors (recursion is counted once);
- functions with nothing below them (total 0) are pruned away, as DevTools'
  ``pruneEmptyBranches`` does; the view sorts by self size, largest first.

Line and column are 1-based here (0: unknown), as DevTools shows them and as
the allocation timeline's rows are; the protocol's ``callFrame`` has them 0-based.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from .allocation import source_location
from .errors import SnapshotError
from .memory import headroom
from .parse import open_input

# What a profile's JSON costs once parsed and walked, measured (peak RSS growth) on the shapes that cost most:
# each byte of text, each object (`{},` takes ~190 bytes as a node), each array, each value after a comma.
# A real profile (V8 keeps one node per stack) costs about 6 times its text; `[{},{},...]` 67 times.
COST_PER_BYTE, COST_PER_OBJECT, COST_PER_ARRAY, COST_PER_VALUE = 6, 200, 80, 40
MAX_TEXT = 1 << 30

ROW_KEYS = ("function", "script", "line", "column", "live_count", "live_size", "count", "size")


@dataclass(frozen=True)
class SampledFunction:
    """A function of a sampling heap profile with the sampled bytes it allocated that still live."""

    function: str
    script: str  # the script's URL
    script_id: str
    line: int  # 1-based, 0 when unknown
    column: int  # 1-based, 0 when unknown
    self_size: int  # DevTools' "Self Size": allocated by the function itself
    total_size: int  # DevTools' "Total Size": by it and what it called
    samples: int  # how many samples were taken in it (each stands for about samplingInterval bytes)
    path: tuple[int, ...] = field(default=(), compare=False)  # function indices: this one, then its callers

    @property
    def location(self) -> str:
        return source_location(self.script, self.line, self.column)

    def to_json(self) -> dict[str, object]:
        """The Allocation view's keys: only live objects are sampled, so live and allocated figures are the same."""
        return {"function": self.function, "script": self.script, "line": self.line, "column": self.column,
                "live_count": self.samples, "live_size": self.self_size, "count": self.samples,
                "size": self.self_size, "total_size": self.total_size}


@dataclass(frozen=True)
class SamplingProfile:
    """The profile's call tree as pre-order columns, with a function table."""

    path: str
    node_id: np.ndarray  # int64, the profile's node ids
    parent: np.ndarray  # int32, -1 for the root
    function: np.ndarray  # int32, index into the function table (the root's too)
    self_size: np.ndarray  # int64
    total_size: np.ndarray  # int64: self plus all descendants
    sample_count: np.ndarray  # int64: samples whose nodeId is this node
    function_name: tuple[str, ...]
    script: tuple[str, ...]
    script_id: tuple[str, ...]
    line: tuple[int, ...]  # 1-based, 0 unknown
    column: tuple[int, ...]

    @property
    def total(self) -> int:
        """Every sampled byte (the root's total)."""
        return int(self.total_size[0]) if self.total_size.size else 0

    def by_function(self) -> list[SampledFunction]:
        """DevTools' bottom-up (Heavy) view's rows: self size descending, then total size, then first seen."""
        n = self.parent.shape[0]
        functions = len(self.function_name)
        self_sum = np.zeros(functions, dtype=np.int64)
        total_sum = np.zeros(functions, dtype=np.int64)
        samples = np.zeros(functions, dtype=np.int64)
        seen = np.zeros(functions, dtype=np.bool_)
        first_seen = np.full(functions, n, dtype=np.int64)
        on_stack = np.zeros(functions, dtype=np.int64)
        stack: list[int] = []  # positions of the current node's ancestors (pre-order: a parent comes first)
        parent, function = self.parent.tolist(), self.function.tolist()
        for v in range(1, n):  # the root is not a row
            while stack and stack[-1] != parent[v]:
                on_stack[function[stack.pop()]] -= 1
            f = function[v]
            self_sum[f] += self.self_size[v]
            samples[f] += self.sample_count[v]
            if not on_stack[f]:
                total_sum[f] += self.total_size[v]
            if not seen[f]:
                seen[f] = True
                first_seen[f] = v
            stack.append(v)
            on_stack[f] += 1
        kept = np.flatnonzero(seen & (total_sum > 0)).tolist()
        kept.sort(key=lambda f: (-int(self_sum[f]), -int(total_sum[f]), int(first_seen[f])))
        return [SampledFunction(self.function_name[f], self.script[f], self.script_id[f], self.line[f],
                                self.column[f], int(self_sum[f]), int(total_sum[f]), int(samples[f]), (f,))
                for f in kept]

    def callers(self, row: SampledFunction) -> list[SampledFunction]:
        """Bottom-up, one level: who called ``row``'s function (along ``row.path``) when it allocated.

        Each caller's ``self_size`` and ``samples`` are those of the allocations
        made in the row's function under that chain of calls; its ``total_size``
        is the same figure (what the chain allocated, not all the caller did).
        Largest first, ties in function order; the profile's root is not a caller.
        """
        at = np.flatnonzero(self.function == row.path[0])
        tops = at
        for f in row.path[1:]:
            up = self.parent[at]
            keep = up >= 0
            keep[keep] = self.function[up[keep]] == f
            tops, at = tops[keep], up[keep]
        up = self.parent[at]
        keep = up > 0  # position 0 is the root
        tops, up = tops[keep], up[keep]
        callers = self.function[up]
        found = []
        for f in np.unique(callers).tolist():
            mine = tops[callers == f]
            size = int(self.self_size[mine].sum())
            if size:
                found.append(SampledFunction(self.function_name[f], self.script[f], self.script_id[f],
                                             self.line[f], self.column[f], size, size,
                                             int(self.sample_count[mine].sum()), (*row.path, f)))
        found.sort(key=lambda r: -r.self_size)
        return found


def is_heapprofile(path: str | os.PathLike[str]) -> bool:
    """Does the file (plain or gzipped) look like a sampling heap profile rather than a heap snapshot?

    A profile's JSON starts with its ``head`` (``{"head":``, as V8's and DevTools'
    JSON.stringify write it), a snapshot's with ``{"snapshot":``. Only the first
    bytes are read; unreadable files are "no" (the loader then says what is wrong).
    """
    try:
        with open_input(path, "profile") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
            start = stream.read(256)
    except (OSError, EOFError, SnapshotError, zlib.error):
        return False
    text = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return False
    return text[1:].lstrip(b" \t\r\n").startswith((b'"head"', b'"profile"'))


def text_limit() -> int:
    """The most JSON text a profile may have: what the text alone lets fit in the memory available."""
    room = headroom()
    return MAX_TEXT if room is None else max(min(MAX_TEXT, room.bytes // COST_PER_BYTE), 1 << 20)


def parsed_cost(text: bytes) -> int:
    """About the most memory parsing and walking ``text`` takes, from counts made at C speed, before parsing it."""
    return (COST_PER_BYTE * len(text) + COST_PER_OBJECT * text.count(b"{") + COST_PER_ARRAY * text.count(b"[")
            + COST_PER_VALUE * text.count(b","))


def _check_fits(path: str | os.PathLike[str], text: bytes) -> None:
    """Refuse a profile whose objects would not fit (a small file can hold millions of them)."""
    room = headroom()
    cost = parsed_cost(text)
    if room is not None and cost > room.bytes * 9 // 10:
        raise SnapshotError(path, f"reading the profile needs about {cost / 1e9:.1f} GB of memory, more than the "
                                  f"{room.describe()}")


def _read_text(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's JSON text, gunzipped, refused once it passes ``limit`` bytes (a small gzip can hold gigabytes)."""
    with open_input(path, "profile") as raw:
        try:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
            data = stream.read(limit + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise SnapshotError(path, f"cannot read: {error}") from None
    if len(data) > limit:
        raise SnapshotError(path, f"the profile's JSON text is larger than {limit / 1e6:,.0f} MB, more than "
                                  "fits in the memory available")
    return data


def _load_json(path: str | os.PathLike[str]) -> object:
    data = _read_text(path, text_limit())
    _check_fits(path, data)
    try:
        return json.loads(data)
    except RecursionError:  # json's own limit on nesting: ~1000 levels, where V8 writes at most ~2 a frame of 128
        raise SnapshotError(path, "the profile's call tree is too deep to read") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SnapshotError(path, f"not JSON: {str(error).splitlines()[0] if str(error) else 'bad data'}") from None


def _call_frame(node: dict) -> tuple[str, str, str, int, int]:
    """(name, script id, url, line, column) with 1-based line and column (0 unknown)."""
    frame = node.get("callFrame")
    if isinstance(frame, dict):  # the protocol's form: 0-based, -1 unknown
        line, column = frame.get("lineNumber", -1), frame.get("columnNumber", -1)
        source = frame
        line, column = int(line) + 1, int(column) + 1
    else:  # an old profile's form, fields on the node itself, 1-based
        source = node
        line, column = int(node.get("lineNumber", 0)), int(node.get("columnNumber", 0))
    return (str(source.get("functionName", "")), str(source.get("scriptId", "")), str(source.get("url", "")),
            max(line, 0), max(column, 0))


def read_heapprofile(path: str | os.PathLike[str]) -> SamplingProfile:
    """Read a ``.heapprofile`` (optionally gzipped); raises :class:`SnapshotError` for bad input."""
    data = _load_json(path)
    if isinstance(data, dict) and "profile" in data and "head" not in data:
        data = data["profile"]  # the whole stopSampling reply
    if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
        raise SnapshotError(path, 'not a sampling heap profile: no "head" node')
    node_ids: list[int] = []
    parents: list[int] = []
    functions: list[int] = []
    selfs: list[int] = []
    table: dict[tuple[str, str, int, int], int] = {}
    names: list[str] = []
    urls: list[str] = []
    script_ids: list[str] = []
    lines: list[int] = []
    columns: list[int] = []
    stack: list[tuple[dict, int]] = [(data["head"], -1)]
    try:
        while stack:
            node, parent_position = stack.pop()
            name, script_id, url, line, column = _call_frame(node)
            key = (name, script_id, line, column)  # DevTools' callUID
            f = table.get(key)
            if f is None:
                f = table[key] = len(names)
                names.append(name)
                urls.append(url)
                script_ids.append(script_id)
                lines.append(line)
                columns.append(column)
            me = len(node_ids)
            node_ids.append(int(node.get("id", me)))
            parents.append(parent_position)
            functions.append(f)
            selfs.append(int(node.get("selfSize", 0)))
            children = node.get("children", [])
            if not isinstance(children, list):
                raise TypeError
            for child in reversed(children):
                if not isinstance(child, dict):
                    raise TypeError
                stack.append((child, me))
    except (TypeError, ValueError, AttributeError):
        raise SnapshotError(path, "not a sampling heap profile: a node is malformed") from None
    n = len(node_ids)
    parent = np.array(parents, dtype=np.int32)
    self_size = np.array(selfs, dtype=np.int64)
    total = self_size.copy()
    for v in range(n - 1, 0, -1):  # pre-order: children after their parent, so backwards sums up
        total[parent[v]] += total[v]
    ids = np.array(node_ids, dtype=np.int64)
    sample_count = np.zeros(n, dtype=np.int64)
    samples = data.get("samples", [])
    if isinstance(samples, list) and samples:
        try:
            sampled = np.array([int(s["nodeId"]) for s in samples], dtype=np.int64)
        except (TypeError, KeyError, ValueError):
            raise SnapshotError(path, "not a sampling heap profile: a sample is malformed") from None
        order = np.argsort(ids, kind="stable")
        where = np.minimum(np.searchsorted(ids[order], sampled), n - 1)
        hit = ids[order][where] == sampled
        np.add.at(sample_count, order[where[hit]], 1)
    return SamplingProfile(
        path=str(path), node_id=ids, parent=parent, function=np.array(functions, dtype=np.int32),
        self_size=self_size, total_size=total, sample_count=sample_count, function_name=tuple(names),
        script=tuple(urls), script_id=tuple(script_ids), line=tuple(lines), column=tuple(columns),
    )


__all__ = ["ROW_KEYS", "SampledFunction", "SamplingProfile", "is_heapprofile", "read_heapprofile"]
