"""Build small V8 heap snapshot files by hand, for edge cases no real program produces on demand.

A snapshot is described by nodes (type, name, self size) and edges (source,
type, name or index, target). The builder writes the V8 JSON format with any
field order, optional fields and header extras, so tests can check that the
loader reads ``meta`` by name and not by position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
              "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"]
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]
NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
EDGE_FIELDS = ["type", "name_or_index", "to_node"]


@dataclass
class Node:
    type: str
    name: str
    self_size: int = 0
    id: int | None = None
    detachedness: int = 0


@dataclass
class SnapshotBuilder:
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[int, str, str | int, int]] = field(default_factory=list)
    locations: list[tuple[int, int, int, int]] = field(default_factory=list)  # node, script, line, column

    def node(self, type: str, name: str, self_size: int = 0, **kw) -> int:
        self.nodes.append(Node(type, name, self_size, **kw))
        return len(self.nodes) - 1

    def edge(self, source: int, type: str, name: str | int, target: int) -> None:
        self.edges.append((source, type, name, target))

    def to_json(self, node_fields: list[str] | None = None, edge_fields: list[str] | None = None,
                header_extra: dict | None = None, extra_sections: dict | None = None,
                node_count: int | None = None, edge_count: int | None = None) -> str:
        node_fields = node_fields or NODE_FIELDS
        edge_fields = edge_fields or EDGE_FIELDS
        strings: list[str] = [""]
        index: dict[str, int] = {"": 0}

        def s(text: str) -> int:
            if text not in index:
                index[text] = len(strings)
                strings.append(text)
            return index[text]

        by_source: list[list[tuple[str, str | int, int]]] = [[] for _ in self.nodes]
        for source, type, name, target in self.edges:
            by_source[source].append((type, name, target))
        flat_nodes: list[int] = []
        for i, node in enumerate(self.nodes):
            values = {
                "type": NODE_TYPES.index(node.type), "name": s(node.name),
                "id": node.id if node.id is not None else 2 * i + 1, "self_size": node.self_size,
                "edge_count": len(by_source[i]), "trace_node_id": 0, "detachedness": node.detachedness,
            }
            flat_nodes += [values.get(f, 0) for f in node_fields]
        flat_edges: list[int] = []
        for edges in by_source:
            for type, name, target in edges:
                numbered = type in ("element", "hidden")
                values = {"type": EDGE_TYPES.index(type), "name_or_index": name if numbered else s(str(name)),
                          "to_node": target * len(node_fields)}
                flat_edges += [values.get(f, 0) for f in edge_fields]
        meta = {
            "node_fields": node_fields,
            "node_types": [NODE_TYPES if f == "type" else "number" for f in node_fields],
            "edge_fields": edge_fields,
            "edge_types": [EDGE_TYPES if f == "type" else "number" for f in edge_fields],
            "location_fields": ["object_index", "script_id", "line", "column"],
        }
        header = {"meta": meta, "node_count": len(self.nodes) if node_count is None else node_count,
                  "edge_count": len(self.edges) if edge_count is None else edge_count, "trace_function_count": 0}
        header.update(header_extra or {})
        locations = []
        for node, script, line, column in self.locations:
            locations += [node * len(node_fields), script, line, column]
        doc = {"snapshot": header, "nodes": flat_nodes, "edges": flat_edges, "locations": locations}
        doc.update(extra_sections or {})
        doc["strings"] = strings
        # V8 writes non-ASCII as UTF-8 but escapes lone surrogates; escaping all is valid JSON too.
        return json.dumps(doc)

    def write(self, path, **kw) -> str:
        text = self.to_json(**kw)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return str(path)


def node_like(root_edges: bool = True) -> tuple[SnapshotBuilder, int, int, int]:
    """A skeleton shaped like Node's: root, (GC roots), and a user global object."""
    b = SnapshotBuilder()
    root = b.node("synthetic", "")
    gc_roots = b.node("synthetic", "(GC roots)")
    glob = b.node("object", "global", 100)
    if root_edges:
        b.edge(root, "element", 1, gc_roots)
        b.edge(root, "shortcut", "global", glob)
    return b, root, gc_roots, glob
