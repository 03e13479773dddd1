"""The compiled kernels of :mod:`heaptui.engine.lazy_order` (moved here unchanged)."""

from __future__ import annotations

import numpy as np

from . import njit
from .classes import _splitmix


@njit(cache=True, nogil=True)
def _prefix_keys(blob, starts, ends, indices, hex_value, skip):
    """Per string index: its UTF-16 code units ``skip`` to ``skip + 3``, 16 bits each, as one number.

    The stored text is JSON (UTF-8 with escapes); a string that ends sooner is
    padded with zero units, so equal keys only mean "look further".
    """
    out = np.zeros(indices.shape[0], dtype=np.uint64)
    for k in range(indices.shape[0]):
        i = starts[indices[k]]
        end = ends[indices[k]]
        key = np.uint64(0)
        units = -skip
        while i < end and units < 4:
            c = np.int64(blob[i])
            if c == 92 and i + 1 < end:  # an escape
                e = blob[i + 1]
                i += 2
                if e == 117 and i + 4 <= end:
                    code = 0
                    for j in range(4):
                        code = code * 16 + hex_value[blob[i + j]]
                    i += 4
                elif e == 110:
                    code = 10
                elif e == 116:
                    code = 9
                elif e == 114:
                    code = 13
                elif e == 98:
                    code = 8
                elif e == 102:
                    code = 12
                else:
                    code = np.int64(e)  # \" \\ \/
            elif c < 0x80 or i + (2 if c < 0xE0 else 3 if c < 0xF0 else 4) > end:
                code = c  # ASCII, or a sequence cut short (never read past the string)
                i += 1
            elif c < 0xE0:
                code = ((c & 0x1F) << 6) | (np.int64(blob[i + 1]) & 0x3F)
                i += 2
            elif c < 0xF0:
                code = ((c & 0x0F) << 12) | ((np.int64(blob[i + 1]) & 0x3F) << 6) | (np.int64(blob[i + 2]) & 0x3F)
                i += 3
            else:
                code = (((c & 0x07) << 18) | ((np.int64(blob[i + 1]) & 0x3F) << 12)
                        | ((np.int64(blob[i + 2]) & 0x3F) << 6) | (np.int64(blob[i + 3]) & 0x3F))
                i += 4
            if code >= 0x10000:  # a surrogate pair in UTF-16
                code -= 0x10000
                if units >= 0:
                    key = (key << np.uint64(16)) | np.uint64(0xD800 + (code >> 10))
                units += 1
                if units == 4:
                    break
                code = 0xDC00 + (code & 0x3FF)
            if units >= 0:
                key = (key << np.uint64(16)) | np.uint64(code)
            units += 1
        if units < 0:
            units = 0
        while units < 4:
            key = key << np.uint64(16)
            units += 1
        out[k] = key
    return out


@njit(cache=True, nogil=True)
def _decimal_keys(values, skip):
    """Like :func:`_prefix_keys` for numbers written in decimal (element indexes compared as text)."""
    out = np.zeros(values.shape[0], dtype=np.uint64)
    digits = np.empty(20, dtype=np.int64)
    for k in range(values.shape[0]):
        x = np.int64(values[k])
        count = 0
        while True:
            digits[count] = x % 10
            count += 1
            x //= 10
            if x == 0:
                break
        key = np.uint64(0)
        for unit in range(skip, skip + 4):
            code = 0
            if unit < count:
                code = 48 + digits[count - 1 - unit]
            key = (key << np.uint64(16)) | np.uint64(code)
        out[k] = key
    return out


@njit(cache=True, nogil=True)
def _property_list_hashes(nodes, first_edge, edge_type, edge_name, property_edge, is_proto):
    """A hash per node of its property names in order (``__proto__`` skipped): equal lists, equal names."""
    out = np.empty(nodes.shape[0], dtype=np.uint64)
    for k in range(nodes.shape[0]):
        v = nodes[k]
        h = np.uint64(7)
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_edge and not is_proto[edge_name[e]]:
                h = _splitmix(h + np.uint64(edge_name[e]) + np.uint64(0x9E3779B97F4A7C15))
        out[k] = h
    return out
