"""Compiled byte scanners for the big parts of a snapshot file.

A 1 GB snapshot is mostly two JSON arrays of small integers (``nodes`` and
``edges``) and one array of strings. A JSON library would build a Python object
per number; these loops read the bytes of one chunk at a time and write each
number straight into its numpy column. Each scanner keeps its state in a small
int64 array, so a number or string cut by a chunk boundary continues in the next
call, and the loader can report progress or cancel between chunks.

State layout shared by the integer scanners (``ST_*`` indices):
  position   how many numbers of the array were written so far
  value      the number being read
  in_number  1 while inside a number
  done       1 once the closing ``]`` was read
  error      0, or an ``ERR_*`` code
"""

from __future__ import annotations

import numpy as np
from numba import njit

ST_POS, ST_VALUE, ST_IN_NUMBER, ST_DONE, ST_ERROR, ST_SIGN = 0, 1, 2, 3, 4, 5
STATE_SIZE = 8

ERR_CHAR = 1  # a byte that cannot be in an array of integers
ERR_TOO_MANY = 2  # more numbers than meta's counts allow
ERR_RANGE = 3  # a number too large for its column
ERR_ESCAPE = 4  # a string with a broken escape

_U32_MAX = 0xFFFFFFFF


def new_state() -> np.ndarray:
    return np.zeros(STATE_SIZE, dtype=np.int64)


@njit(cache=True, nogil=True, inline="always")
def _is_space(c: int) -> bool:
    return c == 32 or c == 10 or c == 13 or c == 9


@njit(cache=True, nogil=True)
def scan_node_numbers(buf, start, end, state, field_count, limit,
                      f_type, f_name, f_id, f_self, f_edges, f_trace, f_detached,
                      types, names, ids, self_sizes, edge_counts, traces, detached):
    """Read the ``nodes`` array into its columns, stopping at ``]`` or at ``end``."""
    pos = state[ST_POS]
    value = state[ST_VALUE]
    in_number = state[ST_IN_NUMBER]
    i = start
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            value = value * 10 + (c - 48)
            if value > _U32_MAX:
                state[ST_ERROR] = ERR_RANGE
                break
            in_number = 1
            i += 1
            continue
        if in_number:
            if pos >= limit:
                state[ST_ERROR] = ERR_TOO_MANY
                break
            row = pos // field_count
            f = pos - row * field_count
            if f == f_type:
                if value > 255:
                    state[ST_ERROR] = ERR_RANGE
                    break
                types[row] = value
            elif f == f_name:
                names[row] = value
            elif f == f_id:
                ids[row] = value
            elif f == f_self:
                self_sizes[row] = value
            elif f == f_edges:
                edge_counts[row] = value
            elif f == f_trace:
                traces[row] = value
            elif f == f_detached:
                detached[row] = value & 3
            pos += 1
            value = 0
            in_number = 0
        if c == 44 or _is_space(c):
            i += 1
            continue
        if c == 93:  # ]
            state[ST_DONE] = 1
            i += 1
            break
        state[ST_ERROR] = ERR_CHAR
        break
    state[ST_POS] = pos
    state[ST_VALUE] = value
    state[ST_IN_NUMBER] = in_number
    return i


@njit(cache=True, nogil=True)
def scan_edge_numbers(buf, start, end, state, field_count, limit, node_field_count,
                      f_type, f_name, f_to, types, names, targets):
    """Read the ``edges`` array; ``to_node`` (a node index) is stored as a node ordinal.

    A ``to_node`` that is not a multiple of the node field count is reported as
    ERR_RANGE at the edge's position; the caller checks the upper bound.
    """
    pos = state[ST_POS]
    value = state[ST_VALUE]
    in_number = state[ST_IN_NUMBER]
    i = start
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            value = value * 10 + (c - 48)
            if value > _U32_MAX:
                state[ST_ERROR] = ERR_RANGE
                break
            in_number = 1
            i += 1
            continue
        if in_number:
            if pos >= limit:
                state[ST_ERROR] = ERR_TOO_MANY
                break
            row = pos // field_count
            f = pos - row * field_count
            if f == f_type:
                if value > 255:
                    state[ST_ERROR] = ERR_RANGE
                    break
                types[row] = value
            elif f == f_name:
                names[row] = value
            elif f == f_to:
                q = value // node_field_count
                if q * node_field_count != value:
                    state[ST_ERROR] = ERR_RANGE
                    break
                targets[row] = q
            pos += 1
            value = 0
            in_number = 0
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
    return i


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


# State of the value skipper: depth, in_string, escape, started, done.
SK_DEPTH, SK_IN_STRING, SK_ESCAPE, SK_STARTED, SK_DONE = 0, 1, 2, 3, 4


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


@njit(cache=True, nogil=True)
def index_strings(blob, starts, ends, escaped):
    """Locate every string of a JSON array of strings held whole in ``blob``.

    With empty output arrays it only counts, so the caller can size them and call
    again. Returns the number of strings, -1 if the array is malformed or cut
    short, -2 if a string holds an escape JSON does not allow.
    """
    n = 0
    cap = starts.shape[0]
    i = 0
    size = blob.shape[0]
    while i < size and blob[i] != 91:
        i += 1
    i += 1
    while i < size:
        c = blob[i]
        if c == 34:
            s = i + 1
            j = s
            esc = 0
            while j < size:
                d = blob[j]
                if d == 92:
                    esc = 1
                    if j + 1 >= size:
                        return -1
                    e = blob[j + 1]
                    if e == 117:  # \uXXXX
                        if j + 5 >= size:
                            return -1
                        for k in range(j + 2, j + 6):
                            h = blob[k]
                            if not (48 <= h <= 57 or 65 <= h <= 70 or 97 <= h <= 102):
                                return -2
                        j += 6
                        continue
                    if not (e == 34 or e == 92 or e == 47 or e == 98 or e == 102
                            or e == 110 or e == 114 or e == 116):
                        return -2
                    j += 2
                    continue
                if d == 34:
                    break
                j += 1
            if j >= size:
                return -1
            if n < cap:
                starts[n] = s
                ends[n] = j
                escaped[n] = esc
            n += 1
            i = j + 1
            continue
        if c == 93:
            return n
        if c == 44 or _is_space(c):
            i += 1
            continue
        return -1
    return -1


@njit(cache=True, nogil=True)
def match_strings(blob, starts, ends, needle):
    """Indices of the stored strings whose bytes equal ``needle``."""
    n = starts.shape[0]
    m = needle.shape[0]
    hits = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        s = starts[i]
        if ends[i] - s != m:
            continue
        same = True
        for k in range(m):
            if blob[s + k] != needle[k]:
                same = False
                break
        if same:
            hits[count] = i
            count += 1
    return hits[:count]


@njit(cache=True, nogil=True)
def strings_containing(blob, starts, ends, needle):
    """Indices of the stored strings that contain the bytes ``needle``."""
    n = starts.shape[0]
    m = needle.shape[0]
    hits = np.empty(n, dtype=np.int64)
    count = 0
    first = needle[0]
    for i in range(n):
        s = starts[i]
        last = ends[i] - m
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
