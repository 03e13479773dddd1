"""Streaming read of a ``.heapsnapshot`` (or ``.heapsnapshot.gz``) into numpy columns.

The file is one JSON object. Its small parts (the ``snapshot`` header with the
meta block, the allocation ``trace_tree``) are parsed as JSON; its big parts
(``nodes``, ``edges``, ``strings``) go through the compiled scanners in
:mod:`heaptui.engine.scan`, a chunk at a time, straight into arrays sized from
the header's counts. Only the node and edge fields the engine uses are kept,
in the narrowest types that hold them. An uncompressed file's nodes and edges
are scanned on two threads beside the rest (:mod:`.side_by_side`).

Input may be hostile: only regular files are opened, and what the file can
make heaptui hold is bounded, so that a small gzip holding gigabytes gets one
line instead of the OOM killer: the header (1 MB), the buffers that grow with
the data (strings, trace tree, small sections: a budget from the memory
headroom less the estimate for the header's counts), a compressed file's
decompressed length, the number of sections and the trace tree's nesting.

Modules: :mod:`.files` (opening), :mod:`.reader` (the top level's tokens),
:mod:`.sections` (nodes, edges, strings, small arrays), :mod:`.side_by_side`
(the threads), :mod:`.document` (the whole file), :mod:`.raw` (the result and
its checks), :mod:`.limits`.
"""

from __future__ import annotations

from ..errors import SnapshotError, Truncated
from .document import read_header, read_snapshot, read_snapshot_bytes
from .files import is_compressed, open_input, open_snapshot_file
from .limits import LOST
from .raw import RawSnapshot, validate
from .reader import nesting_depth

__all__ = [
    "LOST",
    "RawSnapshot",
    "SnapshotError",
    "Truncated",
    "is_compressed",
    "nesting_depth",
    "open_input",
    "open_snapshot_file",
    "read_header",
    "read_snapshot",
    "read_snapshot_bytes",
    "validate",
]
