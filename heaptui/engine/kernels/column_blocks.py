"""The block loops' parts for the column scanners of :mod:`.columns`: 64 bytes classified, numbers read, columns filled.

Each scanner's block loop works in two stages. The first (:func:`gather`,
:func:`gather_back`) reads the numbers of many blocks into a small local buffer
(a few hundred numbers), a number per separator, with nothing else to do per
number: no column to choose, no row to count; a function of its own, so that
its loop keeps everything in registers. The second (:func:`distribute`) hands
the buffer to the columns, one fixed-stride loop per field (every third number
to ``to_node``, and so on), checking first the values a column refuses.
Choosing the column number by number took a chain of compares with the field
offsets spilled out of the registers in a loop that had too many of them.

A block's bytes are classified by :func:`~heaptui.engine.kernels.byte_masks`,
one vector compare of the 64 bytes; eight words in SWAR took about a quarter of
the scan. On the 1 GB snapshot's arrays, one thread each way, the scanners take
about three quarters of the user time the one-stage SWAR loop took (2.6 s
against 3.5 s, medians of four runs on a shared 2-core machine).
"""

from __future__ import annotations

import numpy as np

from . import byte_masks, byte_masks_back, njit

# A number read from a word (SWAR): the constants below repeat one byte in each of a word's eight bytes.
_BYTES = np.uint64(0x0101010101010101)
_LOW_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
_U64_1, _U64_3, _U64_7, _U64_8, _U64_16, _U64_32, _U64_56 = (np.uint64(k) for k in (1, 3, 7, 8, 16, 32, 56))
_U64_10 = np.uint64(10)
_U64_FF = np.uint64(0x000000FF000000FF)
_HUNDREDS = np.uint64(100 + (1000000 << 32))
_TEN_THOUSANDS = np.uint64(1 + (10000 << 32))
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
BLOCK = 64  # bytes classified at once: one bit each in a uint64
READ_PAST = 8  # a number read as a word may take up to this many bytes past its block
# Numbers the first stage gathers before the second hands them out: a block holds at most BLOCK of them,
# so a block is started only while this much room is left. 4 KB of int64, in the L1 cache with the blocks.
HELD = 512


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


# Why gather() or gather_back() stopped: the held buffer is full or the blocks ran out, a block has other bytes than
# digits, commas and newlines, or a number is too long for a word.
FULL, BAD_BLOCK, LONG_NUMBER = 0, 1, 2


@njit(cache=True, nogil=True)
def gather(buf, b, s, end, held):
    """The first stage forward: the numbers of the blocks from ``b`` on into ``held``, the number at hand from ``s``.

    Returns how many were held, where the next block and the number at hand start, and why it stopped
    (``FULL``, ``BAD_BLOCK`` at that block, ``LONG_NUMBER`` at that number). A function of its own, called once
    for hundreds of numbers: its loop keeps everything in registers, which it did not in the scanner's.
    """
    count = 0
    while count <= HELD - BLOCK and b + BLOCK + READ_PAST <= end:
        seps, bad = byte_masks(buf, b)
        if bad:
            return count, b, s, BAD_BLOCK
        while seps:
            q = b + _trailing_zeros(seps)
            n = q - s
            if np.uint64(n - 1) < _U64_8:  # 1 to 8 digits (one compare)
                held[np.uint64(count)] = _digits_value(_word(buf, s), n)
                count += 1
            elif n:
                return count, b, s, LONG_NUMBER
            s = q + 1
            seps &= seps - _U64_1
        b += BLOCK
    return count, b, s, FULL


@njit(cache=True, nogil=True)
def gather_back(buf, top, e, start, held):
    """:func:`gather` backwards: blocks below ``top``, down to ``start``, the number at hand ending before ``e``.

    ``held[0]`` is the last number. Returns the count, the new ``top`` and ``e``, and why it stopped.
    """
    count = 0
    while count <= HELD - BLOCK and top - BLOCK - READ_PAST >= start:  # 64 bytes, and 8 before them for a word
        b = top - BLOCK
        seps, bad = byte_masks_back(buf, b)
        if bad:
            return count, top, e, BAD_BLOCK
        while seps:
            p = top - 1 - _trailing_zeros(seps)
            n = e - p - 1
            if np.uint64(n - 1) < _U64_8:
                held[np.uint64(count)] = _top_digits_value(_word(buf, e - 8), n)
                count += 1
            elif n:
                return count, top, e, LONG_NUMBER
            e = p
            seps &= seps - _U64_1
        top = b
    return count, top, e, FULL


@njit(cache=True, nogil=True)
def _put(column, held, at, took, f, row, step, field_count, mask):
    """The held numbers of field offset ``at`` (-1: none) into ``column``, rows from ``row`` on, by ``step`` (+1, -1).

    ``held[0]`` is field ``f`` of ``row``; going on through ``held`` goes one field forward (``step`` +1) or back.
    """
    if at < 0:
        return
    j = (at - f) * step
    r = row
    if j < 0:
        j += field_count
        r += step
    while j < took:
        column[np.uint64(r)] = held[np.uint64(j)] & mask  # unsigned: no wraparound code
        j += field_count
        r += step


@njit(cache=True, nogil=True)
def distribute(
    held,
    count,
    room,
    f,
    row,
    step,
    field_count,
    node_field_count,
    inverse,
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
    """The first ``count`` held numbers into their columns, up to the first that the byte loop would not store.

    That is the first past ``room`` (the numbers the array has left), a type above 255, or a ``to_node`` that is
    not a multiple of the node field count; nothing from it on is stored. Returns how many were. The field
    offsets are the scanner's.
    """
    took = min(count, room)
    # Each column's field offset as the byte loop uses it, -1 where it stores nothing in that column: it tries
    # to_node first, then type, name and so on, so an offset out of the row or tried before stores nothing.
    o_to = f_to if 0 <= f_to < field_count else -1
    o_type = f_type if 0 <= f_type < field_count and f_type != o_to else -1
    o_name = f_name if 0 <= f_name < field_count and f_name != o_to and f_name != o_type else -1
    o_id = f_id if 0 <= f_id < field_count and f_id != o_to and f_id != o_type and f_id != o_name else -1
    o_self = -1
    if 0 <= f_self < field_count and f_self != o_to and f_self != o_type and f_self != o_name and f_self != o_id:
        o_self = f_self
    o_edges = -1
    if 0 <= f_edges < field_count and f_edges != o_to and f_edges != o_type and f_edges != o_name:
        if f_edges != o_id and f_edges != o_self:
            o_edges = f_edges
    o_trace = -1
    if 0 <= f_trace < field_count and f_trace != o_to and f_trace != o_type and f_trace != o_name:
        if f_trace != o_id and f_trace != o_self and f_trace != o_edges:
            o_trace = f_trace
    o_detached = -1
    if 0 <= f_detached < field_count and f_detached != o_to and f_detached != o_type and f_detached != o_name:
        if f_detached != o_id and f_detached != o_self and f_detached != o_edges and f_detached != o_trace:
            o_detached = f_detached
    if o_type >= 0:  # checked before anything is stored: a type refused ends what is stored of every column
        j = (o_type - f) * step
        if j < 0:
            j += field_count
        while j < took:
            if held[np.uint64(j)] > 255:
                took = j
                break
            j += field_count
    if o_to >= 0:  # checked and stored together: the numbers past one refused are stored nowhere
        j = (o_to - f) * step
        r = row
        if j < 0:
            j += field_count
            r += step
        while j < took:
            v = held[np.uint64(j)]
            t = np.int64(v * inverse + 0.5)  # exact for a multiple (< 2^32); a non-multiple fails below
            if t * node_field_count != v:
                took = j
                break
            targets[np.uint64(r)] = t
            j += field_count
            r += step
    _put(types, held, o_type, took, f, row, step, field_count, -1)
    _put(names, held, o_name, took, f, row, step, field_count, -1)
    _put(ids, held, o_id, took, f, row, step, field_count, -1)
    _put(self_sizes, held, o_self, took, f, row, step, field_count, -1)
    _put(edge_counts.view(np.uint32), held, o_edges, took, f, row, step, field_count, -1)  # the same bits
    _put(traces, held, o_trace, took, f, row, step, field_count, -1)
    _put(detached, held, o_detached, took, f, row, step, field_count, 3)
    return took


@njit(cache=True, nogil=True)
def number_edge(buf, at, k, step):
    """Where the ``k``-th number (from 0) at or after ``at`` starts (``step`` 1), or just past the ``k``-th that ends
    before ``at`` going backwards (``step`` -1); the text there is digits, commas and newlines."""
    j = at if step > 0 else at - 1
    while True:
        while np.uint8(buf[j] - 48) >= 10:
            j += step
        if k == 0:
            return j if step > 0 else j + 1
        k -= 1
        while np.uint8(buf[j] - 48) < 10:
            j += step
