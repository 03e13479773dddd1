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

from .jit import kernel

ST_POS, ST_VALUE, ST_IN_NUMBER, ST_DONE, ST_ERROR, ST_SIGN = 0, 1, 2, 3, 4, 5
STATE_SIZE = 8

ERR_CHAR = 1  # a byte that cannot be in an array of integers
ERR_TOO_MANY = 2  # more numbers than meta's counts allow
ERR_RANGE = 3  # a number too large for its column
ERR_ESCAPE = 4  # a string with a broken escape

_U32_MAX = 0xFFFFFFFF


def new_state() -> np.ndarray:
    return np.zeros(STATE_SIZE, dtype=np.int64)


scan_columns = kernel("columns", "scan_columns")
scan_columns_back = kernel("columns", "scan_columns_back")
scan_int_array = kernel("scan", "scan_int_array")


# State of the value skipper: depth, in_string, escape, started, done.
SK_DEPTH, SK_IN_STRING, SK_ESCAPE, SK_STARTED, SK_DONE = 0, 1, 2, 3, 4


skip_value = kernel("scan", "skip_value")


# State of the streaming string indexer.
IS_COUNT, IS_IN_STRING, IS_ESCAPE, IS_START, IS_ESCAPED, IS_DONE, IS_ERROR, IS_HASH = 0, 1, 2, 3, 4, 5, 6, 7

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
# A string's hash is its 64-bit FNV-1a folded to 32 bits (a StringTable keeps one per string: 4 bytes, not 8).
# FNV's low half alone mixes poorly (its prime's low word is 0x1B3), so both halves are folded and the result
# multiplied by this odd constant, keeping its well-mixed high word. The hash only picks candidates whose bytes
# are then compared: among millions of strings two texts share a 32-bit hash, and that must never merge them.
_FOLD = np.uint64(0x9E3779B97F4A7C15)


hash_bytes = kernel("scan", "hash_bytes")
IS_ERR_SYNTAX, IS_ERR_ESCAPE = 1, 2


index_strings_chunk = kernel("scan", "index_strings_chunk")
strings_containing = kernel("scan", "strings_containing")
is_monotonic = kernel("scan", "is_monotonic")
first_bad_edge = kernel("scan", "first_bad_edge")
