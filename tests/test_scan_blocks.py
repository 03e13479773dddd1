"""The column scanners' block loop (eight bytes at a time) reads exactly what a byte at a time reads.

:func:`~heaptui.engine.scan.scan_columns` and :func:`~heaptui.engine.scan.scan_columns_back` classify 64 bytes at
once and read each number from one word; everything else goes to their byte loop. Here random arrays (numbers of
every length from 1 to 10 digits, 4294967295 and past it, the separators V8 writes and JSON's other white space,
bad bytes, values a column refuses, too many numbers) are cut into random chunks and held against two independent
readings: Python's ``int`` of the text's numbers, and the byte-at-a-time scanners as they were before the block loop
(copied below as plain Python): the same columns, the same state after every call, the same position returned.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from heaptui.engine import scan

_SEPARATORS = (b",", b",", b",", b"\n,", b",\n", b", ", b",,", b"\r\n,", b"\t,", b" ,")
_V8_SEPARATORS = (b",", b",", b",", b",", b"\n,")  # what V8 writes: mostly the block loop's case
_NODE_FIELDS, _EDGE_FIELDS = 7, 3
_U32_MAX = 0xFFFFFFFF


def _reference_forward(buf, start, end, state, field_count, limit, node_field_count, where, columns):
    """The forward scan a byte at a time, as :func:`scan_columns` read before its block loop (plain Python)."""
    f_type, f_name, f_id, f_self, f_edges, f_trace, f_detached, f_to = where
    types, names, ids, self_sizes, edge_counts, traces, detached, targets = columns
    pos, value, digits = int(state[scan.ST_POS]), int(state[scan.ST_VALUE]), int(state[scan.ST_IN_NUMBER])
    row, f = divmod(pos, field_count)
    i = start
    while i < end:
        c = int(buf[i])
        if 48 <= c <= 57:
            value = (value * 10 + c - 48) & 0xFFFFFFFFFFFFFFFF
            digits += 1
            i += 1
            continue
        if digits:
            if digits > 10 or value > _U32_MAX:
                state[scan.ST_ERROR] = scan.ERR_RANGE
                break
            if pos >= limit:
                state[scan.ST_ERROR] = scan.ERR_TOO_MANY
                break
            if f == f_to:
                if value % node_field_count:
                    state[scan.ST_ERROR] = scan.ERR_RANGE
                    break
                targets[row] = value // node_field_count
            elif f == f_type:
                if value > 255:
                    state[scan.ST_ERROR] = scan.ERR_RANGE
                    break
                types[row] = value
            else:
                for at, column in ((f_name, names), (f_id, ids), (f_self, self_sizes), (f_edges, edge_counts)):
                    if f == at:
                        column[row] = np.uint64(value).astype(column.dtype)  # wrapped, as compiled code stores it
                        break
                else:
                    if f == f_trace:
                        traces[row] = value
                    elif f == f_detached:
                        detached[row] = value & 3
            pos += 1
            f += 1
            if f == field_count:
                f, row = 0, row + 1
            value = digits = 0
        if c in (44, 10, 32, 13, 9):
            i += 1
            continue
        if c == 93:
            state[scan.ST_DONE] = 1
            i += 1
            break
        state[scan.ST_ERROR] = scan.ERR_CHAR
        break
    state[scan.ST_POS] = pos
    state[scan.ST_VALUE] = value if value < 2**63 else value - 2**64
    state[scan.ST_IN_NUMBER] = digits
    return i


def _reference_back(buf, start, end, state, field_count, limit, node_field_count, where, columns):
    """The backward scan a byte at a time, as :func:`scan_columns_back` read before its block loop (plain Python)."""
    f_type, f_name, f_id, f_self, f_edges, f_trace, f_detached, f_to = where
    back = int(state[scan.ST_POS])
    index = limit - 1 - back
    row, f = divmod(index, field_count)
    text = b""  # the digits of the number at hand, read backwards
    i = end - 1
    while True:
        c = int(buf[i]) if i >= start else 44
        if 48 <= c <= 57:
            text = bytes([c]) + text
            i -= 1
            continue
        if text:
            value = int(text) if len(text) <= 10 else _U32_MAX + 1
            if value > _U32_MAX:
                state[scan.ST_ERROR] = scan.ERR_RANGE
                break
            if index < 0:
                state[scan.ST_ERROR] = scan.ERR_TOO_MANY
                break
            if f == f_to and value % node_field_count or f == f_type and value > 255:
                state[scan.ST_ERROR] = scan.ERR_RANGE
                break
            for at, column in zip(where, columns):
                if f == at:
                    value = value // node_field_count if at == f_to else value & 3 if at == f_detached else value
                    column[row] = np.uint64(value).astype(column.dtype)  # wrapped, as compiled code stores it
                    break
            back += 1
            index -= 1
            f -= 1
            if f < 0:
                f, row = field_count - 1, row - 1
            text = b""
        if i < start:
            break
        if c in (44, 10, 32, 13, 9):
            i -= 1
            continue
        state[scan.ST_ERROR] = scan.ERR_CHAR
        break
    state[scan.ST_POS] = back
    return i


def _layout(kind: str, rows: int):
    """The field offsets and fresh (sentinel-filled) columns of a nodes or edges array of ``rows`` rows."""
    if kind == "nodes":
        where = (0, 1, 2, 3, 4, 5, 6, -1)
        sizes = (rows,) * 7 + (0,)
    else:
        where = (0, 1, -1, -1, -1, -1, -1, 2)
        sizes = (rows, rows, 0, 0, 0, 0, 0, rows)
    dtypes = (np.uint8, np.uint32, np.uint32, np.uint32, np.int32, np.uint32, np.uint8, np.int32)
    return where, [np.full(n, 0x5A, dtype=t) for n, t in zip(sizes, dtypes)]


def _number(rng: np.random.Generator, field: int, kind: str, lengths: bool) -> bytes:
    """A number for ``field``: the column's usual values, or (``lengths``) one of every length from 1 to 10 digits."""
    if kind == "nodes" and field in (0, 6) or kind == "edges" and field == 0:
        return str(int(rng.integers(0, 16))).encode()
    if kind == "edges" and field == 2:
        return str(
            int(rng.integers(0, (_U32_MAX // 7) + 1)) * 7 if lengths else int(rng.integers(0, 10**7)) * 7
        ).encode()
    if lengths:
        digits = int(rng.integers(1, 11))
        value = int(rng.integers(10 ** (digits - 1) if digits > 1 else 0, min(10**digits, _U32_MAX + 1)))
        return str(value).encode()
    return str(int(rng.integers(0, 10 ** int(rng.integers(1, 9))))).encode()


_FAULTS = (
    b"x",
    b"-",
    b"]",
    b"1.5",
    b"1e3",
    b"4294967296",
    b"99999999999",
    b"00000000001",
    b"18446744073709551617",
    b"256",
    b"8",
    b'"',
)


def _text(rng: np.random.Generator, kind: str, rows: int, v8: bool, lengths: bool, fault: bool) -> bytes:
    fields = _NODE_FIELDS if kind == "nodes" else _EDGE_FIELDS
    separators = _V8_SEPARATORS if v8 else _SEPARATORS
    parts = []
    for k in range(rows * fields):
        parts.append(_number(rng, k % fields, kind, lengths))
        if k < rows * fields - 1:
            parts.append(b"\n," if v8 and k % fields == fields - 1 else separators[rng.integers(len(separators))])
    if fault:  # one thing the scanners refuse (or a number too many), anywhere
        at = int(rng.integers(0, len(parts)))
        parts[at] = _FAULTS[rng.integers(len(_FAULTS))] if rng.random() < 0.9 else parts[at] + b",7"
    return b"".join(parts) + (b"\n]" if rng.random() < 0.5 else b"]")


def _expected_columns(text: bytes, kind: str, rows: int):
    """Python's reading of a good array: its numbers by ``int``, by column."""
    numbers = np.array([int(x) for x in re.findall(rb"[0-9]+", text)], dtype=np.int64).reshape(rows, -1)
    if kind == "nodes":
        return {1: numbers[:, 1], 2: numbers[:, 2], 0: numbers[:, 0], 6: numbers[:, 6] & 3}
    return {0: numbers[:, 0], 1: numbers[:, 1], 7: numbers[:, 2] // 7}


def _cuts(rng: np.random.Generator, length: int) -> list[int]:
    """Random chunk ends: small ones (a number falls across many) and large ones (the block loop runs)."""
    cuts, at = [], 0
    while at < length:
        at = min(length, at + int(rng.integers(1, 9) if rng.random() < 0.3 else rng.integers(9, 700)))
        cuts.append(at)
    return cuts


def _forward(kernel, text: bytes, cuts: list[int], kind: str, rows: int, limit: int):
    """Scan ``text`` chunk by chunk, each chunk in a buffer of its own with junk after its end."""
    where, columns = _layout(kind, rows + 2)
    fields = _NODE_FIELDS if kind == "nodes" else _EDGE_FIELDS
    state = scan.new_state()
    calls = []
    start = 0
    for end in cuts:
        chunk = np.frombuffer(b"#" * 3 + text[start:end] + b"9,9" * 20, dtype=np.uint8)
        got = kernel(chunk, 3, 3 + end - start, state, fields, limit, _NODE_FIELDS, *where, *columns)
        calls.append((int(got) - 3 + start, state.tolist()))
        if state[scan.ST_ERROR] or state[scan.ST_DONE]:
            break
        start = end
    return calls, columns


def _back_stretches(rng: np.random.Generator, text: bytes) -> list[tuple[int, int]]:
    """The array's stretches from its end, as the back piece takes them: each starts just after a comma."""
    high = text.rindex(b"]")
    stretches = []
    while high > 0:
        low = max(high - int(rng.integers(1, 700)), 0)
        comma = text.find(b",", low, high - 1) if low > 0 else -1
        low = comma + 1 if comma >= 0 else 0
        stretches.append((low, high))
        high = low
    return stretches


def _backward(kernel, text: bytes, stretches, kind: str, rows: int, limit: int):
    where, columns = _layout(kind, rows + 2)
    fields = _NODE_FIELDS if kind == "nodes" else _EDGE_FIELDS
    state = scan.new_state()
    calls = []
    for low, high in stretches:
        chunk = np.frombuffer(b"9,9" * 20 + text[low:high] + b"x]", dtype=np.uint8)  # junk on both sides
        got = kernel(chunk, 60, 60 + high - low, state, fields, limit, _NODE_FIELDS, *where, *columns)
        calls.append((int(got) - 60 + low, state.tolist()))
        if state[scan.ST_ERROR]:
            break
    return calls, columns


def _same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("kind", ["nodes", "edges"])
@pytest.mark.parametrize("seed", range(12))
def test_a_good_array_reads_as_pythons_int_reads_it(kind, seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 300))
    fields = _NODE_FIELDS if kind == "nodes" else _EDGE_FIELDS
    text = _text(rng, kind, rows, v8=seed % 2 == 0, lengths=seed % 3 == 0, fault=False)
    expected = _expected_columns(text, kind, rows)
    for _ in range(3):
        calls, columns = _forward(scan.scan_columns, text, _cuts(rng, len(text)), kind, rows, rows * fields)
        assert calls[-1][1][: scan.ST_ERROR + 1] == [rows * fields, 0, 0, 1, 0] and calls[-1][0] == len(text)
        for at, values in expected.items():
            assert np.array_equal(columns[at][:rows], values), at
        calls, back_columns = _backward(
            scan.scan_columns_back, text, _back_stretches(rng, text), kind, rows, rows * fields
        )
        assert calls[-1][1][scan.ST_POS] == rows * fields and not calls[-1][1][scan.ST_ERROR]
        assert _same(columns, back_columns)


@pytest.mark.parametrize("kind", ["nodes", "edges"])
@pytest.mark.parametrize("seed", range(40))
def test_every_call_leaves_the_byte_at_a_time_state(kind, seed):
    """Good and bad arrays, any chunks: each call's position and state, and the columns, as a byte at a time."""
    rng = np.random.default_rng(1000 + seed)
    rows = int(rng.integers(1, 200))
    fields = _NODE_FIELDS if kind == "nodes" else _EDGE_FIELDS
    text = _text(rng, kind, rows, v8=seed % 2 == 0, lengths=seed % 3 == 0, fault=seed % 4 != 3)
    limit = rows * fields
    cuts = _cuts(rng, len(text))
    got = _forward(scan.scan_columns, text, cuts, kind, rows, limit)
    assert got[0] == _forward(_reference_forward_call, text, cuts, kind, rows, limit)[0]
    assert _same(got[1], _forward(_reference_forward_call, text, cuts, kind, rows, limit)[1])
    stretches = _back_stretches(rng, text)
    got = _backward(scan.scan_columns_back, text, stretches, kind, rows, limit)
    want = _backward(_reference_back_call, text, stretches, kind, rows, limit)
    assert got[0] == want[0]
    assert _same(got[1], want[1])


def _reference_forward_call(buf, start, end, state, field_count, limit, node_field_count, *rest):
    return _reference_forward(buf, start, end, state, field_count, limit, node_field_count, rest[:8], rest[8:])


def _reference_back_call(buf, start, end, state, field_count, limit, node_field_count, *rest):
    return _reference_back(buf, start, end, state, field_count, limit, node_field_count, rest[:8], rest[8:])


@pytest.mark.parametrize(
    "number, ok",
    [
        (b"4294967295", True),
        (b"4294967296", False),
        (b"0004294967", True),
        (b"00000000001", False),
        (b"99999999", True),
        (b"123456789", True),
        (b"18446744073709551616", False),
    ],
)
@pytest.mark.parametrize("room", [0, 1, 7, 64, 200])
def test_long_numbers_anywhere_in_a_block(number, ok, room):
    """A name of 8 to 20 digits at every place in a block: read, or refused where the byte loop refuses it."""
    for shift in range(0, 140, 3):  # the number at every place of a 64-byte block
        prefix = b"1," + b"2" * (1 + shift % 8) + b",7\n," + b"1,2,7\n," * (shift // 8)
        text = prefix + b"1," + number + b",7" + b"\n,1,2,7" * (room // 6 + 1) + b"]"
        rows = text.count(b"\n,") + 1
        cuts = [len(text)]
        got = _forward(scan.scan_columns, text, cuts, "edges", rows, rows * 3)
        want = _forward(_reference_forward_call, text, cuts, "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1])
        assert (got[0][-1][1][scan.ST_ERROR] == 0) == ok
        stretches = [(0, len(text) - 1)]
        got = _backward(scan.scan_columns_back, text, stretches, "edges", rows, rows * 3)
        want = _backward(_reference_back_call, text, stretches, "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1])
        assert (got[0][-1][1][scan.ST_ERROR] == 0) == ok


def test_the_python_kernels_read_as_the_compiled_ones():
    """The same file loaded without numba (the first run's Python kernels) gives the same columns and states."""
    from heaptui.engine.jit import as_python

    rng = np.random.default_rng(7)
    for fault in (False, True, True):
        text = _text(rng, "nodes", 40, v8=True, lengths=False, fault=fault)  # Python stores no wrapped values
        cuts = _cuts(rng, len(text))
        compiled = _forward(scan.scan_columns, text, cuts, "nodes", 40, 280)
        stretches = _back_stretches(rng, text)
        compiled_back = _backward(scan.scan_columns_back, text, stretches, "nodes", 40, 280)
        with as_python(["columns"]), np.errstate(over="ignore"):
            python = _forward(scan.scan_columns, text, cuts, "nodes", 40, 280)
            python_back = _backward(scan.scan_columns_back, text, stretches, "nodes", 40, 280)
        assert compiled[0] == python[0] and _same(compiled[1], python[1])
        assert compiled_back[0] == python_back[0] and _same(compiled_back[1], python_back[1])
