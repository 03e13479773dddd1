"""The column scanners of :mod:`heaptui.engine.scan`: the ``nodes`` and ``edges`` arrays into their columns.

Those two arrays are nearly all of a snapshot's text. Both scanners read 64
bytes at a time where they can (one vector compare, then a word per number:
:mod:`.column_blocks`), and a byte at a time everywhere else, with the same
results; see :func:`scan_columns`.
"""

from __future__ import annotations

import numpy as np

from ..scan import (
    _U32_MAX,
    ERR_CHAR,
    ERR_RANGE,
    ERR_TOO_MANY,
    ST_DONE,
    ST_ERROR,
    ST_IN_NUMBER,
    ST_POS,
    ST_VALUE,
)
from . import njit
from .column_blocks import (
    BAD_BLOCK,
    BLOCK,
    FULL,
    HELD,
    LONG_NUMBER,
    READ_PAST,
    distribute,
    gather,
    gather_back,
    number_edge,
)


@njit(cache=True, nogil=True)
def scan_columns(
    buf,
    start,
    end,
    state,
    field_count,
    limit,
    node_field_count,
    f_type,
    f_name,
    f_id,
    f_self,
    f_edges,
    f_trace,
    f_detached,
    f_to,
    types,
    names,
    ids,
    self_sizes,
    edge_counts,
    traces,
    detached,
    targets,
):
    """Read the ``nodes`` or ``edges`` array into its columns, stopping at ``]`` or at ``end``.

    Two loops that take turns. The block loop classifies 64 bytes at a time
    (one bit per comma or newline, and whether anything else than digits,
    commas and newlines is there), reads each number between two separators
    (up to 8 digits) from one 8-byte word by multiply-shift, without a branch
    per digit, into a buffer of a few hundred, and then hands the buffer to
    the columns a field at a time (:func:`~.column_blocks.gather`,
    :func:`~.column_blocks.distribute`). Anything else (a block with a space,
    a ``]`` or a bad byte, a longer number, a value a column refuses, the last
    bytes before ``end``) goes to the byte loop from the start of the number
    at hand: it reads a byte at a time, exactly as before the block loop
    existed, and hands back after the next separator past the trouble. So the
    columns, the state and the error are the byte loop's in every case.

    In the byte loop, one unsigned compare per digit, and everything else
    (range checks, the column a number goes to) only when a number ends. The
    field index is counted, never divided out. A field offset of -1 means the
    section has no such field. ``to_node`` (a node index) is stored as a node
    ordinal; one that is not a multiple of the node field count is ERR_RANGE.
    """
    inverse = 1.0 / node_field_count  # a multiply for each to_node instead of a 64-bit division (~10% of the scan)
    held = np.empty(HELD, dtype=np.int64)
    pos = state[ST_POS]
    value = state[ST_VALUE]
    digits = state[ST_IN_NUMBER]
    row = pos // field_count
    f = pos - row * field_count
    i = start
    handback = start  # the byte loop hands back to the block loop after a separator at or past this
    while True:
        if digits == 0 and value == 0:
            s = i  # where the number at hand starts (just after a separator)
            b = i
            handback = end
            while b + BLOCK + READ_PAST <= end:
                first = s  # where the first held number starts
                count, b, s, why = gather(buf, b, s, end, held)
                if why == BAD_BLOCK:
                    handback = b + BLOCK
                elif why == LONG_NUMBER:
                    handback = s + 1
                took = distribute(
                    held, count, limit - pos, f, row, 1, field_count, node_field_count, inverse,
                    f_type, f_name, f_id, f_self, f_edges, f_trace, f_detached, f_to,
                    types, names, ids, self_sizes, edge_counts, traces, detached, targets,
                )  # fmt: skip
                pos += took
                f += took
                row += f // field_count
                f %= field_count
                if took < count:  # the byte loop takes it from the first number not stored
                    s = number_edge(buf, first, took, 1)
                    handback = s + 1
                    break
                if why != FULL:
                    break
            i = s
        # The byte loop: from i, until the first separator at or past handback (or ] or an error, or end).
        stop = False
        while i < end:
            c = buf[i]
            d = np.uint8(c - 48)
            if d < 10:
                value = value * 10 + np.int64(d)  # int64 in Python too (0 + a uint8 would stay a uint8 there)
                digits += 1
                i += 1
                continue
            if digits:
                if digits > 10 or value > _U32_MAX:
                    state[ST_ERROR] = ERR_RANGE
                    stop = True
                    break
                if pos >= limit:
                    state[ST_ERROR] = ERR_TOO_MANY
                    stop = True
                    break
                if f == f_to:
                    q = np.int64(value * inverse + 0.5)  # exact for a multiple (< 2^32); a non-multiple fails below
                    if q * node_field_count != value:
                        state[ST_ERROR] = ERR_RANGE
                        stop = True
                        break
                    targets[row] = q
                elif f == f_type:
                    if value > 255:
                        state[ST_ERROR] = ERR_RANGE
                        stop = True
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
                f += 1
                if f == field_count:
                    f = 0
                    row += 1
                value = 0
                digits = 0
            if c == 44 or c == 10 or c == 32 or c == 13 or c == 9:
                i += 1
                if i > handback:
                    break
                continue
            if c == 93:  # ]
                state[ST_DONE] = 1
                i += 1
                stop = True
                break
            state[ST_ERROR] = ERR_CHAR
            stop = True
            break
        if stop or i >= end:
            break
    state[ST_POS] = pos
    state[ST_VALUE] = value
    state[ST_IN_NUMBER] = digits
    return i


# The value of a digit by its place from the right (16 entries, so that ``digits & 15`` never reads past them).
_POWERS_OF_TEN = np.array([10**k for k in range(11)] + [0] * 5, dtype=np.int64)


@njit(cache=True, nogil=True)
def scan_columns_back(
    buf,
    start,
    end,
    state,
    field_count,
    limit,
    node_field_count,
    f_type,
    f_name,
    f_id,
    f_self,
    f_edges,
    f_trace,
    f_detached,
    f_to,
    types,
    names,
    ids,
    self_sizes,
    edge_counts,
    traces,
    detached,
    targets,
):
    """:func:`scan_columns` from the end: ``buf[start:end]`` read backwards, the last number of the array first.

    For the back piece of an array scanned from both ends at once: ``ST_POS``
    counts the numbers read so far from the array's end, so the next one read
    is number ``limit - 1 - ST_POS``. The caller hands over stretches that
    start just after a separator and end on one (or at the closing bracket),
    so no number is cut; the number at ``start`` ends the call. Any byte the
    forward scan would refuse (a ``]`` included) and any value it would refuse
    is an error here too, and so is a number before the array's first.
    """
    inverse = 1.0 / node_field_count
    held = np.empty(HELD, dtype=np.int64)
    back = state[ST_POS]
    index = limit - 1 - back  # the array's index of the number being read
    row = index // field_count
    f = index - row * field_count
    value = 0
    digits = 0
    i = end - 1
    while True:
        e = i + 1  # the number at hand ends just before e (at a separator, or at end)
        top = e
        handback = -1  # the byte loop hands back to the block loop after a separator below this
        while top - BLOCK - READ_PAST >= start:  # 64 bytes, and 8 before them for a number's word
            last = e  # where the first held number ends
            count, top, e, why = gather_back(buf, top, e, start, held)
            if why == BAD_BLOCK:
                handback = top - BLOCK
            elif why == LONG_NUMBER:
                handback = e
            took = distribute(
                held, count, index + 1, f, row, -1, field_count, node_field_count, inverse,
                f_type, f_name, f_id, f_self, f_edges, f_trace, f_detached, f_to,
                types, names, ids, self_sizes, edge_counts, traces, detached, targets,
            )  # fmt: skip
            back += took
            index -= took
            row = index // field_count
            f = index - row * field_count
            if took < count:  # the byte loop takes it from the first number not stored
                e = number_edge(buf, last, took, -1)
                handback = e
                break
            if why != FULL:
                break
        i = e - 1
        # The byte loop: from i down, until the first separator below handback (or an error, or start).
        stop = False
        while True:
            c = buf[i] if i >= start else np.uint8(44)  # the stretch starts just after a separator
            d = np.uint8(c - 48)
            if d < 10:
                value += d * _POWERS_OF_TEN[digits & 15]  # no chain of multiplies; past 10 digits refused below
                digits += 1
                i -= 1
                continue
            if digits:
                if digits > 10 or value > _U32_MAX:
                    state[ST_ERROR] = ERR_RANGE
                    stop = True
                    break
                if index < 0:
                    state[ST_ERROR] = ERR_TOO_MANY
                    stop = True
                    break
                if f == f_to:
                    q = np.int64(value * inverse + 0.5)
                    if q * node_field_count != value:
                        state[ST_ERROR] = ERR_RANGE
                        stop = True
                        break
                    targets[row] = q
                elif f == f_type:
                    if value > 255:
                        state[ST_ERROR] = ERR_RANGE
                        stop = True
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
                back += 1
                index -= 1
                f -= 1
                if f < 0:
                    f = field_count - 1
                    row -= 1
                value = 0
                digits = 0
            if i < start:
                stop = True
                break
            if c == 44 or c == 10 or c == 32 or c == 13 or c == 9:
                i -= 1
                if i + 1 < handback:
                    break
                continue
            state[ST_ERROR] = ERR_CHAR
            stop = True
            break
        if stop:
            break
    state[ST_POS] = back
    return i
