"""The search (heaptui/engine/search.py and its index) against a plain Python reference read from the raw JSON.

The reference is the search's definition, written the straightforward way: it
decodes the file with ``json``, takes the stored bytes of the strings from the
file text with a regular expression, and loops over every edge, name and
string. Every hit (object, how, text, holder, edge), its order and the totals
must be the same, on real snapshots (names and strings with control
characters, JSON escapes, a NUL, a lone surrogate) and on a built one with
non-ASCII names, case folding that changes length (ß, ǅ), a line break inside a
name, and numbered (element, hidden) edges whose index a query could match.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import SnapshotBuilder
from conftest import fixture_path, loaded
from heaptui.engine import load_snapshot
from heaptui.engine.errors import Cancelled
from heaptui.engine.search import (
    EDGE,
    MAX_HITS,
    STRING,
    edges_named,
    matching_edge_names,
    matching_strings,
    search,
    strings_valued,
)

STRING_KINDS = {"string", "concatenated string", "sliced string"}
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.DOTALL)


@dataclass(frozen=True, eq=False)  # hashed by identity: the reference's answers are cached per snapshot and query
class Raw:
    """A snapshot as the reference reads it: per node its type and name, per edge its holder, type, name, target."""

    strings: list[str]  # decoded
    stored: list[bytes]  # as the file stores them (escapes not decoded)
    node_kind: list[str]
    node_name: list[int]
    edges: list[tuple[int, str, int, int]]  # (holder ordinal, type, name or index, target ordinal), in file order
    named: dict[int, list[int]]  # per string naming edges (not element or hidden ones): those edges, in file order
    # Worked out once, not per query:
    folded: dict[int, str]  # the strings in ``named``, case-folded
    lowered: list[bytes]  # ``stored`` with ASCII case folding
    string_objects: list[int]  # the nodes of a string kind, in order


def read_raw(text: bytes) -> Raw:
    data = json.loads(text)
    meta = data["snapshot"]["meta"]
    fields, edge_fields = meta["node_fields"], meta["edge_fields"]
    nf, ef = len(fields), len(edge_fields)
    kinds, edge_kinds = meta["node_types"][fields.index("type")], meta["edge_types"][edge_fields.index("type")]
    nodes, flat = data["nodes"], data["edges"]
    t, n_, c = fields.index("type"), fields.index("name"), fields.index("edge_count")
    et, en, eto = edge_fields.index("type"), edge_fields.index("name_or_index"), edge_fields.index("to_node")
    edges = []
    e = 0
    for v in range(len(nodes) // nf):
        for _ in range(nodes[v * nf + c]):
            edges.append((v, edge_kinds[flat[e + et]], flat[e + en], flat[e + eto] // nf))
            e += ef
    # The strings array comes last in the file: its stored bytes, string by string.
    body = text[text.index(b"[", text.rindex(b'"strings"')) + 1 :]
    stored = _STRING.findall(body)
    assert len(stored) == len(data["strings"])
    named: dict[int, list[int]] = {}
    for e, (_, kind, name, _) in enumerate(edges):
        if kind not in ("element", "hidden"):
            named.setdefault(name, []).append(e)
    node_kind = [kinds[nodes[k + t]] for k in range(0, len(nodes), nf)]
    return Raw(
        data["strings"],
        stored,
        node_kind,
        [nodes[k + n_] for k in range(0, len(nodes), nf)],
        edges,
        named,
        {name: data["strings"][name].casefold() for name in named},
        [b.lower() for b in stored],
        [v for v, kind in enumerate(node_kind) if kind in STRING_KINDS],
    )


@cache
def raw_fixture(name: str) -> Raw:
    with gzip.open(fixture_path(name), "rb") as f:
        return read_raw(f.read())


def name_matches_as_defined(name: str, query: str) -> bool:
    """The definition: the case-folded name contains the case-folded query or, for a query of three letters or
    more, has its letters in order with no line break between them (``.`` stops at one). Any placement will do,
    so the regex tries them all when there is none: on chromium-1's 1,100-letter C++ type names that is minutes
    per name for "constructor" (11 letters, most of them common there). Kept to check :func:`name_matches`."""
    folded = query.casefold()
    if folded in name.casefold():
        return True
    return len(query) >= 3 and re.search(".*?".join(re.escape(ch) for ch in folded), name.casefold()) is not None


def name_matcher(query: str) -> Callable[[str], bool]:
    """:func:`name_matches_as_defined` for one query, each letter after the first taken at its first place after
    the one before (an atomic group: the regex never goes back to try a later one). If any placement exists that
    one does, since moving a letter earlier within a line leaves no line break in the gaps; a start then costs one
    pass over the name, not one per placement."""
    folded = query.casefold()
    in_order = None
    if len(query) >= 3:
        first, *rest = folded
        in_order = re.compile(re.escape(first) + "".join(f"(?>.*?{re.escape(ch)})" for ch in rest))

    def matches(folded_name: str) -> bool:
        return folded in folded_name or (in_order is not None and in_order.search(folded_name) is not None)

    return matches


def name_matches(name: str, query: str) -> bool:
    return name_matcher(query)(name.casefold())


@cache
def reference_strings(raw: Raw, query: str) -> list[int]:
    needle = query.lower().encode("utf-8", "surrogatepass")
    return [i for i, lowered in enumerate(raw.lowered) if needle in lowered] if needle else []  # ASCII folding


@cache
def reference_edges(raw: Raw, query: str) -> list[int]:
    matches = name_matcher(query)
    names = [name for name, folded in raw.folded.items() if matches(folded)]
    return sorted(e for name in names for e in raw.named[name])


def reference_search(raw: Raw, query: str) -> tuple[list[tuple], int]:
    """(hits as (node, how, text, holder, edge), total) for a text query, as the search defines them."""
    query = query.strip()
    folded = query.casefold()
    edges = reference_edges(raw, query)
    edge_hits = [
        (raw.edges[e][3], EDGE, raw.strings[raw.edges[e][2]], raw.edges[e][0], e) for e in edges[: MAX_HITS * 4]
    ]
    edge_hits.sort(key=lambda h: (h[2].casefold() != folded, folded not in h[2].casefold()))
    values = set(reference_strings(raw, query))
    objects = [v for v in raw.string_objects if raw.node_name[v] in values]
    string_hits = [(v, STRING, raw.strings[raw.node_name[v]], -1, -1) for v in objects[:MAX_HITS]]
    return (edge_hits + string_hits)[:MAX_HITS], len(edges) + len(objects)


def found_as_tuples(found) -> list[tuple]:
    return [(h.node, h.how, h.text, h.holder, h.edge) for h in found.hits]


def assert_same_as_reference(s, raw: Raw, query: str) -> None:
    hits, total = reference_search(raw, query)
    found = search(s, query)
    assert (found_as_tuples(found), found.total) == (hits, total), query
    assert matching_strings(s, query).tolist() == reference_strings(raw, query), query
    edges = reference_edges(raw, query)
    names = matching_edge_names(s, query)
    assert edges_named(s, names).tolist() == edges, query
    assert sorted({raw.edges[e][2] for e in edges}) == names.tolist(), query


QUERIES = [
    "r", "re", "req", "requ", "requestL", "requestLogs", "REQUESTLOGS", "reqlog", "rqlg", "url", "Date", "date", "dAtE",
    "/r/1", "leak", "lEaKeD", "title", "tItLe", "\x1b", "\x1b[2J", "c1\u009b", "\u009b", "\x7f", "nl\nnul", "tab\tcr",
    "\\n", "\\u0000", "\\ud800", "\\u001B[2j", "\ud800", "\\\"", '"', "lone", "[bold red]", "a", "1", "0", "12", "xyz",
    "zzzzzzz", "Object", "get ", "constructor", "const\nx", "prototype", "map", "__proto__", "é", "ß",
]  # fmt: skip
FIXTURES = ["leaky-3", "escapes-3", "collections-2", "runtime-node22", "chromium-1"]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_query_finds_what_the_reference_finds(name):
    s, raw = loaded(name), raw_fixture(name)
    for query in QUERIES:
        assert_same_as_reference(s, raw, query)


def test_the_queries_find_something():
    """The comparison above is not vacuous: most queries have edge hits, string hits, or both, somewhere."""
    raw = raw_fixture("escapes-3")
    with_edges = [q for q in QUERIES if reference_edges(raw, q)]
    with_strings = [q for q in QUERIES if reference_strings(raw, q)]
    assert {"req", "\x1b", "nl\nnul", "title", "reqlog"} <= set(with_edges)
    assert {"\\n", "\\u0000", "\\ud800", "leak", "\\u001B[2j"} <= set(with_strings)  # as the file stores it
    assert len(reference_edges(raw_fixture("leaky-3"), "r")) > MAX_HITS * 4  # the list is cut, the total is not


LETTERS = "abcAB\nßsSǅǆ\u212ak.*"  # line breaks, case folding that changes length, regex characters


@st.composite
def names_and_queries(draw) -> tuple[str, str]:
    """A name and a query: random letters, or letters of the name in order (across lines or not), maybe one more."""
    name = draw(st.text(LETTERS, max_size=14))
    if not name or draw(st.booleans()):
        return name, draw(st.text(LETTERS, max_size=6))
    picks = sorted(draw(st.sets(st.integers(0, len(name) - 1), min_size=1, max_size=6)))
    query = "".join(name[k] for k in picks)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(query)))
        query = query[:at] + draw(st.sampled_from(LETTERS)) + query[at:]
    return name, query


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(names_and_queries())
def test_the_first_placement_finds_what_any_placement_finds(name_and_query):
    """The reference's matching (each letter at its first place) is its definition (any placement)."""
    name, query = name_and_query
    assert name_matches(name, query) == name_matches_as_defined(name, query), (name, query)


def test_letters_in_order_within_a_line():
    assert not name_matches("con\nstructor", "nst") and name_matches("con\nstructor", "n\nst")
    assert name_matches("xcy\nxnx", "c\nn") and not name_matches("c\n\nn", "c\nn")
    assert name_matches("a c\nb a c x", "acx")  # the first "a c" has a line break before the x, the second not
    assert name_matches("Straße", "STRASSE") and name_matches("Straße", "trse")
    assert not name_matches("Straße", "tß")  # two letters: contained or not at all, and "tss" is not contained


def built(tmp_path) -> tuple[str, Raw]:
    """A snapshot whose names need Unicode case folding, written with UTF-8 text (not escapes) where it can."""
    b = SnapshotBuilder()
    root = b.node("synthetic", "")
    holder = b.node("object", "Holder", 10)
    b.edge(root, "element", 1, holder)
    names = [
        "Größe", "STRASSE", "straße", "ǅemal", "ÉCOLE", "école", "Ωmega", "日本語の名前", "🙂smile", "a\nb", "re\nqlog",
        "req\nlog", 'quote"d', "back\\slash", "İstanbul", "ﬁle", "1", "12", "Kelvin K", "x" * 300,
    ]  # fmt: skip
    for k, name in enumerate(names):
        target = b.node("string", f"value {name} {k}", 16)
        b.edge(holder, "property", name, target)
        b.edge(holder, "element", k + 1, target)
        b.edge(holder, "hidden", k + 12, target)
    for k in range(MAX_HITS * 4 + 10):  # more hits than are listed
        b.edge(holder, "property", f"many{k % 7}", root)
    doc = json.loads(b.to_json())
    text = json.dumps(doc, ensure_ascii=False)
    path = tmp_path / "unicode.heapsnapshot"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return str(path), read_raw(path.read_bytes())


UNICODE_QUERIES = [
    "größe", "GRÖSSE", "grosse", "strasse", "STRAẞE", "ǆemal", "ǅ", "école", "ÉCOLE", "éco", "ωmega", "ΩMEGA", "日本",
    "本語名", "🙂", "🙂sm", "a\nb", "ab", "reqlog", "req", "qlog", "quote\"d", "te\"", "\\\"", "back\\", "istanbul",
    "i̇stanbul", "fi", "file", "1", "12", "2", "kelvin k", "k", "value", "many", "many3", "mny", "x" * 200, "value x",
]  # fmt: skip


def test_unicode_names_and_values_against_the_reference(tmp_path):
    path, raw = built(tmp_path)
    s = load_snapshot(path)
    assert sum(1 for stored in raw.stored if any(b >= 128 for b in stored)) >= 8  # stored as UTF-8, not escaped
    for query in UNICODE_QUERIES:
        assert_same_as_reference(s, raw, query)
    # Spot checks of what the reference says, so that it cannot be wrong the same way as the search.
    assert {h.text for h in search(s, "strasse").hits if h.how == EDGE} == {"STRASSE", "straße"}
    assert {h.text for h in search(s, "GRÖSSE").hits if h.how == EDGE} == {"Größe"}
    assert {h.text for h in search(s, "reqlog").hits if h.how == EDGE} == set()  # a line break between the letters
    assert {h.text for h in search(s, "qlog").hits if h.how == EDGE} == {"re\nqlog"}
    assert search(s, "many").total == MAX_HITS * 4 + 10 and len(search(s, "many").hits) == MAX_HITS
    assert {h.text for h in search(s, "12").hits if h.how == EDGE} == {"12"}  # not element 12 nor hidden 12


def test_an_id_query_and_blank_queries():
    s = loaded("leaky-3")
    assert search(s, "  ").hits == () and search(s, "").total == 0
    v = 4321
    assert [(h.node, h.how) for h in search(s, f" @{int(s.node_id[v])} ").hits] == [(v, "id")]


def test_strings_valued_lists_every_string_object():
    s, raw = loaded("leaky-3"), raw_fixture("leaky-3")
    values = matching_strings(s, "/r/")
    wanted = set(values.tolist())
    expected = [v for v, kind in enumerate(raw.node_kind) if kind in STRING_KINDS and raw.node_name[v] in wanted]
    assert strings_valued(s, values).tolist() == expected and len(expected) >= 200


def test_a_cancelled_search_leaves_the_index_built(tmp_path):
    """Cancelling the first search does not stop the index it is building: the next keystroke's search needs it."""
    path, _ = built(tmp_path)
    s = load_snapshot(path)

    def cancel(phase: str, done: int, total: int) -> None:
        raise Cancelled()

    assert not s.search_index_ready
    with pytest.raises(Cancelled):
        search(s, "größe", progress=cancel)
    assert s.search_index_ready
    assert s.search_index() is s.search_index()
