"""The snapshot's ``meta`` block: where each field sits and what each type code means.

V8 has changed the layout over the years (``trace_node_id`` and ``detachedness``
came and went, the node type list grew), so nothing here is assumed: every
offset and type code is looked up by name in the file's own meta, as DevTools
does. A type the file does not declare gets the code -1, which matches no node.
What DevTools does not read is not checked either (unknown fields are skipped,
optional sections may be missing, ``meta.node_types`` may have more entries than
there are node fields); what heaptui needs and the file lacks is named in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import SnapshotError

NODE_REQUIRED = ("type", "name", "id", "self_size", "edge_count")
EDGE_REQUIRED = ("type", "name_or_index", "to_node")

#: DevTools' distance for objects reached only through the GC roots' internals.
BASE_SYSTEM_DISTANCE = 100_000_000
#: DevTools' distance for unreachable objects.
NO_DISTANCE = -5
#: Retainers whose node is unreachable once some nodes are ignored sort after all others.
BASE_UNREACHABLE_DISTANCE = 2 * BASE_SYSTEM_DISTANCE


@dataclass(frozen=True)
class Meta:
    """Field offsets and type codes of one snapshot, read from its header."""

    node_fields: tuple[str, ...]
    node_types: tuple[str, ...]
    edge_fields: tuple[str, ...]
    edge_types: tuple[str, ...]
    location_fields: tuple[str, ...]
    sample_fields: tuple[str, ...]
    trace_function_info_fields: tuple[str, ...]
    trace_node_fields: tuple[str, ...]
    node_count: int
    edge_count: int
    trace_function_count: int
    root_index: int
    extra_native_bytes: int
    title: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def node_field_count(self) -> int:
        return len(self.node_fields)

    @property
    def edge_field_count(self) -> int:
        return len(self.edge_fields)

    def node_offset(self, name: str) -> int:
        return self.node_fields.index(name) if name in self.node_fields else -1

    def edge_offset(self, name: str) -> int:
        return self.edge_fields.index(name) if name in self.edge_fields else -1

    def node_type(self, name: str) -> int:
        return self.node_types.index(name) if name in self.node_types else -1

    def edge_type(self, name: str) -> int:
        return self.edge_types.index(name) if name in self.edge_types else -1

    @property
    def root_ordinal(self) -> int:
        return self.root_index // self.node_field_count

    def numbered_edge_types(self) -> np.ndarray:
        """Per edge type: does its ``name_or_index`` hold an index (element, hidden) rather than a string."""
        numbered = np.zeros(max(len(self.edge_types), 1), dtype=np.bool_)
        for name in ("element", "hidden"):
            if self.edge_type(name) >= 0:
                numbered[self.edge_type(name)] = True
        return numbered


def _string_list(value: Any, what: str, path: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SnapshotError(path, f"not a V8 heap snapshot: meta.{what} is not a list of names")
    return tuple(value)


def _type_list(meta: dict[str, Any], key: str, position: int, path: object) -> tuple[str, ...]:
    """The names of the type codes: the list at the ``type`` field's position of ``meta.node_types``/``edge_types``.

    Only that entry is read, as DevTools reads it (``meta.node_types[nodeTypeOffset]``): the other entries
    describe the other fields' value kinds and nothing uses them. Their number need not match the fields':
    Node 24's snapshots list 7 after dropping ``trace_node_id`` from their 6 node fields.
    """
    types = meta.get(key)
    if not isinstance(types, list) or position >= len(types):
        where = f"position {position} (the 'type' field's)"
        raise SnapshotError(path, f"not a V8 heap snapshot: meta.{key} has no list of type names at {where}")
    return _string_list(types[position], key, path)


def _count(header: dict[str, Any], key: str, path: object, default: int | None = None) -> int:
    value = header.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SnapshotError(path, f"not a V8 heap snapshot: snapshot.{key} is {value!r}, not a count")
    return value


def parse_meta(header: Any, path: object) -> Meta:
    """Validate the ``snapshot`` object of a file and turn it into a :class:`Meta`."""
    if not isinstance(header, dict) or not isinstance(header.get("meta"), dict):
        raise SnapshotError(path, "not a V8 heap snapshot: no snapshot.meta object")
    meta = header["meta"]
    node_fields = _string_list(meta.get("node_fields"), "node_fields", path)
    edge_fields = _string_list(meta.get("edge_fields"), "edge_fields", path)
    for name in NODE_REQUIRED:
        if name not in node_fields:
            raise SnapshotError(path, f"not a V8 heap snapshot: meta.node_fields has no {name!r}")
    for name in EDGE_REQUIRED:
        if name not in edge_fields:
            raise SnapshotError(path, f"not a V8 heap snapshot: meta.edge_fields has no {name!r}")
    node_types = _type_list(meta, "node_types", node_fields.index("type"), path)
    edge_types = _type_list(meta, "edge_types", edge_fields.index("type"), path)
    if len(node_types) > 255 or len(edge_types) > 255:
        raise SnapshotError(path, "not a V8 heap snapshot: more than 255 node or edge types")
    node_count = _count(header, "node_count", path)
    edge_count = _count(header, "edge_count", path)
    root_index = _count(header, "root_index", path, 0)
    if node_count and (root_index % len(node_fields) or root_index // len(node_fields) >= node_count):
        raise SnapshotError(path, f"snapshot.root_index {root_index} is not a node")
    extra = header.get("extra_native_bytes", 0)
    return Meta(
        node_fields=node_fields,
        node_types=node_types,
        edge_fields=edge_fields,
        edge_types=edge_types,
        location_fields=_string_list(meta.get("location_fields", []), "location_fields", path),
        sample_fields=_string_list(meta.get("sample_fields", []), "sample_fields", path),
        trace_function_info_fields=_string_list(
            meta.get("trace_function_info_fields", []), "trace_function_info_fields", path
        ),
        trace_node_fields=_string_list(meta.get("trace_node_fields", []), "trace_node_fields", path),
        node_count=node_count,
        edge_count=edge_count,
        trace_function_count=_count(header, "trace_function_count", path, 0),
        root_index=root_index,
        extra_native_bytes=extra if isinstance(extra, int) and not isinstance(extra, bool) else 0,
        title=str(header.get("title", "")),
        raw=header,
    )


@dataclass(frozen=True)
class TypeCodes:
    """The node and edge type codes of one file (-1 where the file lacks the type)."""

    object: int
    native: int
    hidden: int
    array: int
    string: int
    cons_string: int
    sliced_string: int
    code: int
    closure: int
    regexp: int
    synthetic: int
    number: int
    property_edge: int
    element_edge: int
    internal_edge: int
    hidden_edge: int
    shortcut_edge: int
    weak_edge: int
    context_edge: int

    @classmethod
    def from_meta(cls, meta: Meta) -> TypeCodes:
        n, e = meta.node_type, meta.edge_type
        return cls(
            object=n("object"), native=n("native"), hidden=n("hidden"), array=n("array"), string=n("string"),
            cons_string=n("concatenated string"), sliced_string=n("sliced string"), code=n("code"),
            closure=n("closure"), regexp=n("regexp"), synthetic=n("synthetic"), number=n("number"),
            property_edge=e("property"), element_edge=e("element"), internal_edge=e("internal"),
            hidden_edge=e("hidden"), shortcut_edge=e("shortcut"), weak_edge=e("weak"), context_edge=e("context"),
        )
