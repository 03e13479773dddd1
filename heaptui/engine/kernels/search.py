"""The compiled loops of :mod:`heaptui.engine.search` and :mod:`heaptui.engine.search_index`.

Texts are byte ranges of one buffer (``text[starts[i]:ends[i]]``): the file's
strings in the string table's blob, or the search index's case-folded edge
names. Every loop works on a range ``lo:hi`` of its items, so the caller can
report progress (and be cancelled) between calls.
"""

from __future__ import annotations

import numpy as np

from . import njit


@njit(cache=True, nogil=True)
def named_edge_counts(edge_type, edge_name, numbered, string_count):
    """Per string: how many edges it names (element and hidden edges, whose names are numbers, left out)."""
    counts = np.zeros(string_count, dtype=np.uint32)
    for e in range(edge_type.shape[0]):
        if not numbered[edge_type[e]]:
            name = edge_name[e]
            if name < string_count:
                counts[name] += 1
    return counts


@njit(cache=True, nogil=True)
def plain_ascii(text, starts, ends, escaped, ids):
    """Per string of ``ids``: stored without escapes and in ASCII only (its case folding is ASCII lower case)."""
    plain = np.zeros(ids.shape[0], dtype=np.bool_)
    for k in range(ids.shape[0]):
        i = ids[k]
        if escaped[i]:
            continue
        ok = True
        for p in range(np.int64(starts[i]), np.int64(ends[i])):
            if text[p] >= 128:
                ok = False
                break
        plain[k] = ok
    return plain


@njit(cache=True, nogil=True)
def gather_folded(out, offsets, text, starts, ends, ids, plain, fold, others, other_offsets):
    """Fill ``out[offsets[k]:offsets[k + 1]]``: string ``ids[k]``'s bytes through ``fold`` when ``plain[k]``,
    else the next of ``others`` (bytes the caller folded, one after another, bounded by ``other_offsets``)."""
    j = 0
    for k in range(ids.shape[0]):
        at = np.int64(offsets[k])
        if plain[k]:
            i = ids[k]
            for p in range(np.int64(starts[i]), np.int64(ends[i])):
                out[at] = fold[text[p]]
                at += 1
        else:
            for p in range(np.int64(other_offsets[j]), np.int64(other_offsets[j + 1])):
                out[at] = others[p]
                at += 1
            j += 1


@njit(cache=True, nogil=True)
def containing(text, starts, ends, fold, needle, lo, hi, found):
    """Mark in ``found`` the items ``lo:hi`` whose bytes, each mapped through ``fold``, contain ``needle``
    (bytes already folded, not empty): Boyer-Moore-Horspool on the folded bytes. Returns how many it marked."""
    n = needle.shape[0]
    last = needle[n - 1]
    skip = np.full(256, n, dtype=np.int64)
    for k in range(n - 1):
        skip[needle[k]] = n - 1 - k
    marked = 0
    for i in range(lo, hi):
        end = np.int64(ends[i])
        p = np.int64(starts[i]) + n - 1  # the byte under the needle's last one
        while p < end:
            c = fold[text[p]]
            if c == last:
                k = 1
                while k < n and fold[text[p - k]] == needle[n - 1 - k]:
                    k += 1
                if k == n:
                    found[i] = True
                    marked += 1
                    break
            p += skip[c]
    return marked


@njit(cache=True, nogil=True)
def in_order(text, starts, ends, letters, letter_starts, lo, hi, found):
    """Mark in ``found`` the items ``lo:hi`` that have the ``letters`` (each the bytes
    ``letters[letter_starts[j]:letter_starts[j + 1]]``, none a line break) in order within one line.

    Taking each letter at its first place after the one before is enough (if any
    placement within a line exists, that one does), so one pass per item."""
    count = letter_starts.shape[0] - 1
    for i in range(lo, hi):
        if found[i]:
            continue
        end = np.int64(ends[i])
        p = np.int64(starts[i])
        j = 0
        while p < end:
            first = letter_starts[j]
            size = letter_starts[j + 1] - first
            if p + size <= end:
                k = 0
                while k < size and text[p + k] == letters[first + k]:
                    k += 1
                if k == size:
                    j += 1
                    p += size
                    if j == count:
                        found[i] = True
                        break
                    continue
            if text[p] == 10:  # "\n": the letters must start again on the next line
                j = 0
            p += 1


@njit(cache=True, nogil=True)
def edges_named(edge_type, edge_name, numbered, wanted, lo, hi, out, filled):
    """Append to ``out`` (from ``filled``) the edges ``lo:hi`` whose name is ``wanted`` (element and hidden
    edges never are), until ``out`` is full. Returns how many ``out`` holds."""
    limit = out.shape[0]
    if filled >= limit:
        return filled
    for e in range(lo, hi):
        if not numbered[edge_type[e]]:
            name = edge_name[e]
            if name < wanted.shape[0] and wanted[name]:
                out[filled] = e
                filled += 1
                if filled == limit:
                    break
    return filled


@njit(cache=True, nogil=True)
def nodes_valued(node_type, node_name, kinds, wanted, lo, hi, out, filled):
    """Count the nodes ``lo:hi`` of the ``kinds`` (per type) whose name is ``wanted``; append the first to ``out``
    (from ``filled``) while it has room. Returns (how many ``out`` holds, how many there were)."""
    limit = out.shape[0]
    count = 0
    for v in range(lo, hi):
        if kinds[node_type[v]]:
            name = node_name[v]
            if name < wanted.shape[0] and wanted[name]:
                count += 1
                if filled < limit:
                    out[filled] = v
                    filled += 1
    return filled, count
