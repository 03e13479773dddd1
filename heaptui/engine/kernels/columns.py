"""The column scanners of :mod:`heaptui.engine.scan`: the ``nodes`` and ``edges`` arrays into their columns.

Those two arrays are nearly all of a snapshot's text. Both scanners read 64
bytes at a time where they can, eight in a 64-bit word (SWAR), and a byte at a
time everywhere else, with the same results; see :func:`scan_columns`.
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

# Eight bytes at a time (SWAR): the constants below repeat one byte in each of a word's eight bytes.
_BYTES = np.uint64(0x0101010101010101)
_HIGH_BITS = np.uint64(0x8080808080808080)
_LOW_SEVEN = np.uint64(0x7F7F7F7F7F7F7F7F)
_ZEROS = np.uint64(0x3030303030303030)  # '0' in each byte
_PAST_NINE = np.uint64(0x7676767676767676)  # added to (byte ^ '0') & 0x7F: bit 7 set for anything but 0..9
_COMMAS = np.uint64(0x2C2C2C2C2C2C2C2C)
_NEWLINES = np.uint64(0x0A0A0A0A0A0A0A0A)
_GATHER = np.uint64(0x0102040810204080)  # (bit 0 of each byte) * this >> 56: the eight bits side by side
_GATHER_BACK = np.uint64(0x8040201008040201)  # the same, last byte's bit lowest
_LOW_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
_U64_1, _U64_3, _U64_7, _U64_8, _U64_16, _U64_32, _U64_56 = (np.uint64(k) for k in (1, 3, 7, 8, 16, 32, 56))
_U64_10 = np.uint64(10)
_U64_FF = np.uint64(0x000000FF000000FF)
_HUNDREDS = np.uint64(100 + (1000000 << 32))
_TEN_THOUSANDS = np.uint64(1 + (10000 << 32))
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_BLOCK = 64  # bytes the block loop classifies at once: one bit each in a uint64
_READ_PAST = 8  # a number read as a word may take up to this many bytes past its block


@njit(cache=True, nogil=True, inline="always")
def _top_digits_value(w, n):
    """The value of the ``n`` (1..8) decimal digits in the high bytes of ``w`` (the word that ends with them)."""
    t = w & _LOW_NIBBLES & (_ALL_BITS << np.uint64(64 - 8 * n))  # the bytes in front of the digits zeroed
    t = t * _U64_10 + (t >> _U64_8)
    t = ((t & _U64_FF) * _HUNDREDS + ((t >> _U64_16) & _U64_FF) * _TEN_THOUSANDS) >> _U64_32
    return np.int64(t & np.uint64(0xFFFFFFFF))


@njit(cache=True, nogil=True, inline="always")
def _word(buf, i):
    """``buf[i:i + 8]`` as a little-endian uint64 (LLVM makes it one load: an unsigned index has no wraparound)."""
    j = np.uint64(i)
    return (
        np.uint64(buf[j])
        | np.uint64(buf[j + _U64_1]) << _U64_8
        | np.uint64(buf[j + np.uint64(2)]) << _U64_16
        | np.uint64(buf[j + _U64_3]) << np.uint64(24)
        | np.uint64(buf[j + np.uint64(4)]) << _U64_32
        | np.uint64(buf[j + np.uint64(5)]) << np.uint64(40)
        | np.uint64(buf[j + np.uint64(6)]) << np.uint64(48)
        | np.uint64(buf[j + _U64_7]) << _U64_56
    )


@njit(cache=True, nogil=True, inline="always")
def _trailing_zeros(m):
    """The number of zero bits below the lowest set bit of ``m`` (not 0): a bit count LLVM makes one instruction."""
    x = ~m & (m - _U64_1)
    x = x - ((x >> _U64_1) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _LOW_NIBBLES
    return np.int64((x * _BYTES) >> _U64_56)


@njit(cache=True, nogil=True, inline="always")
def _digits_value(w, n):
    """The value of the ``n`` (1..8) decimal digits in the low bytes of ``w``, first digit lowest (multiply-shift)."""
    t = (w & _LOW_NIBBLES) << np.uint64(64 - 8 * n)  # the digits in the top bytes, zeros in front of them
    t = t * _U64_10 + (t >> _U64_8)  # pairs of digits in bytes 1, 3, 5, 7
    t = ((t & _U64_FF) * _HUNDREDS + ((t >> _U64_16) & _U64_FF) * _TEN_THOUSANDS) >> _U64_32
    return np.int64(t & np.uint64(0xFFFFFFFF))


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

    Two loops that take turns. The block loop classifies 64 bytes at a time,
    eight in a word (SWAR): one bit per comma or newline, and whether anything
    else than digits, commas and newlines is there; each number between two
    separators (up to 8 digits) is then read from one 8-byte word by
    multiply-shift, without a branch per digit. Anything else (a block with a
    space, a ``]`` or a bad byte, a longer number, a value a column refuses,
    the last bytes before ``end``) goes to the byte loop from the start of the
    number at hand: it reads a byte at a time, exactly as before the block
    loop existed, and hands back after the next separator past the trouble. So
    the columns, the state and the error are the byte loop's in every case.

    In the byte loop, one unsigned compare per digit, and everything else
    (range checks, the column a number goes to) only when a number ends. The
    field index is counted, never divided out. A field offset of -1 means the
    section has no such field. ``to_node`` (a node index) is stored as a node
    ordinal; one that is not a multiple of the node field count is ERR_RANGE.
    """
    inverse = 1.0 / node_field_count  # a multiply for each to_node instead of a 64-bit division (~10% of the scan)
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
            while b + _BLOCK + _READ_PAST <= end:
                seps = np.uint64(0)
                bad = np.uint64(0)
                for k in range(8):
                    w = _word(buf, b + 8 * k)
                    low = w & _LOW_SEVEN
                    not_digit = ((low ^ _ZEROS) + _PAST_NINE) | w
                    not_separator = (((low ^ _COMMAS) + _LOW_SEVEN) | w) & (((low ^ _NEWLINES) + _LOW_SEVEN) | w)
                    bad |= not_digit & not_separator
                    seps |= ((((not_digit >> _U64_7) & _BYTES) * _GATHER) >> _U64_56) << np.uint64(8 * k)
                if bad & _HIGH_BITS:
                    handback = b + _BLOCK
                    break
                while seps:
                    q = b + _trailing_zeros(seps)
                    n = q - s
                    if n:
                        if n > 8:
                            break
                        v = _digits_value(_word(buf, s), n)
                        if pos >= limit:
                            break
                        r = np.uint64(row)  # unsigned: no wraparound code
                        if f == f_to:
                            t = np.int64(v * inverse + 0.5)
                            if t * node_field_count != v:
                                break
                            targets[r] = t
                        elif f == f_type:
                            if v > 255:
                                break
                            types[r] = v
                        elif f == f_name:
                            names[r] = v
                        elif f == f_id:
                            ids[r] = v
                        elif f == f_self:
                            self_sizes[r] = v
                        elif f == f_edges:
                            edge_counts[r] = v
                        elif f == f_trace:
                            traces[r] = v
                        elif f == f_detached:
                            detached[r] = v & 3
                        pos += 1
                        f += 1
                        if f == field_count:
                            f = 0
                            row += 1
                    s = q + 1
                    seps &= seps - _U64_1
                if seps:  # stopped at the number at s
                    handback = s + 1
                    break
                b += _BLOCK
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
        while top - _BLOCK - _READ_PAST >= start:  # 64 bytes, and 8 before them for a number's word
            b = top - _BLOCK
            seps = np.uint64(0)
            bad = np.uint64(0)
            for k in range(8):
                w = _word(buf, b + 8 * k)
                low = w & _LOW_SEVEN
                not_digit = ((low ^ _ZEROS) + _PAST_NINE) | w
                not_separator = (((low ^ _COMMAS) + _LOW_SEVEN) | w) & (((low ^ _NEWLINES) + _LOW_SEVEN) | w)
                bad |= not_digit & not_separator
                seps |= ((((not_digit >> _U64_7) & _BYTES) * _GATHER_BACK) >> _U64_56) << np.uint64(56 - 8 * k)
            if bad & _HIGH_BITS:
                handback = b
                break
            while seps:
                p = top - 1 - _trailing_zeros(seps)
                n = e - p - 1
                if n:
                    if n > 8:
                        break
                    v = _top_digits_value(_word(buf, e - 8), n)
                    if index < 0:
                        break
                    r = np.uint64(row)  # unsigned: no wraparound code
                    if f == f_to:
                        t = np.int64(v * inverse + 0.5)
                        if t * node_field_count != v:
                            break
                        targets[r] = t
                    elif f == f_type:
                        if v > 255:
                            break
                        types[r] = v
                    elif f == f_name:
                        names[r] = v
                    elif f == f_id:
                        ids[r] = v
                    elif f == f_self:
                        self_sizes[r] = v
                    elif f == f_edges:
                        edge_counts[r] = v
                    elif f == f_trace:
                        traces[r] = v
                    elif f == f_detached:
                        detached[r] = v & 3
                    back += 1
                    index -= 1
                    f -= 1
                    if f < 0:
                        f = field_count - 1
                        row -= 1
                e = p
                seps &= seps - _U64_1
            if seps:  # stopped at the number that ends before e
                handback = e
                break
            top = b
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
