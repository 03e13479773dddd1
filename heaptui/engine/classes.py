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

from .format import Meta
from .graph import nodes_of_type_named
from .jit import kernel
from .jsnames import format_property_name, js_length, js_sort_key
from .strings import StringTable

MAX_INTERFACE_NAME_LENGTH = 120
MIN_OBJECT_COUNT_PER_INTERFACE = 2
MIN_OBJECT_PROPORTION_PER_INTERFACE = 1000
# The most classes whose ids fit a byte, and two bytes (module constants, so tests can force the wider types).
UINT8_CLASSES = 1 << 8
UINT16_CLASSES = 1 << 16


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


def class_id_dtype(class_count: int) -> np.dtype:
    """The narrowest type of a snapshot's class id per node: uint8 up to 256 classes, uint16 up to 65,536, else
    int32.

    The class ids are one of the few arrays of n alive at the load's peak (beside the dominator tree), and a
    snapshot has a few hundred to a few thousand classes: a byte or two per node instead of four. Every class id
    is an index into the class table (0 to count - 1, no negative sentinel), so an unsigned type always holds it.
    """
    if class_count <= UINT8_CLASSES:
        return np.dtype(np.uint8)
    if class_count <= UINT16_CLASSES:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


# ---------------------------------------------------------------- compiled loops

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


_mark_property_names = kernel("classes", "_mark_property_names")
_candidate_hashes = kernel("classes", "_candidate_hashes")
_property_set_hashes = kernel("classes", "_property_set_hashes")
class_counts = kernel("classes", "class_counts")
class_retained_sizes = kernel("classes", "class_retained_sizes")


# ---------------------------------------------------------------- names


def _hash_rows(hashes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashes).view(np.dtype((np.void, 16))).ravel()


_mark_named = kernel("classes", "_mark_named")
_class_strings = kernel("classes", "_class_strings")
_remap_in_place = kernel("classes", "remap_in_place")


def base_class_names(
    strings: StringTable, node_type: np.ndarray, node_name: np.ndarray, node_types: tuple[str, ...]
) -> np.ndarray:
    """``calculateObjectNames``: a class-name string index per node (before interfaces)."""
    type_class = np.full(max(len(node_types), 1), -1, dtype=np.int32)
    for code, type_name in enumerate(node_types):
        if type_name not in ("object", "native"):
            fixed = {"hidden": "(system)", "code": "(compiled code)", "closure": "Function", "regexp": "RegExp"}.get(
                type_name, f"({type_name})"
            )
            type_class[code] = strings.add(fixed)
    used = np.zeros(len(strings), dtype=np.uint8)
    _mark_named(node_type, node_name, type_class, used)
    remap = np.arange(len(strings), dtype=np.int32)
    # Look at the first byte of the used names only, so the rest of the text stays unread.
    used_file = np.flatnonzero(used[: strings.file_count])
    nonempty = used_file[strings.ends[used_file] > strings.starts[used_file]]
    first = strings.blob[strings.starts[nonempty]]
    maybe = nonempty[(first == ord("<")) | (first == ord("D"))]
    maybe = np.concatenate([maybe, np.flatnonzero(used[strings.file_count :]) + strings.file_count])
    for index in maybe:
        name = strings[int(index)]
        if name.startswith("<"):
            space = name.find(" ")
            remap[index] = strings.add(name[:space] + ">" if space != -1 else name)
        elif name.startswith("Detached <"):
            space = name.find(" ", 10)
            remap[index] = strings.add(name[:space] + ">" if space != -1 else name)
    return _class_strings(node_type, node_name, type_class, remap)


def infer_interface_definitions(
    strings: StringTable,
    plain: np.ndarray,
    first_edge: np.ndarray,
    edge_type: np.ndarray,
    edge_name: np.ndarray,
    property_edge: int,
    property_names: np.ndarray,
) -> list[InterfaceDefinition]:
    """``inferInterfaceDefinitions``: the property lists shared by enough plain objects."""
    if plain.size == 0 or property_edge < 0:
        return []
    is_proto = np.zeros(len(strings), dtype=np.bool_)
    # Two bytes per string (these arrays are per string, beside the dominator tree at the load's peak): a name
    # longer than the interface name's limit ends the list wherever it is, so its length need not be exact.
    name_length = np.zeros(len(strings), dtype=np.uint16)
    for index in property_names:
        name = strings[int(index)]
        if name == "__proto__":
            is_proto[index] = True
        name_length[index] = min(js_length(format_property_name(name)), 0xFFFF)
    hashes = np.zeros((plain.shape[0], 2), dtype=np.uint64)
    has = _candidate_hashes(plain, first_edge, edge_type, edge_name, property_edge, is_proto, name_length, hashes)
    # Each array dropped once done: this runs beside the dominator tree, at the load's peak memory.
    del is_proto, name_length
    rows = np.flatnonzero(has)
    del has
    if rows.size == 0:
        return []
    hashes = hashes[rows]
    _, first_row, counts = np.unique(_hash_rows(hashes), return_index=True, return_counts=True)
    del hashes
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


def _candidate_properties(
    strings: StringTable,
    v: int,
    first_edge: np.ndarray,
    edge_type: np.ndarray,
    edge_name: np.ndarray,
    property_edge: int,
) -> list[str]:
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


def apply_interface_definitions(
    strings: StringTable,
    definitions: list[InterfaceDefinition],
    plain: np.ndarray,
    first_edge: np.ndarray,
    edge_type: np.ndarray,
    edge_name: np.ndarray,
    property_edge: int,
    property_names: np.ndarray,
    class_str: np.ndarray,
) -> None:
    """``applyInterfaceDefinitions``: rename plain objects whose properties include a definition's."""
    if not definitions or plain.size == 0:
        return
    contents = {int(i): strings[int(i)] for i in property_names}
    ordered = sorted(set(contents.values()), key=js_sort_key)
    rank_of = {text: r for r, text in enumerate(ordered)}
    rank = np.zeros(len(strings), dtype=np.int32)
    for index, text in contents.items():
        rank[index] = rank_of[text]
    tree = _TreeNode()
    for position, definition in enumerate(definitions):
        if any(p not in rank_of for p in definition.properties):
            continue  # another snapshot's definition: no object here has all its properties
        node = tree
        properties = sorted(rank_of[p] for p in definition.properties)
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
    del rank  # an int per string; the few groups below look their names' ranks up by text
    _, first_row, inverse = np.unique(_hash_rows(hashes), return_index=True, return_inverse=True)
    del hashes
    initial = (0, 1 << 62, "")
    group_class = np.full(first_row.shape[0], -1, dtype=np.int64)
    for g, row in enumerate(first_row):
        v = int(plain[row])
        props = sorted(
            rank_of[contents[int(edge_name[e])]]
            for e in range(int(first_edge[v]), int(first_edge[v + 1]))
            if edge_type[e] == property_edge
        )
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


def _object_locations(
    locations: np.ndarray,
    location_fields: tuple[str, ...],
    node_field_count: int,
    node_type: np.ndarray,
    object_type: int,
) -> tuple[np.ndarray, ...]:
    """(node ordinals, script ids, lines, columns) of the located ``object`` nodes.

    A location names a node by its index in the file's nodes array; DevTools
    keeps the last location given for a node, and so does this.
    """
    rows = locations.reshape(-1, len(location_fields))
    ordinal = rows[:, location_fields.index("object_index")] // node_field_count
    keep = (ordinal >= 0) & (ordinal < node_type.shape[0])
    keep[keep] = node_type[ordinal[keep]] == object_type
    index = np.flatnonzero(keep)
    ordinal = ordinal[index]
    if ordinal.size > 1 and not np.all(ordinal[1:] > ordinal[:-1]):
        order = np.argsort(ordinal, kind="stable")
        last = np.ones(order.shape[0], dtype=np.bool_)
        last[:-1] = ordinal[order[1:]] != ordinal[order[:-1]]
        index = index[order[last]]
        ordinal = ordinal[order[last]]

    def column(field: str) -> np.ndarray:
        if field not in location_fields:
            return np.zeros(index.shape[0], dtype=np.int64)
        return rows[index, location_fields.index(field)]

    return ordinal, column("script_id"), column("line"), column("column")


def build_class_table(
    strings: StringTable,
    class_str: np.ndarray,
    node_type: np.ndarray,
    object_type: int,
    locations: np.ndarray,
    location_fields: tuple[str, ...],
    node_field_count: int,
) -> tuple[np.ndarray, list[ClassInfo]]:
    """Dense class ids per node (written over ``class_str``) and the table of classes (name, location)."""
    used = np.zeros(len(strings), dtype=np.bool_)
    used[class_str] = True
    used_indices = np.flatnonzero(used)
    by_name: dict[str, int] = {}
    lut = np.zeros(len(strings), dtype=np.int32)
    for index in used_indices:
        name = strings[int(index)]
        lut[index] = by_name.setdefault(name, len(by_name))
    classes = [ClassInfo(name) for name in by_name]
    class_id = _remap_in_place(class_str, lut)  # in place: the load's peak is beside this
    if locations.size and "object_index" in location_fields:
        located, script, line, column = _object_locations(
            locations, location_fields, node_field_count, node_type, object_type
        )
        if located.size:
            name = class_id[located]
            order = np.lexsort((column, line, script, name))
            # A key column at a time, not the four stacked: this runs beside the dominator tree, at the load's peak.
            starts = np.zeros(order.shape[0], dtype=np.bool_)
            starts[0] = True
            for key in (name, script, line, column):
                in_order = key[order]
                starts[1:] |= in_order[1:] != in_order[:-1]
                del in_order
            firsts = order[starts]
            base = len(classes)
            for name_id, s_id, ln, col in zip(*(key[firsts].tolist() for key in (name, script, line, column))):
                classes.append(ClassInfo(classes[name_id].name, (s_id, ln, col)))
            group = np.cumsum(starts, dtype=np.int32)
            group += base - 1
            class_id[located[order]] = group
    return class_id, classes


def classify(
    strings: StringTable,
    meta: Meta,
    object_type: int,
    property_edge: int,
    node_type: np.ndarray,
    node_name: np.ndarray,
    first_edge: np.ndarray,
    edge_type: np.ndarray,
    edge_name: np.ndarray,
    locations: np.ndarray,
    definitions: list[InterfaceDefinition] | None = None,
) -> tuple[np.ndarray, list[ClassInfo], list[InterfaceDefinition]]:
    """Every node's class: (class id per node, the class table, the interface definitions used).

    With ``definitions`` given, plain objects are named by those instead of by
    the ones inferred from this snapshot: DevTools does this to the base
    snapshot of a Comparison, so that its ``{url, date}`` objects line up with
    the newer snapshot's.
    """
    class_str = base_class_names(strings, node_type, node_name, meta.node_types)
    plain = nodes_of_type_named(node_type, node_name, object_type, strings.mask_of(["Object"]))
    mark = np.zeros(len(strings), dtype=np.uint8)
    _mark_property_names(plain, first_edge, edge_type, edge_name, property_edge, mark)
    property_names = np.flatnonzero(mark)
    del mark
    if definitions is None:
        definitions = infer_interface_definitions(
            strings, plain, first_edge, edge_type, edge_name, property_edge, property_names
        )
    apply_interface_definitions(
        strings, definitions, plain, first_edge, edge_type, edge_name, property_edge, property_names, class_str
    )
    del plain, property_names
    class_id, class_table = build_class_table(
        strings, class_str, node_type, object_type, locations, meta.location_fields, meta.node_field_count
    )
    del class_str  # the same int32 array as class_id: the one copy below narrows it, and it goes on return
    # The class count is known only now (located constructors add classes), so the ids are narrowed by one copy,
    # here in the classes' own pass: the int32 array is gone before the dominator tree, the load's peak, starts.
    class_id = class_id.astype(class_id_dtype(len(class_table)), copy=False)
    return class_id, class_table, definitions
