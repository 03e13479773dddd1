"""DevTools' named Summary filters: which objects each keeps (``createNamedFilter`` in ``HeapSnapshot.ts``).

Most of them answer "what would no longer be reachable if X were cut": a
breadth-first walk from the root over non-weak edges that refuses some edges
(those into a context, a detached DOM node or an event handler, or the
DevTools console's globals) marks what it reaches, and the filter keeps the
other objects, except those unreachable anyway. The others: strings whose
text occurs more than once, and the native-context attribution (which
JavaScript realm, if any, an object belongs to).

Each filter is a boolean per node; ``Snapshot.summary(mask)`` is then the
Summary DevTools shows with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .format import NO_DISTANCE
from .graph import edge_source
from .jit import kernel
from .progress import ProgressCallback, no_progress
from .snapshot import Snapshot
from .strings import StringTable

NO_NATIVE_CONTEXT, SHARED_NATIVE_CONTEXT = -1, -2


@dataclass(frozen=True)
class NamedFilter:
    """One of DevTools' Summary filters: its name in DevTools' code, and its label in the filter menu."""

    name: str
    label: str


FILTERS = (
    NamedFilter("duplicatedStrings", "Duplicated strings"),
    NamedFilter("objectsRetainedByDetachedDomNodes", "Objects retained by detached DOM nodes"),
    NamedFilter("objectsRetainedByContexts", "Objects retained by contexts"),
    NamedFilter("objectsRetainedByConsole", "Objects retained by DevTools Console"),
    NamedFilter("objectsRetainedByEventHandlers", "Objects retained by event handlers"),
    NamedFilter("sharedNativeContext", "Objects shared between native contexts"),
    NamedFilter("noNativeContext", "Objects not attributed to a native context"),
)
# Also "nativeContext_<node index>": the objects attributed to that native context (see native_contexts()).

NATIVE_CONTEXT = "nativeContext"  # FilterSpec.name of "native-context=@ID"; DevTools appends "_<node index>"
NATIVE_CONTEXT_LABEL = "Objects attributed to one native context"

FILTER_ALIASES = {  # the command line's names (and the MCP server's) for DevTools' filters
    "duplicated-strings": "duplicatedStrings",
    "detached-dom": "objectsRetainedByDetachedDomNodes",
    "contexts": "objectsRetainedByContexts",
    "console": "objectsRetainedByConsole",
    "event-handlers": "objectsRetainedByEventHandlers",
    "shared-native-context": "sharedNativeContext",
    "no-native-context": "noNativeContext",
}


@dataclass(frozen=True)
class FilterSpec:
    """A Summary filter as a user named it, before it meets a snapshot.

    ``name`` is DevTools' name (``duplicatedStrings``; ``nativeContext`` for one native context, whose
    snapshot id is ``node_id``); ``label`` is DevTools' menu label.
    """

    name: str
    label: str
    node_id: int | None = None


def parse_filter(text: str) -> FilterSpec:
    """A filter by name: an alias (``duplicated-strings``, ``native-context=@ID`` or ``=ID``) or DevTools' own.

    Raises ValueError with a message for the user that lists the valid names.
    """
    labels = {f.name: f.label for f in FILTERS}
    name = FILTER_ALIASES.get(text, text)
    if name in labels:
        return FilterSpec(name, labels[name])
    if text.startswith("native-context="):
        value = text.split("=", 1)[1]
        digits = value.removeprefix("@")
        if not digits.isdigit():
            raise ValueError(f"{value!r} is not a node id (like @123 or 123)")
        return FilterSpec(NATIVE_CONTEXT, NATIVE_CONTEXT_LABEL, int(digits))
    raise ValueError(f"{text!r}: one of {', '.join(FILTER_ALIASES)}, native-context=@ID")


def devtools_filter_name(s: Snapshot, spec: FilterSpec) -> str:
    """The filter's name in DevTools' code for this snapshot: ``nativeContext_<node index>`` for a native context.

    Raises ValueError ``no native context @ID`` when the snapshot has no native context with that id.
    """
    if spec.node_id is None:
        return spec.name
    v = s.node_for_id(spec.node_id)
    if v is None or v not in native_contexts(s):
        raise ValueError(f"no native context @{spec.node_id}")
    return native_context_filter(s, v)


def filter_mask_for(s: Snapshot, spec: FilterSpec, progress: ProgressCallback | None = None) -> np.ndarray:
    """The objects the Summary keeps with ``spec`` (ValueError ``no native context @ID`` if there is none)."""
    return filter_mask(s, devtools_filter_name(s, spec), progress)


def native_context_filter(s: Snapshot, v: int) -> str:
    """DevTools' name of the filter for native context ``v`` (an ordinal): its node index in the file."""
    return f"nativeContext_{v * len(s.meta.node_fields)}"


def native_context_label(s: Snapshot, v: int) -> str:
    """DevTools' menu label for native context ``v``: ``Native context <url> @id``."""
    name = s.raw_name(v)
    for prefix in ("Detached system / NativeContext", "system / NativeContext"):
        if name.startswith(prefix):
            name = name[len(prefix) :].removeprefix(" / ")
            break
    return f"Native context {name} @{int(s.node_id[v])}" if name else f"Native context @{int(s.node_id[v])}"


reached_avoiding = kernel("filters", "reached_avoiding")


native_context_attribution = kernel("filters", "native_context_attribution")


_internal_targets = kernel("filters", "_internal_targets")


def prefix_mask(
    strings: StringTable, texts: tuple[str, ...], prefixes: tuple[str, ...], among: np.ndarray | None = None
) -> np.ndarray:
    """Per string index: equal to one of ``texts`` or starting with one of ``prefixes`` (ASCII).

    ``among`` (file string indices) limits the prefix test to those strings; each byte of a
    prefix narrows the candidates, so a test over millions of strings reads little of the text.
    """
    mask = strings.mask_of(list(texts))
    blob, starts, ends = strings.blob, strings.starts, strings.ends
    base = np.arange(strings.file_count) if among is None else among[among < strings.file_count]
    for prefix in prefixes:
        wanted = prefix.encode("ascii")
        left = base[(ends[base] - starts[base]) >= len(wanted)]
        for i, byte in enumerate(wanted):
            left = left[blob[starts[left] + i] == byte]
            if not left.size:
                break
        mask[left] = True
        for index, text in strings.added_strings():  # names the engine made ("Detached ...")
            if text.startswith(prefix):
                mask[index] = True
    return mask


def _name_mask(s: Snapshot, texts: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> np.ndarray:
    """Per node: is its raw name one of ``texts`` or does it start with one of ``prefixes``?"""
    used = np.zeros(len(s.strings), dtype=np.bool_)
    used[s.node_name] = True
    names = prefix_mask(s.strings, texts, prefixes, np.flatnonzero(used))
    return names[s.node_name]


def _keep_unreached(s: Snapshot, blocked_node: np.ndarray, blocked_edge: np.ndarray | None = None) -> np.ndarray:
    """The objects only reachable through what is blocked (unreachable ones excluded, as DevTools)."""
    edges = np.zeros(0, dtype=np.uint8) if blocked_edge is None else blocked_edge.view(np.uint8)
    reached = reached_avoiding(
        s.first_edge, s.edge_type, s.edge_to, s.root, s.types.weak_edge, blocked_node.view(np.uint8), edges
    )
    return (reached == 0) & (s.distances != NO_DISTANCE)


def _edge_targets_named(s: Snapshot, sources: np.ndarray, name: str) -> np.ndarray:
    """Per source node: the target of its first edge named ``name`` (as DevTools' ``edge.name()``), or -1."""
    out = np.full(sources.shape[0], -1, dtype=np.int64)
    for i, v in enumerate(sources.tolist()):
        for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])):
            if s.edge_name_of(e) == name:
                out[i] = int(s.edge_to[e])
                break
    return out


def _has_edge_named(s: Snapshot, v: int, name: str) -> bool:
    return any(s.edge_name_of(e) == name for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])))


def event_handlers(s: Snapshot) -> np.ndarray:
    """DevTools' event handler functions: what each ``V8EventListener``'s ``callback_object_`` (edge ``1``) holds.

    The callback itself when it has a ``code`` edge (a function); else its
    first child that has one (a framework's wrapper); else the callback.
    """
    handlers = np.zeros(s.node_count, dtype=np.bool_)
    listeners = np.flatnonzero(_name_mask(s, ("V8EventListener",)))
    for callback in _edge_targets_named(s, listeners, "1").tolist():
        if callback < 0:
            continue
        if _has_edge_named(s, callback, "code"):
            handlers[callback] = True
            continue
        for e in range(int(s.first_edge[callback]), int(s.first_edge[callback + 1])):
            child = int(s.edge_to[e])
            if _has_edge_named(s, child, "code"):
                handlers[child] = True
                break
        else:
            handlers[callback] = True
    return handlers


def native_context_owners(s: Snapshot) -> np.ndarray:
    """Per node: the ordinal of the native context it is attributed to, -1 (none) or -2 (shared)."""
    is_native_context = _name_mask(
        s,
        ("system / NativeContext", "Detached system / NativeContext"),
        ("system / NativeContext / ", "Detached system / NativeContext / "),
    )
    native_context_name = _first_index(s.strings, "native_context")
    map_name = _first_index(s.strings, "map")
    native_context_of, map_of = _internal_targets(
        s.first_edge,
        s.edge_type,
        s.edge_name,
        s.edge_to,
        s.types.internal_edge,
        native_context_name,
        map_name,
        is_native_context,
    )
    return native_context_attribution(
        is_native_context,
        map_of,
        native_context_of,
        s.first_edge,
        s.edge_type,
        s.edge_to,
        s.types.shortcut_edge,
        s.types.weak_edge,
    )


def _first_index(strings: StringTable, text: str) -> int:
    """``strings.indexOf(text)`` as DevTools looks it up: the first index, or -1."""
    found = strings.find_all(text)
    return int(found[0]) if found.size else -1


def native_contexts(s: Snapshot) -> list[int]:
    """The native contexts' ordinals, in node order (DevTools' ``nativeContext_<index>`` filters)."""
    mask = _name_mask(
        s,
        ("system / NativeContext", "Detached system / NativeContext"),
        ("system / NativeContext / ", "Detached system / NativeContext / "),
    )
    return np.flatnonzero(mask).tolist()


def duplicated_strings(s: Snapshot) -> np.ndarray:
    """DevTools' ``createDuplicatedStringsFilter``: strings whose text another string node also has.

    Strings and concatenated strings count; flat concatenations (one part
    empty) and zero-size nodes (numbers' names) do not. Texts compare whole;
    a string V8 wrote truncated compares by its shown text, length and hash.
    """
    groups = string_groups(s)
    mask = np.zeros(s.node_count, dtype=np.bool_)
    for members in groups.values():
        if len(members) > 1:
            mask[members] = True
    return mask


@dataclass(frozen=True)
class DuplicatedString:
    """A text held by several string nodes: what all the copies cost and what all but one waste."""

    value: str
    count: int
    size: int  # the copies' shallow sizes together
    wasted: int  # size less the smallest copy (the one that would be kept)
    truncated: bool  # V8 wrote the text cut short (copies match by length and hash too)
    nodes: tuple[int, ...]  # ordinals, in node order

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "count": self.count, "size": self.size, "wasted": self.wasted}


def duplicated_string_groups(s: Snapshot) -> list[DuplicatedString]:
    """Duplicated strings (DevTools' rules for which strings count), most wasted bytes first."""
    found = []
    for key, members in string_groups(s).items():
        if len(members) < 2:
            continue
        members = sorted(members)
        sizes = s.shallow[members].astype(np.int64)
        total = int(sizes.sum())
        found.append(
            DuplicatedString(
                key[1], len(members), total, total - int(sizes.min()), key[0] == "truncated", tuple(members)
            )
        )
    found.sort(key=lambda d: (-d.wasted, -d.count, d.value))
    return found


def string_groups(s: Snapshot) -> dict[tuple, list[int]]:
    """String nodes grouped as DevTools groups duplicates: by text, or (text, length, hash) when truncated.

    V8 interns the strings table, so plain strings with one text share a name
    index: they are grouped by index without decoding. Concatenated strings
    have their text built (DevTools' ``name()``), and join a plain group
    when a plain string has the same text. The few strings V8 marked truncated
    (an internal ``truncated`` edge) are keyed by their length and hash too.
    """
    t = s.types
    kind = s.node_type
    candidates = np.flatnonzero(((kind == t.string) | (kind == t.cons_string)) & (s.shallow > 0))
    marked = _with_internal_edge(s, "truncated")
    groups: dict[tuple, list[int]] = {}
    plain = candidates[(kind[candidates] == t.string) & ~marked[candidates]]
    by_index = dict(_by_value(s.node_name[plain], plain))
    cons = candidates[kind[candidates] == t.cons_string]
    cons = cons[~_flat_cons_strings(s, cons)]
    for v in cons.tolist():
        text = s.name(v)
        key = _truncation_key(s, v, text) if marked[v] else ("text", text)
        groups.setdefault(key, []).append(v)
    # plain strings of the same text as a concatenated one join its group, the others group by index
    plain_hashes = s.strings.by_hash(np.array(list(by_index), dtype=np.int64))
    for key, members in list(groups.items()):
        if key[0] != "text":
            continue
        for index in s.strings.find_all(key[1], plain_hashes).tolist():
            members.extend(by_index.pop(index, []))
    # V8 does not promise one index per text: a lone string whose stored bytes hash like another index's
    # may be that text's second copy, so it is decoded too; the rest stay undecoded.
    indices = np.array(list(by_index), dtype=np.int64)
    hashes = s.strings.hashes[indices] if indices.size else np.zeros(0, dtype=np.uint32)
    values, counts = np.unique(hashes, return_counts=True)
    shared = set(indices[np.isin(hashes, values[counts > 1])].tolist())
    for index, members in by_index.items():
        if len(members) > 1 or index in shared:
            groups.setdefault(("text", s.strings[index]), []).extend(members)
    for v in candidates[(kind[candidates] == t.string) & marked[candidates]].tolist():
        groups.setdefault(_truncation_key(s, v, s.strings[int(s.node_name[v])]), []).append(v)
    return groups


def _with_internal_edge(s: Snapshot, name: str) -> np.ndarray:
    """Per node: does it have an internal edge called ``name``?"""
    names = s.strings.find_all(name)
    hit = (s.edge_type == s.types.internal_edge) & np.isin(s.edge_name, names)
    mask = np.zeros(s.node_count, dtype=np.bool_)
    if hit.any():
        mask[edge_source(s.first_edge, np.flatnonzero(hit))] = True
    return mask


def _flat_cons_strings(s: Snapshot, cons: np.ndarray) -> np.ndarray:
    """DevTools' ``isFlatConsString`` for each of ``cons``: an internal ``first``/``second`` edge to an empty text."""
    if not cons.size:
        return np.zeros(0, dtype=np.bool_)
    parts = np.isin(s.edge_name, s.strings.find_all("first")) | np.isin(s.edge_name, s.strings.find_all("second"))
    empty = np.zeros(len(s.strings), dtype=np.bool_)
    empty[s.strings.find_all("")] = True
    counts = (s.first_edge[cons + 1] - s.first_edge[cons]).astype(np.int64)
    edges = np.repeat(s.first_edge[cons].astype(np.int64), counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    owner = np.repeat(np.arange(cons.shape[0]), counts)
    targets = s.edge_to[edges]
    flat_edge = (
        (s.edge_type[edges] == s.types.internal_edge)
        & parts[edges]
        & empty[s.node_name[targets]]
        & (s.node_type[targets] != s.types.cons_string)
    )
    flat = np.zeros(cons.shape[0], dtype=np.bool_)
    flat[owner[flat_edge]] = True
    return flat


def _by_value(keys: np.ndarray, values: np.ndarray) -> list[tuple[int, list[int]]]:
    if not keys.size:
        return []
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    return [(int(keys[a]), values[a:b].tolist()) for a, b in zip(starts.tolist(), ends.tolist())]


def _internal_target(s: Snapshot, v: int, name: str) -> int:
    for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])):
        if int(s.edge_type[e]) == s.types.internal_edge and s.edge_name_of(e) == name:
            return int(s.edge_to[e])
    return -1


def _number_value(s: Snapshot, v: int, kind: str) -> str | None:
    """A ``number`` node named ``int``/``bool`` keeps its value in the name of its ``value`` child."""
    if v < 0 or int(s.node_type[v]) != s.types.number or s.raw_name(v) != kind:
        return None
    value = _internal_target(s, v, "value")
    return None if value < 0 else s.raw_name(value)


def _truncation_key(s: Snapshot, v: int, text: str) -> tuple:
    if _number_value(s, _internal_target(s, v, "truncated"), "bool") != "true":
        return ("text", text)
    length = _number_value(s, _internal_target(s, v, "length"), "int")
    hash_ = _number_value(s, _internal_target(s, v, "hash"), "int")
    return ("truncated", text, length, hash_)


def filter_mask(s: Snapshot, name: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """The objects DevTools' Summary keeps with the named filter (its name in DevTools' code).

    ``progress`` is called before and after (one compiled walk of the graph is one step; it may cancel).
    """
    report = progress or no_progress
    report("filter", 0, 1)
    mask = _filter_mask(s, name)
    report("filter", 1, 1)
    return mask


def _filter_mask(s: Snapshot, name: str) -> np.ndarray:
    if name == "duplicatedStrings":
        return duplicated_strings(s)
    if name == "objectsRetainedByContexts":
        return _keep_unreached(s, _name_mask(s, ("system / Context",), ("system / Context / ",)))
    if name == "objectsRetainedByDetachedDomNodes":
        detached = np.zeros(s.node_count, dtype=np.bool_)
        if s.detached is not None:
            detached = np.unpackbits(s.detached, count=s.node_count, bitorder="little").view(np.bool_)
        return _keep_unreached(s, detached)
    if name == "objectsRetainedByConsole":
        return _keep_unreached(s, np.zeros(s.node_count, dtype=np.bool_), _console_edges(s))
    if name == "objectsRetainedByEventHandlers":
        return _keep_unreached(s, event_handlers(s))
    if name in ("sharedNativeContext", "noNativeContext"):
        wanted = SHARED_NATIVE_CONTEXT if name == "sharedNativeContext" else NO_NATIVE_CONTEXT
        return native_context_owners(s) == wanted
    if name.startswith("nativeContext_"):  # DevTools names it by the context's node index (ordinal x fields)
        index = int(name.removeprefix("nativeContext_"))
        fields = len(s.meta.node_fields)
        target = index // fields
        if index % fields or target not in native_contexts(s):
            raise ValueError(f"no native context at node index {index}")
        return native_context_owners(s) == target
    raise ValueError(f"unknown filter {name!r}")


def _console_edges(s: Snapshot) -> np.ndarray:
    """Edges from a synthetic node with a string name ending in `` / DevTools console`` (the console's globals).

    DevTools' ``hasStringName``: not an element or hidden edge, and for a
    shortcut edge, a name that ``parseInt`` does not read as a number.
    """
    blocked = np.zeros(s.edge_count, dtype=np.bool_)
    t = s.types
    for v in np.flatnonzero(s.node_type == t.synthetic).tolist():
        for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])):
            kind = int(s.edge_type[e])
            if kind in (t.element_edge, t.hidden_edge):
                continue
            name = s.strings[int(s.edge_name[e])]
            if not name.endswith(" / DevTools console"):
                continue
            if kind == t.shortcut_edge and _JS_INT.match(name):
                continue
            blocked[e] = True
    return blocked


_JS_INT = re.compile(r"\s*[+-]?\d")  # what parseInt(name, 10) reads a number from
