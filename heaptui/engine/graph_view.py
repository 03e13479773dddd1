"""What the naming, ordering and retainer passes read of a snapshot: its graph arrays and string table.

:mod:`.names`, :mod:`.lazy_order` and :mod:`.retainers` serve
:class:`~heaptui.engine.snapshot.Snapshot`'s questions, so they cannot import
it back without a cycle. They take a :class:`NodeGraph` instead: a
``Snapshot`` is one (structurally), and so is anything else that holds the
same arrays, such as a test's hand-made graph.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .format import TypeCodes
from .strings import StringTable


class NodeGraph(Protocol):
    """The arrays of a loaded snapshot that names, orders and retainer lists are computed from."""

    types: TypeCodes
    strings: StringTable
    node_type: np.ndarray
    node_name: np.ndarray
    first_edge: np.ndarray
    edge_type: np.ndarray
    edge_name: np.ndarray
    edge_to: np.ndarray
    first_retainer: np.ndarray
    retainer_edge: np.ndarray
    distances: np.ndarray
    numbered_edge: np.ndarray
    is_object_name: np.ndarray

    @property
    def root(self) -> int: ...

    @property
    def is_proto_name(self) -> np.ndarray: ...

    def name(self, v: int) -> str: ...


__all__ = ["NodeGraph"]
