"""The column scanners' two stages (numbers gathered into a buffer, then handed to the columns a field at a time).

:mod:`test_scan_blocks` cuts its arrays into chunks of at most 700 bytes, fewer numbers than the buffer holds.
Here whole arrays of thousands of numbers go in one call, so the buffer fills many times over, a number falls
across each place where one stage hands over to the next, and a fault anywhere lands at every place of a filled
buffer: the same columns, state and position as the byte-at-a-time reference. Also the field layouts the loader
never makes (offsets of -1, out of the row, twice the same) and the 64-byte classifier against its Python twin.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_scan_blocks import (
    _NODE_FIELDS,
    _backward,
    _forward,
    _reference_back_call,
    _reference_forward_call,
    _same,
    _text,
)

from heaptui.engine import scan


def _one_stretch_back(text: bytes) -> list[tuple[int, int]]:
    return [(0, text.rindex(b"]"))]


@pytest.mark.parametrize("kind", ["nodes", "edges"])
@pytest.mark.parametrize("seed", range(16))
def test_whole_arrays_in_one_call_read_as_a_byte_at_a_time(kind, seed):
    """Thousands of numbers per call (the buffer filled and handed over many times), a fault anywhere or none."""
    rng = np.random.default_rng(5000 + seed)
    rows = int(rng.integers(300, 1500))
    fields = _NODE_FIELDS if kind == "nodes" else 3
    text = _text(rng, kind, rows, v8=seed % 4 != 3, lengths=seed % 3 == 0, fault=seed % 2 == 1)
    limit = rows * fields
    cuts = [len(text)] if seed % 4 else [len(text) // 2, len(text)]
    got = _forward(scan.scan_columns, text, cuts, kind, rows, limit)
    want = _forward(_reference_forward_call, text, cuts, kind, rows, limit)
    assert got[0] == want[0] and _same(got[1], want[1])
    stretches = _one_stretch_back(text)
    got = _backward(scan.scan_columns_back, text, stretches, kind, rows, limit)
    want = _backward(_reference_back_call, text, stretches, kind, rows, limit)
    assert got[0] == want[0] and _same(got[1], want[1])


@pytest.mark.parametrize("fault", [b"256", b"8", b"x", b"123456789", b"4294967296", b" "])
def test_a_fault_at_every_place_of_a_filled_buffer(fault):
    """One refused value (or a byte, or a long number) at each of 600 places: stored up to it, and nothing past it."""
    numbers = [b"%d" % (k % 7) if k % 3 == 0 else b"%d" % (k * 7) for k in range(3 * 400)]
    for at in [*range(0, 30), *range(400, 560)]:  # the buffer holds 449 to 512 numbers
        parts = list(numbers)
        parts[at] = fault
        text = b",".join(parts) + b"]"
        rows = 400
        got = _forward(scan.scan_columns, text, [len(text)], "edges", rows, rows * 3)
        want = _forward(_reference_forward_call, text, [len(text)], "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1]), at
        back_at = len(parts) - 1 - at  # the same place counted from the end
        parts = list(numbers)
        parts[back_at] = fault
        text = b",".join(parts) + b"]"
        got = _backward(scan.scan_columns_back, text, _one_stretch_back(text), "edges", rows, rows * 3)
        want = _backward(_reference_back_call, text, _one_stretch_back(text), "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1]), at


def test_too_many_numbers_stop_at_the_limit_inside_a_buffer():
    """A limit that falls inside a filled buffer: ERR_TOO_MANY at the number past it, forward and back."""
    text = b",".join(b"%d" % (k % 36 * 7) for k in range(3 * 500)) + b"]"
    for rows in (1, 100, 170, 171, 499):
        got = _forward(scan.scan_columns, text, [len(text)], "edges", rows, rows * 3)
        want = _forward(_reference_forward_call, text, [len(text)], "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1])
        assert got[0][-1][1][scan.ST_ERROR] == scan.ERR_TOO_MANY
        stretches = _one_stretch_back(text)
        got = _backward(scan.scan_columns_back, text, stretches, "edges", rows, rows * 3)
        want = _backward(_reference_back_call, text, stretches, "edges", rows, rows * 3)
        assert got[0] == want[0] and _same(got[1], want[1])


@pytest.mark.parametrize(
    "where",
    [
        (0, 1, -1, -1, -1, -1, -1, 2),  # edges
        (-1, -1, -1, -1, -1, -1, -1, -1),  # no column at all
        (2, -1, 0, -1, -1, -1, -1, 1),  # other places
        (0, 0, 1, 1, 2, 2, 2, 0),  # offsets twice: the byte loop's first match (to_node, type, name, ...) wins
        (5, 1, 9, -3, -1, 3, 4, 7),  # offsets out of the row
        (1, 2, 0, -1, -1, -1, -1, -1),  # type not first, no to_node
    ],
)
def test_any_field_layout_reads_as_the_byte_loop(where):
    """Offsets of -1, out of the row or repeated: each column as the scanner's own byte loop fills it.

    The byte loop reads the same array with ", " between numbers (a space makes every block go to it).
    """
    rng = np.random.default_rng(sum(where) + 100)
    rows = 700
    numbers = [b"%d" % (int(rng.integers(0, 36)) * 7) for _ in range(3 * rows)]
    for fault in (None, 1000, 1400):
        if fault is not None:
            numbers[fault] = b"300"  # refused in a type column, stored in the others
        texts = [b",".join(numbers) + b"]", b", ".join(numbers) + b"]"]
        for kernel in (scan.scan_columns, scan.scan_columns_back):
            results = []
            for text in texts:
                columns = [np.full(rows + 2, 0x5A, dtype=t) for t in _DTYPES]
                state = scan.new_state()
                buf = np.frombuffer(b"9,9" * 20 + text + b"9,9" * 20, dtype=np.uint8)
                end = 60 + len(text) - (kernel is scan.scan_columns_back)  # back: up to its ]
                kernel(buf, 60, end, state, 3, rows * 3, 7, *where, *columns)
                results.append((state.tolist(), columns))
            assert results[0][0] == results[1][0], (kernel, fault)
            assert _same(results[0][1], results[1][1]), (kernel, fault)
        results = []
        for kernel in (scan.scan_columns, _reference_forward_call):  # and as the byte-at-a-time reference
            columns = [np.full(rows + 2, 0x5A, dtype=t) for t in _DTYPES]
            state = scan.new_state()
            buf = np.frombuffer(texts[0] + b"9,9" * 20, dtype=np.uint8)
            got = kernel(buf, 0, len(texts[0]), state, 3, rows * 3, 7, *where, *columns)
            results.append((int(got), state.tolist(), columns))
        assert results[0][:2] == results[1][:2] and _same(results[0][2], results[1][2]), fault


_DTYPES = (np.uint8, np.uint32, np.uint32, np.uint32, np.int32, np.uint32, np.uint8, np.int32)


def test_the_classifier_and_its_python_twin_agree():
    """The 64-byte classifier (a vector compare) and python_kernels' numpy version: the same two masks."""
    import numba

    from heaptui.engine import kernels, python_kernels

    @numba.njit
    def both(buf, i):
        return kernels.byte_masks(buf, i), kernels.byte_masks_back(buf, i)

    rng = np.random.default_rng(3)
    alphabet = np.frombuffer(b"0123456789,\n,,  ]x\r\t-.\x80\xff\x00/:+", dtype=np.uint8)
    for _ in range(300):
        buf = rng.choice(alphabet, size=80) if rng.random() < 0.7 else rng.integers(0, 256, 80).astype(np.uint8)
        buf = np.ascontiguousarray(buf, dtype=np.uint8)
        i = int(rng.integers(0, 16))
        forward, back = both(buf, i)
        assert forward == python_kernels.byte_masks(buf, i)
        assert back == python_kernels.byte_masks_back(buf, i)
        block = buf[i : i + 64]
        not_digit = sum(1 << k for k in range(64) if not 48 <= block[k] <= 57)
        bad = sum(1 << k for k in range(64) if not 48 <= block[k] <= 57 and block[k] not in (44, 10))
        assert (int(forward[0]), int(forward[1])) == (not_digit, bad)
        reverse = [sum(1 << (63 - k) for k in range(64) if mask >> k & 1) for mask in (not_digit, bad)]
        assert [int(back[0]), int(back[1])] == reverse
