"""A snapshot file's content as columns, and the checks of references between them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import scan
from ..errors import SnapshotError
from ..format import Meta
from ..strings import StringTable


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
    locations: np.ndarray  # int32 (int64 if a value needs it), flat, location_fields per row
    samples: np.ndarray  # int64, flat, sample_fields per row
    trace_function_infos: np.ndarray  # int64, flat
    trace_tree: bytes | None  # raw JSON of the allocation trace tree
    file_size: int
    lost: tuple[str, ...] = ()  # what a salvaged read of a truncated file could not recover

    def release(self, name: str) -> None:
        """Let go of column ``name``: the index consumes these columns, and one it has folded into another form
        must not stay alive (by this object, which its caller holds) until the dominator tree's peak."""
        object.__setattr__(self, name, None)

    @property
    def node_count(self) -> int:
        return int(self.node_type.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.edge_type.shape[0])


def validate(raw: RawSnapshot, path: object) -> None:
    """Check what the scanners could not: references between the arrays."""
    meta = raw.meta
    n = raw.node_count
    if n == 0:
        raise SnapshotError(path, "empty snapshot: it has no nodes")
    string_count = len(raw.strings)
    bad = int(
        scan.first_bad_edge(
            raw.edge_type, raw.edge_name, raw.edge_to, n, len(meta.edge_types), meta.numbered_edge_types(), string_count
        )
    )
    if bad >= 0:
        if raw.edge_to[bad] >= n:
            raise SnapshotError(
                path, f"edge {bad:,} points outside the nodes (to node {int(raw.edge_to[bad]):,} of {n:,})"
            )
        if raw.edge_type[bad] >= len(meta.edge_types):
            raise SnapshotError(path, f"edge {bad:,} has type {int(raw.edge_type[bad])}, which meta does not list")
        raise SnapshotError(
            path, f"edge {bad:,} names string {int(raw.edge_name[bad]):,}, but there are {string_count:,} strings"
        )
    if int(raw.node_type.max()) >= len(meta.node_types):
        bad = int(np.argmax(raw.node_type >= len(meta.node_types)))
        raise SnapshotError(path, f"node {bad:,} has type {int(raw.node_type[bad])}, which meta does not list")
    if int(raw.node_name.max()) >= string_count:
        bad = int(np.argmax(raw.node_name >= string_count))
        raise SnapshotError(
            path, f"node {bad:,} names string {int(raw.node_name[bad]):,}, but there are {string_count:,} strings"
        )
    lf = len(meta.location_fields)
    if raw.locations.size and (lf == 0 or raw.locations.size % lf):
        raise SnapshotError(path, "meta disagrees with the data: the locations array does not fit location_fields")
