"""The compiled kernels of :mod:`heaptui.engine.scan` (the column scanners are in :mod:`.columns`)."""

from __future__ import annotations

import numpy as np

from ..scan import (
    _FNV_OFFSET,
    _FNV_PRIME,
    _FOLD,
    ERR_CHAR,
    ERR_RANGE,
    IS_COUNT,
    IS_DONE,
    IS_ERR_ESCAPE,
    IS_ERR_SYNTAX,
    IS_ERROR,
    IS_ESCAPE,
    IS_ESCAPED,
    IS_HASH,
    IS_IN_STRING,
    IS_START,
    SK_DEPTH,
    SK_DONE,
    SK_ESCAPE,
    SK_IN_STRING,
    SK_STARTED,
    ST_DONE,
    ST_ERROR,
    ST_IN_NUMBER,
    ST_POS,
    ST_SIGN,
    ST_VALUE,
)
from . import njit


@njit(cache=True, nogil=True, inline="always")
def _is_space(c: int) -> bool:
    return c == 32 or c == 10 or c == 13 or c == 9


@njit(cache=True, nogil=True)
def scan_int_array(buf, start, end, state, out):
    """Read a small array of (possibly negative) integers into ``out``.

    Used for ``locations``, ``samples`` and the allocation trace arrays. When
    ``out`` is full the scan stops with ST_DONE unset and position == len(out),
    so the caller can grow ``out`` and call again.
    """
    pos = state[ST_POS]
    value = state[ST_VALUE]
    in_number = state[ST_IN_NUMBER]
    sign = state[ST_SIGN]
    i = start
    n = out.shape[0]
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            value = value * 10 + (c - 48)
            if value > 0x7FFFFFFFFFFF:
                state[ST_ERROR] = ERR_RANGE
                break
            in_number = 1
            i += 1
            continue
        if c == 45 and not in_number and sign == 0:  # -
            sign = 1
            i += 1
            continue
        if in_number:
            if pos >= n:
                break
            out[pos] = -value if sign else value
            pos += 1
            value = 0
            in_number = 0
            sign = 0
        elif sign:
            state[ST_ERROR] = ERR_CHAR
            break
        if c == 44 or _is_space(c):
            i += 1
            continue
        if c == 93:
            state[ST_DONE] = 1
            i += 1
            break
        state[ST_ERROR] = ERR_CHAR
        break
    state[ST_POS] = pos
    state[ST_VALUE] = value
    state[ST_IN_NUMBER] = in_number
    state[ST_SIGN] = sign
    return i


@njit(cache=True, nogil=True)
def skip_value(buf, start, end, state):
    """Find the end of one JSON value (any kind), keeping track of strings and nesting.

    Returns the position just after the value once SK_DONE is set; a scalar ends
    before the ``,`` ``}`` or ``]`` that follows it.
    """
    depth = state[SK_DEPTH]
    in_string = state[SK_IN_STRING]
    escape = state[SK_ESCAPE]
    started = state[SK_STARTED]
    i = start
    while i < end:
        c = buf[i]
        if in_string:
            if escape:
                escape = 0
            elif c == 92:
                escape = 1
            elif c == 34:
                in_string = 0
                if depth == 0:
                    state[SK_DONE] = 1
                    i += 1
                    break
            i += 1
            continue
        if c == 34:
            in_string = 1
            started = 1
        elif c == 91 or c == 123:
            depth += 1
            started = 1
        elif c == 93 or c == 125:
            if depth == 0:
                state[SK_DONE] = 1
                break
            depth -= 1
            if depth == 0:
                state[SK_DONE] = 1
                i += 1
                break
        elif c == 44 and depth == 0:
            if started:
                state[SK_DONE] = 1
                break
        elif not _is_space(c):
            started = 1
        elif started and depth == 0:
            state[SK_DONE] = 1
            break
        i += 1
    state[SK_DEPTH] = depth
    state[SK_IN_STRING] = in_string
    state[SK_ESCAPE] = escape
    state[SK_STARTED] = started
    return i


@njit(cache=True, nogil=True, inline="always")
def _fold32(h):
    """A 64-bit FNV-1a folded to the 32-bit hash a string table keeps (see ``scan._FOLD``)."""
    return np.uint32(((h ^ (h >> np.uint64(32))) * _FOLD) >> np.uint64(32))


@njit(cache=True, nogil=True)
def hash_bytes(data):
    """The 32-bit hash of a byte string (FNV-1a, folded), as the indexer computes it for each stored string."""
    h = _FNV_OFFSET
    for i in range(data.shape[0]):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    return _fold32(h)


@njit(cache=True, nogil=True)
def index_strings_chunk(buf, start, end, base, state, starts, ends, escaped, hashes):
    """Locate the strings of a JSON array of strings, one chunk at a time.

    ``base`` is the stream offset of ``buf[0]``; the recorded starts and ends
    are stream offsets, so the strings can be read later straight from the
    file. Escapes are checked as they pass (a ``\\uXXXX`` may straddle two
    chunks: IS_ESCAPE counts the hex digits still due). Stops early when the
    output arrays are full, so the caller can grow them. Each string's stored
    bytes are hashed on the way (``hashes``), so that strings can later be found
    by content without reading the text again.
    """
    h = np.uint64(state[IS_HASH])
    count = state[IS_COUNT]
    in_string = state[IS_IN_STRING]
    esc = state[IS_ESCAPE]
    cap = starts.shape[0]
    i = start
    while i < end:
        c = buf[i]
        if in_string:
            if esc == 0 and c == 34:
                starts[count] = state[IS_START]
                ends[count] = base + i
                escaped[count] = state[IS_ESCAPED]
                hashes[count] = _fold32(h)
                count += 1
                in_string = 0
                i += 1
                continue
            h = (h ^ np.uint64(c)) * _FNV_PRIME
            if esc == 1:
                if c == 117:  # u: four hex digits follow
                    esc = 5
                elif c == 34 or c == 92 or c == 47 or c == 98 or c == 102 or c == 110 or c == 114 or c == 116:
                    esc = 0
                else:
                    state[IS_ERROR] = IS_ERR_ESCAPE
                    break
            elif esc > 1:
                if not (48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102):
                    state[IS_ERROR] = IS_ERR_ESCAPE
                    break
                esc = 0 if esc == 2 else esc - 1
            elif c == 92:
                esc = 1
                state[IS_ESCAPED] = 1
            i += 1
            continue
        if c == 34:
            if count == cap:
                break
            in_string = 1
            state[IS_START] = base + i + 1
            state[IS_ESCAPED] = 0
            h = _FNV_OFFSET
        elif c == 93:
            state[IS_DONE] = 1
            i += 1
            break
        elif not (c == 44 or _is_space(c)):
            state[IS_ERROR] = IS_ERR_SYNTAX
            break
        i += 1
    state[IS_COUNT] = count
    state[IS_IN_STRING] = in_string
    state[IS_ESCAPE] = esc
    state[IS_HASH] = np.int64(h)
    return i


@njit(cache=True, nogil=True)
def strings_containing(blob, starts, ends, needle, candidates):
    """Indices of the stored strings among ``candidates`` that contain the bytes ``needle``."""
    n = starts.shape[0]
    m = needle.shape[0]
    hits = np.empty(n, dtype=np.int64)
    count = 0
    first = needle[0]
    for i in range(n):
        if not candidates[i]:
            continue
        # int64 first: as Python (a first run's kernels), uint32 offsets minus the length would wrap below zero
        s = np.int64(starts[i])
        last = np.int64(ends[i]) - m
        j = s
        while j <= last:
            if blob[j] == first:
                same = True
                for k in range(1, m):
                    if blob[j + k] != needle[k]:
                        same = False
                        break
                if same:
                    hits[count] = i
                    count += 1
                    break
            j += 1
    return hits[:count]


@njit(cache=True, nogil=True)
def is_monotonic(values):
    """True when the offsets never decrease (an edge count that wrapped around would)."""
    for i in range(1, values.shape[0]):
        if values[i] < values[i - 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def first_bad_edge(edge_type, edge_name, edge_to, node_count, type_count, numbered, string_count):
    """The first edge with a bad type, target or string name, or -1: one pass, no temporaries."""
    for e in range(edge_type.shape[0]):
        t = edge_type[e]
        if t >= type_count or edge_to[e] >= node_count:
            return e
        if not numbered[t] and edge_name[e] >= string_count:
            return e
    return -1
