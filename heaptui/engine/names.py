"""Display names of nodes and edges, as DevTools shows them in its grids.

A concatenated string is named by its text (pieces appended while the name is
under 1024 UTF-16 units); a plain ``Object`` by some of its property names
(``{url, date}``, first and last alternately, up to 100 units); every other
node by its name in the file.
"""

from __future__ import annotations

from .graph_view import NodeGraph
from .jsnames import format_property_name, js_length

CONS_NAME_LIMIT = 1024
PLAIN_NAME_LIMIT = 100


def node_name(s: NodeGraph, v: int) -> str:
    """DevTools' ``JSHeapSnapshotNode.name()``."""
    t = int(s.node_type[v])
    if t == s.types.cons_string:
        return _cons_string_name(s, v)
    if t == s.types.object and s.is_object_name[int(s.node_name[v])]:
        return _plain_object_name(s, v)
    return s.strings[int(s.node_name[v])]


def _cons_string_name(s: NodeGraph, v: int) -> str:
    stack = [v]
    parts: list[str] = []
    length = 0
    while stack and length < CONS_NAME_LIMIT:
        w = stack.pop()
        if int(s.node_type[w]) != s.types.cons_string:
            piece = s.strings[int(s.node_name[w])]
            parts.append(piece)
            length += js_length(piece)
            continue
        first = second = 0
        for e in range(int(s.first_edge[w]), int(s.first_edge[w + 1])):
            if first and second:
                break
            if int(s.edge_type[e]) != s.types.internal_edge:
                continue
            name = s.strings[int(s.edge_name[e])]
            if name == "first":
                first = int(s.edge_to[e])
            elif name == "second":
                second = int(s.edge_to[e])
        stack.append(second)
        stack.append(first)
    return "".join(parts)


def _plain_object_name(s: NodeGraph, v: int) -> str:
    start_text = "{"
    end_text = "}"
    start_len = end_len = 1
    front = int(s.first_edge[v])
    back = int(s.first_edge[v + 1]) - 1
    from_end = False
    while front <= back:
        e = back if from_end else front
        name = s.strings[int(s.edge_name[e])] if int(s.edge_type[e]) == s.types.property_edge else None
        if name is None or name == "__proto__":
            if from_end:
                back -= 1
            else:
                front += 1
            continue
        formatted = format_property_name(name)
        flen = js_length(formatted)
        if start_len > 1 and start_len + end_len + flen > PLAIN_NAME_LIMIT:
            break
        if from_end:
            back -= 1
            if end_len > 1:
                end_text = ", " + end_text
                end_len += 2
            end_text = formatted + end_text
            end_len += flen
        else:
            front += 1
            if start_len > 1:
                start_text += ", "
                start_len += 2
            start_text += formatted
            start_len += flen
        from_end = not from_end
    if front <= back:
        start_text += ", …"
    if end_len > 1:
        start_text += ", "
    return start_text + end_text


def edge_name(s: NodeGraph, e: int) -> str:
    """DevTools' ``JSHeapSnapshotEdge.name()``: the index for element and hidden edges."""
    t = int(s.edge_type[e])
    raw = int(s.edge_name[e])
    if s.numbered_edge[t]:
        return str(raw)
    name = s.strings[raw]
    if t == s.types.shortcut_edge:
        number = _parse_int(name)
        return name if number is None else str(number)
    return name


def _parse_int(text: str) -> int | None:
    """JavaScript's ``parseInt(text, 10)``, None for NaN."""
    stripped = text.lstrip(" \t\n\r\v\f\u00a0\ufeff\u2028\u2029")
    sign = 1
    if stripped[:1] in ("+", "-"):
        sign = -1 if stripped[0] == "-" else 1
        stripped = stripped[1:]
    digits = ""
    for ch in stripped:
        if "0" <= ch <= "9":
            digits += ch
        else:
            break
    return sign * int(digits) if digits else None


def descriptor_edge_allowed(name: str) -> bool:
    """DevTools' distance filter for a string-named edge of ``(map descriptors)``."""
    index = _parse_int(name)
    if index is None:
        return True  # NaN < 2 is false, NaN % 3 !== 1 is true
    return index < 2 or (index % 3 if index >= 0 else -((-index) % 3)) != 1
