"""Classes as the Summary view groups objects, by DevTools' rules.

* ``calculateObjectNames``: objects and native nodes are grouped by their name
  (a DOM element ``<div id="a">`` under ``<div>``), closures under
  ``Function``, regexps under ``RegExp``, hidden nodes under ``(system)``, code
  under ``(compiled code)`` and everything else under ``(<type>)``.
* ``inferInterfaceDefinitions`` / ``applyInterfaceDefinitions``: plain
  ``Object``s are named after their property lists (``{url, date}``) when
  enough objects share one; an object takes the definition with the most
  properties that are all among its own.
* class keys: an object whose constructor has a source location is keyed by
  that location too, so two ``Server`` classes stay apart.

The per-object loops run compiled; Python only sees the distinct property
names and property lists, which are few next to the objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .jsnames import format_property_name, js_length, js_sort_key
from .strings import StringTable

MAX_INTERFACE_NAME_LENGTH = 120
MIN_OBJECT_COUNT_PER_INTERFACE = 2
MIN_OBJECT_PROPORTION_PER_INTERFACE = 1000


@dataclass(frozen=True)
class ClassInfo:
    """One row of the Summary: a class name and, for located constructors, where they are."""

    name: str
    location: tuple[int, int, int] | None = None  # script_id, line, column (0-based, as in the file)

    @property
    def key(self) -> str:
        """DevTools' public class key: ``,Name`` or ``script,line,column,Name``."""
        if self.location is None:
            return "," + self.name
        return "{},{},{},{}".format(*self.location, self.name)

    @property
    def location_text(self) -> str | None:
        """The location as the JSON output shows it, ``script_id:line:column``."""
        if self.location is None:
            return None
        return "{}:{}:{}".format(*self.location)


@dataclass(frozen=True)
class InterfaceDefinition:
    name: str
    properties: tuple[str, ...]


# ---------------------------------------------------------------- compiled loops

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True, inline="always")
def _splitmix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _mark_property_names(plain, first_edge, edge_type, edge_name, property_edge, mark):
    for k in range(plain.shape[0]):
        v = plain[k]
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_edge:
                mark[edge_name[e]] = 1


@njit(cache=True, nogil=True)
def _candidate_hashes(plain, first_edge, edge_type, edge_name, property_edge, is_proto, name_length, hashes):
    """Per plain object, a 128-bit hash of the property list its interface name would show.

    Mirrors ``inferInterfaceDefinitions``: property edges in order, ``__proto__``
    skipped, stopping once the name would pass 120 UTF-16 units. Returns a
    byte per object, 0 when it has no such property.
    """
    has = np.zeros(plain.shape[0], dtype=np.uint8)
    for k in range(plain.shape[0]):
        v = plain[k]
        length = 1
        h1 = np.uint64(1)
        h2 = np.uint64(2)
        count = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] != property_edge:
                continue
            s = edge_name[e]
            if is_proto[s]:
                continue
            f = name_length[s]
            if length > 1 and length + f > MAX_INTERFACE_NAME_LENGTH:
                break
            if length != 1:
                length += 2
            length += f
            x = np.uint64(s)
            h1 = _splitmix(h1 + x + _K1)
            h2 = _splitmix(h2 ^ (x * _K2 + _K1))
            count += 1
        if count:
            has[k] = 1
            hashes[k, 0] = h1
            hashes[k, 1] = _splitmix(h2 + np.uint64(count))
    return has


@njit(cache=True, nogil=True)
def _property_set_hashes(plain, first_edge, edge_type, edge_name, property_edge, rank, hashes):
    """Per plain object, a 128-bit hash of its sorted property names (by JS order rank)."""
    buffer = np.empty(16, dtype=np.int64)
    for k in range(plain.shape[0]):
        v = plain[k]
        count = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_edge:
                if count == buffer.shape[0]:
                    bigger = np.empty(2 * count, dtype=np.int64)
                    bigger[:count] = buffer
                    buffer = bigger
                buffer[count] = rank[edge_name[e]]
                count += 1
        ranks = np.sort(buffer[:count])
        h1 = np.uint64(3)
        h2 = np.uint64(4)
        for i in range(count):
            x = np.uint64(ranks[i])
            h1 = _splitmix(h1 + x + _K1)
            h2 = _splitmix(h2 ^ (x * _K2 + _K1))
        hashes[k, 0] = h1
        hashes[k, 1] = _splitmix(h2 + np.uint64(count))


@njit(cache=True, nogil=True)
def class_aggregates(class_id, class_count, shallow, distances, retained, first_dominated, dominated, root,
                     mask):
    """Per class: count, min distance, shallow size and retained size, as DevTools' Summary.

    Only nodes with a shallow size count (and, when ``mask`` is not empty,
    only masked nodes). A class's retained size adds the retained sizes of its
    objects that no other counted object of the same class dominates
    (``calculateClassesRetainedSize``).
    """
    use_mask = mask.shape[0] > 0
    count = np.zeros(class_count, dtype=np.int64)
    self_total = np.zeros(class_count, dtype=np.int64)
    distance = np.full(class_count, np.iinfo(np.int32).max, dtype=np.int64)
    retained_total = np.zeros(class_count, dtype=np.int64)
    n = class_id.shape[0]
    for v in range(n):
        if shallow[v] == 0 or (use_mask and not mask[v]):
            continue
        c = class_id[v]
        count[c] += 1
        self_total[c] += shallow[v]
        if distances[v] < distance[c]:
            distance[c] = distances[v]
    seen = np.zeros(class_count, dtype=np.uint8)
    stack = np.empty(2 * n + 2, dtype=np.int64)
    top = 0
    stack[top] = root + 1
    top += 1
    while top > 0:
        top -= 1
        item = stack[top]
        if item < 0:
            seen[class_id[-item - 1]] = 0
            continue
        v = item - 1
        c = class_id[v]
        begin = first_dominated[v]
        end = first_dominated[v + 1]
        if not seen[c] and shallow[v] > 0 and (not use_mask or mask[v]):
            retained_total[c] += retained[v]
            if begin != end:
                seen[c] = 1
                stack[top] = -item
                top += 1
        for i in range(begin, end):
            stack[top] = dominated[i] + 1
            top += 1
    return count, distance, self_total, retained_total


@njit(cache=True, nogil=True)
def dominated_nodes(dominator, root):
    """Children of each node in the dominator tree, as a CSR."""
    n = dominator.shape[0]
    first = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        if v != root:
            first[dominator[v] + 1] += 1
    for i in range(n):
        first[i + 1] += first[i]
    fill = first[:-1].copy()
    children = np.empty(max(n - 1, 0), dtype=np.int32)
    for v in range(n):
        if v != root:
            d = dominator[v]
            children[fill[d]] = v
            fill[d] += 1
    return first, children


# ---------------------------------------------------------------- names


def _hash_rows(hashes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashes).view(np.dtype((np.void, 16))).ravel()


def base_class_names(strings: StringTable, node_type: np.ndarray, node_name: np.ndarray,
                     node_types: tuple[str, ...]) -> np.ndarray:
    """``calculateObjectNames``: a class-name string index per node (before interfaces)."""
    class_str = np.empty(node_type.shape[0], dtype=np.int64)
    named = np.zeros(len(node_types), dtype=np.bool_)
    for code, type_name in enumerate(node_types):
        if type_name in ("object", "native"):
            named[code] = True
            continue
        fixed = {"hidden": "(system)", "code": "(compiled code)", "closure": "Function",
                 "regexp": "RegExp"}.get(type_name, f"({type_name})")
        class_str[node_type == code] = strings.add(fixed)
    is_named = named[node_type]
    names = node_name[is_named]
    remap = np.arange(len(strings), dtype=np.int64)
    used = np.zeros(len(strings), dtype=np.bool_)
    used[names] = True
    file_first = strings.first_bytes()
    first = np.zeros(len(strings), dtype=np.uint8)
    first[: strings.file_count] = file_first
    for index in np.flatnonzero(used & ((first == ord("<")) | (first == ord("D")))):
        name = strings[int(index)]
        if name.startswith("<"):
            space = name.find(" ")
            remap[index] = strings.add(name[:space] + ">" if space != -1 else name)
        elif name.startswith("Detached <"):
            space = name.find(" ", 10)
            remap[index] = strings.add(name[:space] + ">" if space != -1 else name)
    class_str[is_named] = remap[names]
    return class_str


def infer_interface_definitions(strings: StringTable, plain: np.ndarray, first_edge: np.ndarray,
                                edge_type: np.ndarray, edge_name: np.ndarray, property_edge: int,
                                property_names: np.ndarray) -> list[InterfaceDefinition]:
    """``inferInterfaceDefinitions``: the property lists shared by enough plain objects."""
    if plain.size == 0 or property_edge < 0:
        return []
    is_proto = np.zeros(len(strings), dtype=np.bool_)
    name_length = np.zeros(len(strings), dtype=np.int64)
    for index in property_names:
        name = strings[int(index)]
        if name == "__proto__":
            is_proto[index] = True
        name_length[index] = js_length(format_property_name(name))
    hashes = np.zeros((plain.shape[0], 2), dtype=np.uint64)
    has = _candidate_hashes(plain, first_edge, edge_type, edge_name, property_edge, is_proto, name_length, hashes)
    rows = np.flatnonzero(has)
    if rows.size == 0:
        return []
    _, first_row, counts = np.unique(_hash_rows(hashes[rows]), return_index=True, return_counts=True)
    min_count = max(MIN_OBJECT_COUNT_PER_INTERFACE, plain.shape[0] / MIN_OBJECT_PROPORTION_PER_INTERFACE)
    keep = counts >= min_count
    first_object = rows[first_row[keep]]
    kept_counts = counts[keep]
    # JS's stable sort by count, descending, over the order the objects were met in.
    order = np.lexsort((first_object, -kept_counts))
    merged: dict[str, list] = {}
    for i in order:
        v = int(plain[first_object[i]])
        names = _candidate_properties(strings, v, first_edge, edge_type, edge_name, property_edge)
        title = "{" + ", ".join(format_property_name(p) for p in names) + "}"
        if title in merged:
            merged[title][1] += int(kept_counts[i])
        else:
            merged[title] = [tuple(names), int(kept_counts[i]), int(first_object[i])]
    ranked = sorted(merged.items(), key=lambda item: (-item[1][1], item[1][2]))
    return [InterfaceDefinition(title, props) for title, (props, _, _) in ranked]


def _candidate_properties(strings: StringTable, v: int, first_edge: np.ndarray, edge_type: np.ndarray,
                          edge_name: np.ndarray, property_edge: int) -> list[str]:
    names: list[str] = []
    length = 1
    for e in range(int(first_edge[v]), int(first_edge[v + 1])):
        if edge_type[e] != property_edge:
            continue
        name = strings[int(edge_name[e])]
        if name == "__proto__":
            continue
        f = js_length(format_property_name(name))
        if length > 1 and length + f > MAX_INTERFACE_NAME_LENGTH:
            break
        if length != 1:
            length += 2
        length += f
        names.append(name)
    return names


class _TreeNode:
    __slots__ = ("next", "match", "greatest")

    def __init__(self) -> None:
        self.next: dict[int, _TreeNode] = {}
        self.match: tuple[int, int, str] | None = None  # (property count, definition index, name)
        self.greatest: int | None = None


def _better(a: tuple[int, int, str], b: tuple[int, int, str] | None) -> tuple[int, int, str]:
    """``selectBetterMatch``: more properties wins, then the earlier definition."""
    if b is None or a[0] > b[0]:
        return a
    if b[0] > a[0]:
        return b
    return a if a[1] <= b[1] else b


def apply_interface_definitions(strings: StringTable, definitions: list[InterfaceDefinition], plain: np.ndarray,
                                first_edge: np.ndarray, edge_type: np.ndarray, edge_name: np.ndarray,
                                property_edge: int, property_names: np.ndarray, class_str: np.ndarray) -> None:
    """``applyInterfaceDefinitions``: rename plain objects whose properties include a definition's."""
    if not definitions or plain.size == 0:
        return
    contents = {int(i): strings[int(i)] for i in property_names}
    ordered = sorted(set(contents.values()), key=js_sort_key)
    rank_of = {text: r for r, text in enumerate(ordered)}
    rank = np.zeros(len(strings), dtype=np.int64)
    for index, text in contents.items():
        rank[index] = rank_of[text]
    tree = _TreeNode()
    for position, definition in enumerate(definitions):
        node = tree
        properties = sorted((rank_of[p] for p in definition.properties))
        for p in properties:
            child = node.next.get(p)
            if child is None:
                child = _TreeNode()
                node.next[p] = child
                if node.greatest is None or node.greatest < p:
                    node.greatest = p
            node = child
        if node.match is None:
            node.match = (len(properties), position, definition.name)
    hashes = np.zeros((plain.shape[0], 2), dtype=np.uint64)
    _property_set_hashes(plain, first_edge, edge_type, edge_name, property_edge, rank, hashes)
    _, first_row, inverse = np.unique(_hash_rows(hashes), return_index=True, return_inverse=True)
    initial = (0, 1 << 62, "")
    group_class = np.full(first_row.shape[0], -1, dtype=np.int64)
    for g, row in enumerate(first_row):
        v = int(plain[row])
        props = sorted(int(rank[edge_name[e]]) for e in range(int(first_edge[v]), int(first_edge[v + 1]))
                       if edge_type[e] == property_edge)
        states = [tree]
        match = _better(initial, tree.match)
        for p in props:
            for state in list(states):
                if state.greatest is None or p >= state.greatest:
                    states.remove(state)
                following = state.next.get(p)
                if following is not None:
                    if following not in states:
                        states.append(following)
                    match = _better(match, following.match)
        if match is not initial:
            group_class[g] = strings.add(match[2])
    chosen = group_class[inverse.ravel()]
    renamed = chosen >= 0
    class_str[plain[renamed]] = chosen[renamed]


# ---------------------------------------------------------------- class table


def build_class_table(strings: StringTable, class_str: np.ndarray, node_type: np.ndarray, object_type: int,
                      locations: np.ndarray, location_fields: tuple[str, ...],
                      node_field_count: int) -> tuple[np.ndarray, list[ClassInfo]]:
    """Dense class ids per node and the table of classes (name, location)."""
    used = np.zeros(len(strings), dtype=np.bool_)
    used[class_str] = True
    used_indices = np.flatnonzero(used)
    by_name: dict[str, int] = {}
    lut = np.zeros(len(strings), dtype=np.int32)
    for index in used_indices:
        name = strings[int(index)]
        lut[index] = by_name.setdefault(name, len(by_name))
    classes = [ClassInfo(name) for name in by_name]
    class_id = lut[class_str]
    if locations.size and "object_index" in location_fields:
        width = len(location_fields)
        rows = locations.reshape(-1, width)
        ordinal = rows[:, location_fields.index("object_index")] // node_field_count
        inside = (ordinal >= 0) & (ordinal < node_type.shape[0])
        rows, ordinal = rows[inside], ordinal[inside]
        # DevTools keeps the last location given for a node.
        _, last = np.unique(ordinal[::-1], return_index=True)
        last = rows.shape[0] - 1 - last
        rows, ordinal = rows[last], ordinal[last]
        objects = node_type[ordinal] == object_type
        rows, ordinal = rows[objects], ordinal[objects]
        if ordinal.size:
            cols = [location_fields.index(f) if f in location_fields else -1 for f in ("script_id", "line", "column")]
            keys = np.stack([class_id[ordinal].astype(np.int64)] +
                            [rows[:, c] if c >= 0 else np.zeros(len(rows), dtype=np.int64) for c in cols], axis=1)
            unique_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
            base = len(classes)
            for name_id, script, line, column in unique_keys.tolist():
                classes.append(ClassInfo(classes[name_id].name, (script, line, column)))
            class_id[ordinal] = base + inverse.ravel()
    return class_id, classes
